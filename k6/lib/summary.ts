// Shapes k6's end-of-test data (what handleSummary receives) into results/summary.json: per
// scenario and server the latency, throughput, errors and CPU; per scenario the speedups
// beside the theory; the checks (k6 thresholds and the speedup check) with their verdicts.

import {
  ASYNC_SERVERS,
  METRICS,
  SCENARIOS,
  type ScenarioName,
  SERVER_NAMES,
  type ServerName,
  STRESS_OPEN_SCENARIO,
  SYNC_SERVER,
  theorySpeedup,
} from '../../lib/registry.ts';
import type { SuiteConfig } from './config.ts';
import { type Plan, type Slot, windowSeconds } from './plan.ts';
import {
  aggregate,
  FIDELITY_P50_TOLERANCE,
  FIDELITY_SPEEDUP_TOLERANCE,
  fmtX,
  judgeSpeedup,
  latencySpeedup,
  throughputSpeedup,
} from './speedup.ts';
import { p95BoundMs, slotKeys, type ThresholdSpec } from './thresholds.ts';

/** The part of k6's handleSummary `data` the suite reads. */
export interface K6Metric {
  readonly type: string;
  readonly contains?: string;
  readonly values: Readonly<Record<string, number>>;
  readonly thresholds?: Readonly<Record<string, { readonly ok: boolean }>>;
}
export interface K6SummaryData {
  readonly metrics: Readonly<Record<string, K6Metric>>;
  readonly setup_data?: unknown;
  readonly state?: { readonly testRunDurationMs?: number };
}

/** What setup() returns, read back from `data.setup_data`. */
export interface SetupData {
  readonly syncWorkers: number;
}

export interface ServerFigures {
  /** Latency of the /io requests that started in the measurement window, ms. */
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly avg: number | null;
  readonly min: number | null;
  readonly max: number | null;
  /** Responses completed inside the measurement window, per second of window. */
  readonly rps: number | null;
  /** Share of the slot's /io requests that failed (warm-up included). */
  readonly errorRate: number | null;
  /** Server CPU (user + system, every process) inside the measurement window. */
  readonly cpuSeconds: number | null;
  readonly cpuMsPerRequest: number | null;
  /** Requests that started in the measurement window (the latency sample). */
  readonly requests: number;
  /** Responses completed inside the measurement window (the throughput count). */
  readonly completed: number;
  readonly windowSeconds: number;
  readonly cpuPercentAvg: number | null;
  readonly cpuPercentMax: number | null;
  readonly rssBytesMax: number | null;
  readonly inFlightMax: number | null;
  /** The k6 threshold on p95 (theory-derived upper bound), ms. */
  readonly p95BoundMs: number | null;
  /** Async servers: p50 over the IO delay; the full run wants it within 5% of 1. */
  readonly p50OverDelay: number | null;
}

export interface OpenServerFigures extends ServerFigures {
  /** /io requests sent (every phase). */
  readonly sent: number;
  readonly timeouts: number;
  /** Scheduled arrivals that found no free VU (scheduled minus sent). */
  readonly droppedIterations: number;
}

export function scheduledIterations(slot: Slot): number {
  if (!slot.arrivals) return 0;
  return Math.round((slot.arrivals.perTimeUnit * slot.durationSeconds) / slot.arrivals.timeUnitSeconds);
}

export interface SpeedupFigures {
  readonly latency: number | null;
  readonly throughput: number | null;
  /** Measured over theory; 1 is a perfect match. */
  readonly latencyVsTheory: number | null;
  readonly throughputVsTheory: number | null;
}

export interface ScenarioResult {
  readonly name: ScenarioName;
  readonly vus: number;
  /** The IO delay used in this run (time scale applied), seconds. */
  readonly delaySeconds: number;
  /** The registry's delay, before the time scale. */
  readonly baseDelaySeconds: number;
  readonly theorySpeedup: number;
  readonly servers: Partial<Record<ServerName, ServerFigures>>;
  readonly speedup: Partial<Record<ServerName, SpeedupFigures>>;
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
  readonly servers: Partial<Record<ServerName, OpenServerFigures>>;
}

export type CheckKind = 'threshold' | 'speedup' | 'fidelity';

export interface Check {
  readonly kind: CheckKind;
  readonly name: string;
  readonly ok: boolean;
  readonly message: string;
  readonly scenario?: string;
  readonly server?: string;
  readonly metric?: string;
  readonly expression?: string;
}

export interface Summary {
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
  readonly testRunSeconds: number | null;
  readonly plan: {
    readonly slotSeconds: number;
    readonly totalSeconds: number;
    readonly scenarios: readonly string[];
    readonly urls: Readonly<Record<ServerName, string>>;
  };
}

const value = (m: K6Metric | undefined, key: string): number | null => {
  const v = m?.values[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

export function readSetup(data: K6SummaryData, fallback: number): SetupData {
  const s = data.setup_data as Partial<SetupData> | null | undefined;
  const w = s && typeof s.syncWorkers === 'number' && s.syncWorkers >= 1 ? s.syncWorkers : fallback;
  return { syncWorkers: w };
}

function serverFigures(data: K6SummaryData, slot: Slot, syncWorkers: number): ServerFigures {
  const k = slotKeys(slot);
  const m = (key: string) => data.metrics[key];
  // k6 reports an empty trend as zeros; no sample means no figure.
  const measured = m(k.duration);
  const duration = value(measured, 'count') ? measured : undefined;
  const completed = value(m(k.completed), 'count') || 0;
  const window = windowSeconds(slot);
  const cpuSeconds = value(m(k.cpuSeconds), 'count');
  const p50 = value(duration, 'med') ?? value(duration, 'p(50)');
  return {
    p50,
    p95: value(duration, 'p(95)'),
    p99: value(duration, 'p(99)'),
    avg: value(duration, 'avg'),
    min: value(duration, 'min'),
    max: value(duration, 'max'),
    rps: window > 0 ? completed / window : null,
    errorRate: value(m(k.failed), 'rate'),
    cpuSeconds,
    cpuMsPerRequest: cpuSeconds !== null && completed > 0 ? (cpuSeconds * 1000) / completed : null,
    requests: value(measured, 'count') || 0,
    completed,
    windowSeconds: window,
    cpuPercentAvg: value(m(k.cpuPercent), 'avg'),
    cpuPercentMax: value(m(k.cpuPercent), 'max'),
    rssBytesMax: value(m(k.rssBytes), 'max'),
    inFlightMax: value(m(k.inFlight), 'max'),
    p95BoundMs: slot.kind === 'closed' ? p95BoundMs(slot, syncWorkers) : null,
    p50OverDelay: slot.model === 'async' && p50 !== null ? p50 / (slot.delaySeconds * 1000) : null,
  };
}

const fmtMs = (v: number | null): string => (v === null ? 'n/a' : `${Math.round(v)} ms`);

/** The aggregate a threshold expression tests (`p(95)<300` -> `p(95)`), to quote its value. */
function aggregateOf(expression: string): string {
  const match = /^\s*([a-z]+(?:\([\d.]+\))?)/.exec(expression);
  return match?.[1] ?? expression;
}

function thresholdChecks(data: K6SummaryData, plan: Plan, specs: readonly ThresholdSpec[]): Check[] {
  const slots = new Map(plan.slots.map((s) => [s.id, s]));
  return specs
    .filter((spec) => spec.claim)
    .map((spec) => {
      const slot = slots.get(spec.slot);
      const metric = data.metrics[spec.metric];
      const verdict = metric?.thresholds?.[spec.expression];
      // A submetric without samples is absent from data.metrics: k6 evaluates it on zeros,
      // which fails `count>0` and passes the upper bounds.
      const ok = verdict ? verdict.ok : spec.expression !== 'count>0';
      const agg = aggregateOf(spec.expression);
      const observed = value(metric, agg === 'p(50)' ? 'med' : agg);
      const where = slot ? `${slot.scenario}/${slot.server}` : spec.slot;
      const base = spec.metric.split('{')[0];
      const shown = observed === null ? 'no samples' : `${agg}=${+observed.toFixed(4)}`;
      return {
        kind: 'threshold' as const,
        name: `${where}: ${base} ${spec.expression}`,
        ok,
        message: `${ok ? 'ok  ' : 'FAIL'} ${where}: ${base} ${spec.expression} (${shown}; ${spec.description})`,
        scenario: slot?.scenario,
        server: slot?.server,
        metric: spec.metric,
        expression: spec.expression,
      };
    });
}

export interface SummaryInput {
  readonly data: K6SummaryData;
  readonly config: SuiteConfig;
  readonly plan: Plan;
  readonly specs: readonly ThresholdSpec[];
  readonly now: Date;
}

export function buildSummary({ data, config, plan, specs, now }: SummaryInput): Summary {
  const { syncWorkers } = readSetup(data, plan.syncWorkers);
  const checks: Check[] = thresholdChecks(data, plan, specs);
  const scenarios: ScenarioResult[] = [];
  const latencySpeedups: (number | null)[] = [];
  const throughputSpeedups: (number | null)[] = [];

  for (const spec of SCENARIOS) {
    const slots = plan.slots.filter((s) => s.kind === 'closed' && s.scenario === spec.name);
    const first = slots[0];
    if (!first) continue;
    const theory = theorySpeedup(spec.vus, syncWorkers);
    const servers: Partial<Record<ServerName, ServerFigures>> = {};
    for (const slot of slots) servers[slot.server] = serverFigures(data, slot, syncWorkers);
    const sync = servers[SYNC_SERVER];
    const speedup: Partial<Record<ServerName, SpeedupFigures>> = {};
    for (const name of ASYNC_SERVERS) {
      const fig = servers[name];
      if (!fig || !sync) continue;
      const latency = latencySpeedup(sync.avg, fig.avg);
      const throughput = throughputSpeedup(sync.rps, fig.rps);
      speedup[name] = {
        latency,
        throughput,
        latencyVsTheory: latency === null ? null : latency / theory,
        throughputVsTheory: throughput === null ? null : throughput / theory,
      };
      latencySpeedups.push(latency);
      throughputSpeedups.push(throughput);
      const where = `${spec.name}/${name}`;
      const figures =
        `${SYNC_SERVER} avg ${fmtMs(sync.avg)}, ${name} avg ${fmtMs(fig.avg)}; ` +
        `${SYNC_SERVER} ${sync.rps === null ? 'n/a' : sync.rps.toFixed(1)} req/s, ` +
        `${name} ${fig.rps === null ? 'n/a' : fig.rps.toFixed(1)} req/s`;
      for (const [kind, measured] of [
        ['latency', latency],
        ['throughput', throughput],
      ] as const) {
        const verdict = judgeSpeedup(kind, measured, theory);
        checks.push({
          kind: 'speedup',
          name: `${where}: ${kind} speedup vs theory`,
          ok: verdict.ok,
          message: `${verdict.ok ? 'ok  ' : 'FAIL'} ${where}: ${verdict.reason} (${figures})`,
          scenario: spec.name,
          server: name,
        });
        // The full run's fidelity target, stricter than the pass/fail check.
        const ratio = measured === null ? null : measured / theory;
        const close = ratio !== null && Math.abs(ratio - 1) <= FIDELITY_SPEEDUP_TOLERANCE;
        checks.push({
          kind: 'fidelity',
          name: `${where}: ${kind} speedup within ±${FIDELITY_SPEEDUP_TOLERANCE * 100}% of theory`,
          ok: close,
          message: `${close ? 'ok  ' : 'off '} ${where}: ${kind} speedup ${measured === null ? 'n/a' : fmtX(measured)} is ${ratio === null ? 'n/a' : `${(ratio * 100).toFixed(1)}%`} of theory ${fmtX(theory)}`,
          scenario: spec.name,
          server: name,
        });
      }
      if (fig.p50OverDelay !== null) {
        const close = Math.abs(fig.p50OverDelay - 1) <= FIDELITY_P50_TOLERANCE;
        checks.push({
          kind: 'fidelity',
          name: `${where}: p50 within ±${FIDELITY_P50_TOLERANCE * 100}% of the delay`,
          ok: close,
          message: `${close ? 'ok  ' : 'off '} ${where}: p50 ${fmtMs(fig.p50)} is ${(fig.p50OverDelay * 100).toFixed(1)}% of the ${Math.round(first.delaySeconds * 1000)} ms delay`,
          scenario: spec.name,
          server: name,
        });
      }
    }
    scenarios.push({
      name: spec.name,
      vus: spec.vus,
      delaySeconds: first.delaySeconds,
      baseDelaySeconds: spec.delaySeconds,
      theorySpeedup: theory,
      servers,
      speedup,
    });
  }

  const openSlots = plan.slots.filter((s) => s.kind === 'open');
  let openModel: OpenModelResult | null = null;
  const firstOpen = openSlots[0];
  if (firstOpen?.arrivals) {
    const servers: Partial<Record<ServerName, OpenServerFigures>> = {};
    for (const name of SERVER_NAMES) {
      const slot = openSlots.find((s) => s.server === name);
      if (!slot) continue;
      const k = slotKeys(slot);
      servers[name] = Object.assign(serverFigures(data, slot, syncWorkers), {
        sent: value(data.metrics[k.requests], 'count') || 0,
        timeouts: value(data.metrics[k.timeouts], 'count') || 0,
        // k6 (v0.49 at least) tags dropped_iterations with its own scenario name only, which
        // options.systemTags leaves out, so the per-server figure is derived: a
        // constant-arrival-rate slot schedules exactly rate × duration iterations, and each
        // iteration that ran sent one /io request.
        droppedIterations: Math.max(
          0,
          scheduledIterations(slot) - (value(data.metrics[k.requests], 'count') || 0),
        ),
      });
    }
    openModel = {
      name: STRESS_OPEN_SCENARIO,
      vus: firstOpen.vus,
      delaySeconds: firstOpen.delaySeconds,
      ratePerSecond: firstOpen.arrivals.perTimeUnit / firstOpen.arrivals.timeUnitSeconds,
      maxVUs: firstOpen.arrivals.maxVUs,
      timeoutSeconds: firstOpen.timeoutSeconds,
      durationSeconds: firstOpen.durationSeconds,
      scheduledIterations: scheduledIterations(firstOpen),
      droppedIterationsTotal: value(data.metrics[METRICS.droppedIterations], 'count') || 0,
      servers,
    };
  }

  const latency = aggregate(latencySpeedups);
  const throughput = aggregate(throughputSpeedups);
  const summary: Summary = {
    syncWorkers,
    timeScale: config.timeScale,
    scenarios,
    openModel,
    averageSpeedup: latency.average,
    maxSpeedup: latency.max,
    speedupBasis: `latency (${SYNC_SERVER} mean / async mean), over ${ASYNC_SERVERS.join(' and ')} × the closed-model scenarios`,
    averageThroughputSpeedup: throughput.average,
    recommendation: latency.recommendation,
    checks,
    passed: checks.every((c) => c.ok || c.kind === 'fidelity'),
    generatedAt: now.toISOString(),
    testRunSeconds:
      typeof data.state?.testRunDurationMs === 'number' ? data.state.testRunDurationMs / 1000 : null,
    plan: {
      slotSeconds: config.slotSeconds,
      totalSeconds: plan.totalSeconds,
      scenarios: config.scenarios,
      urls: config.urls,
    },
  };
  if (config.k6Version) return Object.assign(summary, { k6Version: config.k6Version });
  return summary;
}

/** The checks that fail a run (the runner exits non-zero on any of these). */
export const failures = (summary: Pick<Summary, 'checks'>): Check[] =>
  summary.checks.filter((c) => !c.ok && c.kind !== 'fidelity');
