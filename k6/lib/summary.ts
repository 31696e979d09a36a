// The summary shape, the fourth stage of the results pipeline: results/summary.json, built
// from the per-slot figures (figures.ts) and the checks (checks.ts) over k6's end-of-test data
// (k6-data.ts): per scenario and target the latency, throughput, errors and CPU; per scenario
// the speedups beside the theory; the checks with their verdicts.

import {
  METRICS,
  type Model,
  SCENARIOS,
  type ScenarioName,
  type ScenarioSpec,
  STRESS_OPEN_SCENARIO,
} from '../../lib/registry.ts';
import { expectedSpeedup, workerSlots } from '../../lib/theory.ts';
import { cpuMeasuredBy } from './black-box.ts';
import { type Check, passed, speedupChecks, thresholdChecks } from './checks.ts';
import type { SuiteConfig } from './config.ts';
import { buildDecision, type Decision } from './decision.ts';
import {
  type OpenServerFigures,
  openServerFigures,
  type ServerFigures,
  type SpeedupFigures,
  scheduledIterations,
  serverFigures,
  speedupFigures,
} from './figures.ts';
import { comparedLoads, type IoTarget, ioFigures, withIo } from './io-usage.ts';
import { type K6SummaryData, metricValue, readSetup, type SetupData, testRunSeconds } from './k6-data.ts';
import type { Plan } from './plan.ts';
import { aggregate } from './speedup.ts';
import type { CpuSource } from './targets.ts';
import type { ThresholdSpec } from './thresholds.ts';

// Where the data types and checks live since the pipeline was split; kept importable from here
// for the k6 entry and its handleSummary helpers.
export type { K6Metric, K6SummaryData, SetupData } from './k6-data.ts';

export interface ScenarioResult {
  readonly name: ScenarioName;
  readonly vus: number;
  /** The IO delay used in this run (time scale applied), seconds. */
  readonly delaySeconds: number;
  /** The registry's delay, before the time scale. */
  readonly baseDelaySeconds: number;
  /** The queue factor with the reference's W: what an async target should reach (1 without a reference). */
  readonly theorySpeedup: number;
  readonly servers: Readonly<Record<string, ServerFigures>>;
  /** Variable delays (llm, db, stream): how they are drawn; and a stream's shape. */
  readonly profile?: { readonly dist: string; readonly sigma?: number };
  readonly stream?: { readonly tokens: number; readonly intervalSeconds: number };
  /** The mean time a request holds a worker, time scale applied (the delay when fixed). */
  readonly meanServiceSeconds: number;
  /** Every target but the reference, against the reference. */
  readonly speedup: Readonly<Record<string, SpeedupFigures>>;
}

export interface OpenModelResult {
  readonly name: typeof STRESS_OPEN_SCENARIO;
  readonly vus: number;
  readonly delaySeconds: number;
  readonly ratePerSecond: number;
  readonly maxVUs: number;
  readonly timeoutSeconds: number;
  readonly durationSeconds: number;
  /** Iterations the arrival-rate executor schedules per server. */
  readonly scheduledIterations: number;
  /** k6's dropped_iterations over the whole run (only open slots can drop iterations). */
  readonly droppedIterationsTotal: number;
  readonly servers: Readonly<Record<string, OpenServerFigures>>;
}

/** A target as the summary records it. */
export interface TargetInfo {
  readonly name: string;
  readonly model: Model;
  readonly framework: string;
  readonly url: string;
  /** Sync targets: W from /health. */
  readonly workers?: number;
  /** Sync targets whose /health reports them: T threads per worker (the theory counts W·T). */
  readonly threads?: number;
  /** Async targets whose /health reports `workers`: P event-loop processes. */
  readonly processes?: number;
  readonly builtin: boolean;
  /** Async: the connections its IO goes through (`pool=`), which cap it as W does a sync target. */
  readonly pool?: number;
  /** How its CPU and RSS were read when not by its own /stats: a black-box target's. */
  readonly cpuMeasuredBy?: Exclude<CpuSource, '/stats'>;
}

export interface Summary {
  /** The targets measured, in measuring order. */
  readonly targets: readonly TargetInfo[];
  /** The sync target every speedup is computed against (null: no sync target selected). */
  readonly reference: string | null;
  /** W of the reference (1 without one): the W of the theory's queue factor. */
  readonly syncWorkers: number;
  readonly timeScale: number;
  readonly scenarios: readonly ScenarioResult[];
  readonly openModel: OpenModelResult | null;
  /** Over every (closed scenario, async server) pair; see speedupBasis. */
  readonly averageSpeedup: number | null;
  readonly maxSpeedup: number | null;
  readonly speedupBasis: string;
  readonly averageThroughputSpeedup: number | null;
  readonly recommendation: string;
  /** Threshold and speedup checks: a failed one fails the run. Fidelity checks are informational. */
  readonly checks: readonly Check[];
  readonly passed: boolean;
  readonly generatedAt: string;
  readonly k6Version?: string;
  /** The run's `testid` tag in InfluxDB. */
  readonly testid?: string;
  readonly testRunSeconds: number | null;
  readonly plan: {
    readonly slotSeconds: number;
    readonly totalSeconds: number;
    readonly scenarios: readonly string[];
    readonly urls: Readonly<Record<string, string>>;
  };
  /** Memory, CPU ceilings, what N clients take, and the option that meets the SLO (decision.ts). */
  readonly decision: Decision;
}

export interface SummaryInput {
  readonly data: K6SummaryData;
  readonly config: SuiteConfig;
  readonly plan: Plan;
  readonly specs: readonly ThresholdSpec[];
  readonly now: Date;
}

/** The targets as the summary records them, with W (T, P) as setup() read them. */
function targetInfos(plan: Plan, setup: SetupData): TargetInfo[] {
  const { workers, threads = {}, processes = {} } = setup;
  return plan.targets.map((t) => {
    const info: TargetInfo = {
      name: t.name,
      model: t.model,
      framework: t.framework,
      url: t.url,
      builtin: t.builtin,
    };
    const by = cpuMeasuredBy(t);
    if (by !== '/stats') Object.assign(info, { cpuMeasuredBy: by });
    if (t.pool !== undefined) Object.assign(info, { pool: t.pool });
    const th = threads[t.name];
    const p = processes[t.name];
    if (t.model === 'async') return p ? Object.assign(info, { processes: p }) : info;
    return Object.assign(info, { workers: workers[t.name] ?? 1 }, th ? { threads: th } : {});
  });
}

/** A target's sync slots for its figures' theory and p95 bound: W·T (threads count as workers). */
function slotsOf(
  targets: readonly TargetInfo[],
  name: string,
  workers: Readonly<Record<string, number>>,
): number {
  const info = targets.find((t) => t.name === name);
  return info?.model === 'sync' ? workerSlots(info) : (workers[name] ?? 1);
}

/** Each target as its IO is judged: black-box or not, with its workers, threads, processes and pool. */
function ioTargets(plan: Plan, targets: readonly TargetInfo[]): Record<string, IoTarget> {
  const out: Record<string, IoTarget> = {};
  for (const t of targets)
    out[t.name] = Object.assign({}, t, {
      blackBox: Boolean(plan.targets.find((p) => p.name === t.name)?.request),
    });
  return out;
}

/** What the scenarios add up to: each scenario's result and the speedups the headline averages. */
interface ScenarioOutcome {
  readonly result: ScenarioResult;
  readonly checks: readonly Check[];
  /** Async targets only: the headline answers "how much faster is async". */
  readonly latency: readonly (number | null)[];
  readonly throughput: readonly (number | null)[];
}

function scenarioOutcome(
  spec: ScenarioSpec,
  data: K6SummaryData,
  plan: Plan,
  targets: readonly TargetInfo[],
  workers: Readonly<Record<string, number>>,
): ScenarioOutcome | null {
  const slots = plan.slots.filter((s) => s.kind === 'closed' && s.scenario === spec.name);
  const first = slots[0];
  if (!first) return null;
  const reference = plan.reference;
  const load = { clients: spec.vus, ioSeconds: first.serviceSeconds ?? first.delaySeconds };
  const refTarget = targets.find((t) => t.name === reference) ?? { model: 'sync' as const, workers: 1 };
  const theory = reference ? expectedSpeedup(load, refTarget, { model: 'async' }) : 1;
  const variable = Boolean(first.profile || first.stream);
  const servers: Record<string, ServerFigures> = {};
  const io = ioTargets(plan, targets);
  for (const slot of slots) {
    const fig = serverFigures(data, slot, slotsOf(targets, slot.server, workers));
    servers[slot.server] = withIo(fig, data, slot, io[slot.server] ?? { model: slot.model, blackBox: false });
  }
  const ref = reference ? servers[reference] : undefined;
  const refIo = { fig: ref, target: io[reference ?? ''] ?? { model: 'sync' as const, blackBox: false } };
  const speedup: Record<string, SpeedupFigures> = {};
  const checks: Check[] = [];
  const latency: (number | null)[] = [];
  const throughput: (number | null)[] = [];
  for (const target of targets) {
    const fig = servers[target.name];
    if (!fig || !ref || !reference || target.name === reference) continue;
    const loads = comparedLoads(load, refIo, {
      fig,
      target: io[target.name] ?? Object.assign({ blackBox: false }, target),
    });
    const figures = speedupFigures(
      ref,
      fig,
      expectedSpeedup(loads.reference, refTarget, target, loads.target),
    );
    speedup[target.name] = figures;
    if (target.model === 'async') {
      latency.push(figures.latency);
      throughput.push(figures.throughput);
    }
    checks.push(
      ...speedupChecks({
        scenario: spec.name,
        reference,
        server: target.name,
        ref,
        fig,
        speedup: figures,
        variable,
        delaySeconds: first.delaySeconds,
      }),
    );
  }
  const result: ScenarioResult = {
    name: spec.name,
    vus: spec.vus,
    delaySeconds: first.delaySeconds,
    baseDelaySeconds: spec.delaySeconds,
    theorySpeedup: theory,
    servers,
    meanServiceSeconds: first.serviceSeconds ?? first.delaySeconds,
    speedup,
  };
  if (first.profile) Object.assign(result, { profile: first.profile });
  if (first.stream) Object.assign(result, { stream: first.stream });
  return { result, checks, latency, throughput };
}

/** The open-model variant of stress, reported apart from the closed-model speedups. */
function openModelResult(
  data: K6SummaryData,
  plan: Plan,
  targets: readonly TargetInfo[],
  workers: Readonly<Record<string, number>>,
): OpenModelResult | null {
  const openSlots = plan.slots.filter((s) => s.kind === 'open');
  const first = openSlots[0];
  if (!first?.arrivals) return null;
  const servers: Record<string, OpenServerFigures> = {};
  for (const slot of openSlots)
    servers[slot.server] = Object.assign(
      openServerFigures(data, slot, slotsOf(targets, slot.server, workers)),
      ioFigures(data, slot),
    );
  return {
    name: STRESS_OPEN_SCENARIO,
    vus: first.vus,
    delaySeconds: first.delaySeconds,
    ratePerSecond: first.arrivals.perTimeUnit / first.arrivals.timeUnitSeconds,
    maxVUs: first.arrivals.maxVUs,
    timeoutSeconds: first.timeoutSeconds,
    durationSeconds: first.durationSeconds,
    scheduledIterations: scheduledIterations(first),
    droppedIterationsTotal: metricValue(data.metrics[METRICS.droppedIterations], 'count') || 0,
    servers,
  };
}

export function buildSummary({ data, config, plan, specs, now }: SummaryInput): Summary {
  const setup = readSetup(data, plan.workers);
  const { workers } = setup;
  const targets = targetInfos(plan, setup);
  const reference = plan.reference;
  const outcomes = SCENARIOS.map((spec) => scenarioOutcome(spec, data, plan, targets, workers)).filter(
    (o) => o !== null,
  );
  const checks = [...thresholdChecks(data, plan, specs), ...outcomes.flatMap((o) => o.checks)];
  const asyncNames = targets.filter((t) => t.model === 'async').map((t) => t.name);
  const latency = aggregate(outcomes.flatMap((o) => o.latency));
  const throughput = aggregate(outcomes.flatMap((o) => o.throughput));
  const urls: Record<string, string> = {};
  for (const t of plan.targets) urls[t.name] = t.url;
  const summary: Summary = {
    targets,
    reference,
    syncWorkers: reference ? (workers[reference] ?? 1) : 1,
    timeScale: config.timeScale,
    scenarios: outcomes.map((o) => o.result),
    openModel: openModelResult(data, plan, targets, workers),
    averageSpeedup: latency.average,
    maxSpeedup: latency.max,
    speedupBasis: reference
      ? `latency (${reference} mean / async mean), over ${asyncNames.join(', ')} × the closed-model scenarios`
      : 'no sync target selected: no speedup',
    averageThroughputSpeedup: throughput.average,
    recommendation: latency.recommendation,
    checks,
    passed: passed(checks),
    generatedAt: now.toISOString(),
    testRunSeconds: testRunSeconds(data),
    plan: {
      slotSeconds: config.slotSeconds,
      totalSeconds: plan.totalSeconds,
      scenarios: config.scenarios,
      urls,
    },
    decision: buildDecision(
      targets,
      outcomes.map((o) => o.result),
      config.sloP95Ms,
    ),
  };
  if (config.testid) Object.assign(summary, { testid: config.testid });
  if (config.k6Version) return Object.assign(summary, { k6Version: config.k6Version });
  return summary;
}
