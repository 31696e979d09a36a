// Which shape of end-of-test data k6 handed handleSummary, and whether the suite can read it.
//
// Every k6 the suite supports (0.49 – 2.x) hands handleSummary the legacy object by default:
// `metrics` keyed by metric and sub-metric name (`http_req_duration{scenario:low,server:koa}`),
// each with its values and threshold verdicts, plus `setup_data` and `state`. k6 v1.5 added an
// opt-in machine-readable summary (K6_NEW_MACHINE_READABLE_SUMMARY=true or
// --new-machine-readable-summary; still opt-in in 2.2). Its shape, from k6's
// internal/lib/summary/machine_readable.go, schema version 1.0.0 (field names as k6's JS
// runtime maps them, snake_case):
//   { config: {duration, execution, script}, metadata: {generated_at, k6_version},
//     results: { checks: {metrics, results}, metrics: [{name, type, contains, values}] },
//     version }
// It holds whole metrics of the root group only: no sub-metrics (every per-slot figure of the
// suite is one), no threshold verdicts, no setup_data (the W that /health reported), and
// trends reduced to avg, min, med, max, p90, p95 (no p99). The suite's figures cannot be
// rebuilt from it, so it is refused in one line rather than turned into a summary with holes.

import type { Env } from './config.ts';
import type { K6SummaryData } from './k6-data.ts';

export const MACHINE_READABLE_ENV = 'K6_NEW_MACHINE_READABLE_SUMMARY';

export type SummaryShape = 'legacy' | 'machine-readable' | 'unknown';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function summaryShape(data: unknown): SummaryShape {
  if (!isObject(data)) return 'unknown';
  if (isObject(data.metrics)) return 'legacy';
  if (isObject(data.results) && Array.isArray(data.results.metrics) && typeof data.version === 'string') {
    return 'machine-readable';
  }
  return 'unknown';
}

const REFUSAL_REASON =
  'it has no per-slot sub-metrics, threshold verdicts or setup data, which summary.json is built from';

/** The one line that says why no summary is written, or null when the data is the legacy shape. */
export function summaryRefusal(data: unknown): string | null {
  const shape = summaryShape(data);
  if (shape === 'legacy') return null;
  if (shape === 'machine-readable') {
    const meta = (data as { metadata?: { k6_version?: unknown } }).metadata;
    const version = meta && typeof meta.k6_version === 'string' ? `k6 ${meta.k6_version}` : 'k6';
    return (
      `${version} handed handleSummary its machine-readable summary (${MACHINE_READABLE_ENV} or ` +
      `--new-machine-readable-summary): ${REFUSAL_REASON}; run without it`
    );
  }
  const keys = isObject(data) ? Object.keys(data).join(', ') || 'none' : typeof data;
  return `handleSummary got no k6 metrics object (keys: ${keys}): no summary written`;
}

/** The legacy data, typed, or the one-line refusal. */
export function readSummaryData(data: unknown): { data: K6SummaryData } | { refusal: string } {
  const refusal = summaryRefusal(data);
  return refusal === null ? { data: data as K6SummaryData } : { refusal };
}

// k6 reads the variable with Go's strconv.ParseBool; these are the spellings it takes as true.
const GO_TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];

/**
 * The refusal before any slot runs, when the environment asks k6 for the machine-readable
 * summary: a long run should not end with nothing written. (k6 before 1.5 ignores the
 * variable, but whoever set it expects that format, which the suite cannot give.)
 */
export function machineReadableRequested(env: Env): string | null {
  const value = env[MACHINE_READABLE_ENV];
  if (value === undefined || GO_TRUE.indexOf(value) < 0) return null;
  return `${MACHINE_READABLE_ENV}=${value} asks k6 for its machine-readable summary: ${REFUSAL_REASON}; unset it`;
}
