// The first stage of the results pipeline: k6's end-of-test data (what handleSummary receives,
// or what from-samples.ts rebuilds from InfluxDB) and the readers every later stage uses on it.

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
  /** T threads per worker of the sync targets whose /health reports more than none (gthread). */
  readonly threads?: Readonly<Record<string, number>>;
  /** P of the async targets whose /health reports `workers` (processes: fastify-cluster, gevent). */
  readonly processes?: Readonly<Record<string, number>>;
}

/** One value of a metric (`avg`, `p(95)`, `count`...), null when absent or not finite. */
export const metricValue = (m: K6Metric | undefined, key: string): number | null => {
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
  const counts = (m: unknown): Record<string, number> => {
    const out: Record<string, number> = {};
    if (m && typeof m === 'object')
      for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && v >= 1) out[k] = v;
    return out;
  };
  return { workers, threads: counts(s?.threads), processes: counts(s?.processes) };
}

/** The run's duration as k6 measured it, seconds (null when k6 did not say). */
export const testRunSeconds = (data: K6SummaryData): number | null =>
  typeof data.state?.testRunDurationMs === 'number' ? data.state.testRunDurationMs / 1000 : null;
