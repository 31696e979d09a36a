// Per-slot figures, the second stage of the results pipeline: what k6's data says about one
// target in one slot (latency, throughput, errors, CPU, the theory's mean), and how one target
// compares with the reference in one scenario.

import { theoryLatencySeconds } from '../../lib/theory.ts';
import { type K6SummaryData, metricValue as value } from './k6-data.ts';
import { type Slot, windowSeconds } from './plan.ts';
import { latencySpeedup, throughputSpeedup } from './speedup.ts';
import { p95BoundMs, slotKeys } from './thresholds.ts';

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
  /** The theory's mean latency (lib/theory.ts): the queue factor times E[service] for a sync target, E[service] for async, ms. */
  readonly theoryMeanMs: number;
  /** Streams: time to first token (p50, p95, ms) and tokens received per second of window. */
  readonly ttftP50?: number | null;
  readonly ttftP95?: number | null;
  readonly tokensPerSecond?: number | null;
  /** When the run read the upstream's usage (k6/lib/io-usage.ts): IO calls and IO seconds per request. */
  readonly ioCallsPerRequest?: number;
  readonly ioSecondsPerRequest?: number;
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

/** An open slot's figures: the closed ones plus what only an arrival-rate executor has. */
export function openServerFigures(data: K6SummaryData, slot: Slot, syncWorkers: number): OpenServerFigures {
  const k = slotKeys(slot);
  const sent = value(data.metrics[k.requests], 'count') || 0;
  return Object.assign(serverFigures(data, slot, syncWorkers), {
    sent,
    timeouts: value(data.metrics[k.timeouts], 'count') || 0,
    // k6 (v0.49 at least) tags dropped_iterations with its own scenario name only, which
    // options.systemTags leaves out, so the per-server figure is derived: a
    // constant-arrival-rate slot schedules exactly rate × duration iterations, and each
    // iteration that ran sent one /io request.
    droppedIterations: Math.max(0, scheduledIterations(slot) - sent),
  });
}

const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);

/** One target against the reference in one scenario, beside what the theory expects of it. */
export function speedupFigures(ref: ServerFigures, fig: ServerFigures, expected: number): SpeedupFigures {
  const latency = latencySpeedup(ref.avg, fig.avg);
  const throughput = throughputSpeedup(ref.rps, fig.rps);
  return {
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
}
