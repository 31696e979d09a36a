// The second source of the one summary model: raw samples (from InfluxDB) instead of k6's
// end-of-test data. A distributed run (several k6 processes, k6-operator) gives each process
// only its own slice in handleSummary, so the figures of the whole run exist only as the
// samples every process streamed. This turns those samples into the same `K6SummaryData`
// shape handleSummary receives, thresholds judged the way k6 judges them, so buildSummary
// and buildSweep make summary.json, report.html and junit.xml from either source alike.

import { METRICS } from '../../lib/registry.ts';
import type { K6Metric, K6SummaryData } from './k6-data.ts';
import { SUITE_METRICS, type ThresholdSpec } from './thresholds.ts';

export type MetricKind = 'trend' | 'counter' | 'rate' | 'gauge';

/** The kind of every metric the summary reads (k6's built-ins and the suite's own). */
export const METRIC_KINDS: Readonly<Record<string, MetricKind>> = {
  [METRICS.httpReqDuration]: 'trend',
  [METRICS.httpReqFailed]: 'rate',
  [METRICS.httpReqs]: 'counter',
  [METRICS.droppedIterations]: 'counter',
  [METRICS.ioCompleted]: 'counter',
  [METRICS.serverCpuPercent]: 'trend',
  [METRICS.serverCpuSeconds]: 'counter',
  [METRICS.serverRssBytes]: 'trend',
  [METRICS.serverInFlight]: 'trend',
  [METRICS.streamTtft]: 'trend',
  [METRICS.streamTokens]: 'counter',
  [METRICS.sweepK6CpuPercent]: 'gauge',
  [METRICS.sweepMachineBusyPercent]: 'gauge',
  [SUITE_METRICS.syncDrained]: 'rate',
  [METRICS.upstreamIoCalls]: 'counter',
  [METRICS.upstreamIoSeconds]: 'counter',
};

/** `metric{k:v,...}` -> its name and tag filter (the inverse of thresholds.ts submetric()). */
export function parseSubmetric(key: string): { metric: string; tags: Record<string, string> } {
  const open = key.indexOf('{');
  if (open === -1) return { metric: key, tags: {} };
  const tags: Record<string, string> = {};
  for (const part of key.slice(open + 1, -1).split(',')) {
    const colon = part.indexOf(':');
    if (colon > 0) tags[part.slice(0, colon)] = part.slice(colon + 1);
  }
  return { metric: key.slice(0, open), tags };
}

/** k6's percentile of a trend: linear interpolation between the sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  if (sorted.length === 1) return sorted[0] as number;
  const i = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(i);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (i - lo);
}

/** The values k6 reports for a metric of this kind (trend stats as the suite asks for them). */
export function metricValues(kind: MetricKind, samples: readonly number[]): Record<string, number> {
  if (kind === 'counter') return { count: samples.reduce((a, b) => a + b, 0), rate: 0 };
  if (kind === 'gauge') {
    return samples.length
      ? { value: samples[samples.length - 1] as number, min: Math.min(...samples), max: Math.max(...samples) }
      : { value: 0, min: 0, max: 0 };
  }
  if (kind === 'rate') {
    const passes = samples.filter((v) => v !== 0).length;
    return { rate: samples.length ? passes / samples.length : 0, passes, fails: samples.length - passes };
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const out: Record<string, number> = {
    count: n,
    avg: n ? sorted.reduce((a, b) => a + b, 0) / n : 0,
    min: n ? (sorted[0] as number) : 0,
    max: n ? (sorted[n - 1] as number) : 0,
    med: percentile(sorted, 50),
  };
  for (const p of [50, 90, 95, 99, 99.9]) out[`p(${p})`] = percentile(sorted, p);
  return out;
}

/** Judges a threshold expression as k6 does (`p(95)<300`, `rate==1`, `count>0`, ...). */
export function evaluateThreshold(expression: string, values: Readonly<Record<string, number>>): boolean {
  const m = /^\s*([a-z]+(?:\([\d.]+\))?)\s*(<=|>=|==|!=|<|>)\s*(-?[\d.]+)\s*$/.exec(expression);
  if (!m) throw new Error(`threshold expression not understood: ${expression}`);
  const [, agg = '', op, raw] = m;
  const left = values[agg] ?? (agg === 'med' ? values['p(50)'] : undefined) ?? 0;
  const right = Number(raw);
  switch (op) {
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '==':
      return left === right;
    default:
      return left !== right;
  }
}

/** Reads the raw sample values of one submetric (metric name and tag filter). */
export type SampleSource = (metric: string, tags: Readonly<Record<string, string>>) => Promise<number[]>;

export interface FromSamples {
  readonly data: K6SummaryData;
  /** Samples read, over every submetric. */
  readonly samples: number;
}

/**
 * K6SummaryData for the given threshold specs (every submetric the summary reads carries a
 * threshold, so the specs list them all), plus the run-wide dropped_iterations.
 */
export async function summaryDataFromSamples(
  specs: readonly ThresholdSpec[],
  source: SampleSource,
  setupData: unknown,
): Promise<FromSamples> {
  const keys = [...new Set([...specs.map((s) => s.metric), METRICS.droppedIterations])];
  const metrics: Record<string, K6Metric> = {};
  let samples = 0;
  for (const key of keys) {
    const { metric, tags } = parseSubmetric(key);
    const kind = METRIC_KINDS[metric];
    if (!kind) throw new Error(`no kind known for metric ${metric}`);
    const values = await source(metric, tags);
    samples += values.length;
    // k6 leaves a submetric without samples out of its data; so does this.
    if (values.length === 0) continue;
    const v = metricValues(kind, values);
    const thresholds: Record<string, { ok: boolean }> = {};
    for (const spec of specs.filter((s) => s.metric === key)) {
      thresholds[spec.expression] = { ok: evaluateThreshold(spec.expression, v) };
    }
    metrics[key] = { type: kind, values: v, thresholds };
  }
  return { data: { metrics, setup_data: setupData }, samples };
}
