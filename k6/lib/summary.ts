// Shapes k6's end-of-test data (what handleSummary receives) into results/summary.json: per
// scenario and server the latency, throughput, errors and CPU; per scenario the speedups
// beside the theory; the checks (k6 thresholds and the speedup check) with their verdicts.

import {
  METRICS,
  type Model,
  SCENARIOS,
  type ScenarioName,
  STRESS_OPEN_SCENARIO,
} from '../../lib/registry.ts';
import { expectedSpeedup, theoryLatencySeconds } from '../../lib/theory.ts';
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
import type { Target } from './targets.ts';
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
  /** W of every sync target, as its /health reported it. */
  readonly workers: Readonly<Record<string, number>>;
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
  readonly p90: number | null;
  readonly p999: number | null;
  /** The theory's mean latency: max(1, N/W)·E[service] for a sync target, E[service] for async, ms. */
  readonly theoryMeanMs: number;
  /** Streams: time to first token (p50, p95, ms) and tokens received per second of window. */
  readonly ttftP50?: number | null;
  readonly ttftP95?: number | null;
  readonly tokensPerSecond?: number | null;
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

/** Reference ÷ target at each latency percentile: with variable delays the tail parts from the mean. */
export interface TailRatios {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

export interface SpeedupFigures {
  readonly tail: TailRatios;
  /** What the theory expects of this target against the reference (see expectedSpeedup). */
  readonly theory: number;
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
  /** max(1, N/W) with the reference's W: what an async target should reach (1 without a reference). */
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

/** A target as the summary records it. */
export interface TargetInfo {
  readonly name: string;
  readonly model: Model;
  readonly framework: string;
  readonly url: string;
  /** Sync targets: W from /health. */
  readonly workers?: number;
  readonly builtin: boolean;
}

export interface Summary {
  /** The targets measured, in measuring order. */
  readonly targets: readonly TargetInfo[];
  /** The sync target every speedup is computed against (null: no sync target selected). */
  readonly reference: string | null;
  /** W of the reference (1 without one): the W of the theory max(1, N/W). */
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
}

const value = (m: K6Metric | undefined, key: string): number | null => {
  const v = m?.values[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

/** W per sync target: /health's answer from setup(), else the plan's. */
export function readSetup(data: K6SummaryData, planned: Readonly<Record<string, number>>): SetupData {
  const s = data.setup_data as Partial<SetupData> | null | undefined;
  const workers: Record<string, number> = {};
  for (const [name, w] of Object.entries(planned)) {
    const reported = s?.workers?.[name];
    workers[name] = typeof reported === 'number' && reported >= 1 ? reported : w;
  }
  return { workers };
}

export function serverFigures(data: K6SummaryData, slot: Slot, syncWorkers: number): ServerFigures {
  const k = slotKeys(slot);
  const m = (key: string) => data.metrics[key];
  // k6 reports an empty trend as zeros; no sample means no figure.
  const measured = m(k.duration);
  const duration = value(measured, 'count') ? measured : undefined;
  const completed = value(m(k.completed), 'count') || 0;
  const window = windowSeconds(slot);
  const cpuSeconds = value(m(k.cpuSeconds), 'count');
  const p50 = value(duration, 'med') ?? value(duration, 'p(50)');
  const service = slot.serviceSeconds ?? slot.delaySeconds;
  const theoryMeanMs =
    theoryLatencySeconds(
      { model: slot.model, workers: syncWorkers },
      { clients: slot.vus, ioSeconds: service },
    ) * 1000;
  const stream = slot.stream
    ? {
        ttftP50: value(m(k.ttft), 'med'),
        ttftP95: value(m(k.ttft), 'p(95)'),
        tokensPerSecond: window > 0 ? (value(m(k.tokens), 'count') ?? 0) / window : null,
      }
    : {};
  return Object.assign(stream, {
    p90: value(duration, 'p(90)'),
    p999: value(duration, 'p(99.9)'),
    theoryMeanMs,
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
    p50OverDelay:
      slot.model === 'async' && p50 !== null && !slot.profile && !slot.stream
        ? p50 / (slot.delaySeconds * 1000)
        : null,
  });
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
  const { workers } = readSetup(data, plan.workers);
  const targets: TargetInfo[] = plan.targets.map((t: Target) => {
    const info: TargetInfo = {
      name: t.name,
      model: t.model,
      framework: t.framework,
      url: t.url,
      builtin: t.builtin,
    };
    return t.model === 'sync' ? Object.assign(info, { workers: workers[t.name] ?? 1 }) : info;
  });
  const reference = plan.reference;
  const refWorkers = reference ? (workers[reference] ?? 1) : 1;
  const wOf = (name: string) => workers[name] ?? 1;
  const checks: Check[] = thresholdChecks(data, plan, specs);
  const scenarios: ScenarioResult[] = [];
  const latencySpeedups: (number | null)[] = [];
  const throughputSpeedups: (number | null)[] = [];

  for (const spec of SCENARIOS) {
    const slots = plan.slots.filter((s) => s.kind === 'closed' && s.scenario === spec.name);
    const first = slots[0];
    if (!first) continue;
    const load = { clients: spec.vus, ioSeconds: first.serviceSeconds ?? first.delaySeconds };
    const refTarget = { model: 'sync' as const, workers: refWorkers };
    const theory = reference ? expectedSpeedup(load, refTarget, { model: 'async' }) : 1;
    const variable = Boolean(first.profile || first.stream);
    const servers: Record<string, ServerFigures> = {};
    for (const slot of slots) servers[slot.server] = serverFigures(data, slot, wOf(slot.server));
    const ref = reference ? servers[reference] : undefined;
    const speedup: Record<string, SpeedupFigures> = {};
    for (const target of targets) {
      const name = target.name;
      const fig = servers[name];
      if (!fig || !ref || name === reference) continue;
      const expected = expectedSpeedup(load, refTarget, target);
      const latency = latencySpeedup(ref.avg, fig.avg);
      const throughput = throughputSpeedup(ref.rps, fig.rps);
      const ratio = (a: number | null, b: number | null) =>
        a !== null && b !== null && b > 0 ? a / b : null;
      speedup[name] = {
        tail: {
          p50: ratio(ref.p50, fig.p50),
          p95: ratio(ref.p95, fig.p95),
          p99: ratio(ref.p99, fig.p99),
          max: ratio(ref.max, fig.max),
        },
        theory: expected,
        latency,
        throughput,
        latencyVsTheory: latency === null ? null : latency / expected,
        throughputVsTheory: throughput === null ? null : throughput / expected,
      };
      // The headline figures answer "how much faster is async": async targets only.
      if (target.model === 'async') {
        latencySpeedups.push(latency);
        throughputSpeedups.push(throughput);
      }
      const where = `${spec.name}/${name}`;
      const figures =
        `${reference} avg ${fmtMs(ref.avg)}, ${name} avg ${fmtMs(fig.avg)}; ` +
        `${reference} ${ref.rps === null ? 'n/a' : ref.rps.toFixed(1)} req/s, ` +
        `${name} ${fig.rps === null ? 'n/a' : fig.rps.toFixed(1)} req/s`;
      for (const [kind, measured] of [
        ['latency', latency],
        ['throughput', throughput],
      ] as const) {
        const verdict = judgeSpeedup(kind, measured, expected);
        checks.push({
          // Variable IO is reported, not held: with draws of a few ms (db) the per-request cost
          // of the servers and of k6 is of the same order as the IO, so the theory is a bound
          // rather than a prediction; the fixed-delay scenarios carry the claim.
          kind: variable ? 'fidelity' : 'speedup',
          name: `${where}: ${kind} speedup vs theory`,
          ok: verdict.ok,
          message: `${verdict.ok ? 'ok  ' : variable ? 'off ' : 'FAIL'} ${where}: ${verdict.reason} (${figures})`,
          scenario: spec.name,
          server: name,
        });
        // The full run's fidelity target, stricter than the pass/fail check.
        const ratio = measured === null ? null : measured / expected;
        const close = ratio !== null && Math.abs(ratio - 1) <= FIDELITY_SPEEDUP_TOLERANCE;
        if (!variable)
          checks.push({
            kind: 'fidelity',
            name: `${where}: ${kind} speedup within ±${FIDELITY_SPEEDUP_TOLERANCE * 100}% of theory`,
            ok: close,
            message: `${close ? 'ok  ' : 'off '} ${where}: ${kind} speedup ${measured === null ? 'n/a' : fmtX(measured)} is ${ratio === null ? 'n/a' : `${(ratio * 100).toFixed(1)}%`} of theory ${fmtX(expected)}`,
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
    scenarios.push(result);
  }

  const openSlots = plan.slots.filter((s) => s.kind === 'open');
  let openModel: OpenModelResult | null = null;
  const firstOpen = openSlots[0];
  if (firstOpen?.arrivals) {
    const servers: Record<string, OpenServerFigures> = {};
    for (const slot of openSlots) {
      const k = slotKeys(slot);
      servers[slot.server] = Object.assign(serverFigures(data, slot, wOf(slot.server)), {
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

  const asyncNames = targets.filter((t) => t.model === 'async').map((t) => t.name);
  const latency = aggregate(latencySpeedups);
  const throughput = aggregate(throughputSpeedups);
  const urls: Record<string, string> = {};
  for (const t of plan.targets) urls[t.name] = t.url;
  const summary: Summary = {
    targets,
    reference,
    syncWorkers: refWorkers,
    timeScale: config.timeScale,
    scenarios,
    openModel,
    averageSpeedup: latency.average,
    maxSpeedup: latency.max,
    speedupBasis: reference
      ? `latency (${reference} mean / async mean), over ${asyncNames.join(', ')} × the closed-model scenarios`
      : 'no sync target selected: no speedup',
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
      urls,
    },
  };
  if (config.testid) Object.assign(summary, { testid: config.testid });
  if (config.k6Version) return Object.assign(summary, { k6Version: config.k6Version });
  return summary;
}

/** The checks that fail a run (the runner exits non-zero on any of these). */
export const failures = (summary: Pick<Summary, 'checks'>): Check[] =>
  summary.checks.filter((c) => !c.ok && c.kind !== 'fidelity');
