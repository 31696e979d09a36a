// Reads a run's raw samples back from InfluxDB 1.x (the database k6's `--out influxdb`
// fills): the run's configuration from its run_info points, the load generators that took
// part, and each submetric's values, filtered by the run's testid.

import { INSTANCE_TAGS, instanceOf } from '../k6/lib/run-info.ts';
import { quoteIdent as ident, quoteString } from '../lib/influxql.ts';
import { INFLUXDB, METRICS, TAGS } from '../lib/registry.ts';

interface Series {
  readonly name?: string;
  readonly columns: string[];
  readonly values: unknown[][];
}

export interface InfluxReader {
  readonly url: string;
  query(q: string): Promise<Series[]>;
}

/** `http://host:8086/k6` (as for --out influxdb) -> a reader of that database. */
export function influxReader(raw: string | undefined): InfluxReader {
  const url = new URL(raw || `http://localhost:${INFLUXDB.port}/${INFLUXDB.database}`);
  const db = url.pathname.replace(/^\/+/, '') || INFLUXDB.database;
  const base = url.origin;
  return {
    url: `${base}/${db}`,
    async query(q) {
      const params = new URLSearchParams({ db, q, epoch: 'ms' });
      let res: Response;
      try {
        res = await fetch(`${base}/query?${params}`, { signal: AbortSignal.timeout(30_000) });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        throw new Error(`InfluxDB not reachable at ${base} (${cause}): set ${INFLUXDB.urlEnv}`);
      }
      const body = (await res.json()) as {
        results?: { series?: Series[]; error?: string }[];
        error?: string;
      };
      const first = body.results?.[0];
      const error = body.error ?? first?.error;
      if (!res.ok || error) throw new Error(`InfluxDB query failed: ${error ?? res.status}: ${q}`);
      return first?.series ?? [];
    },
  };
}

export function whereTags(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${ident(k)} = ${quoteString(v)}`)
    .join(' AND ');
}

/** Every run that left its run_info, newest first (ids are timestamps). */
export async function listTestids(influx: InfluxReader): Promise<string[]> {
  const series = await influx.query(
    `SHOW TAG VALUES FROM ${ident(METRICS.runInfo)} WITH KEY = ${ident(TAGS.testid)}`,
  );
  return (series[0]?.values ?? []).map((v) => String(v[1])).sort((a, b) => b.localeCompare(a));
}

export interface RunInfo {
  readonly config: string;
  readonly workers: string;
  /** run_info points: one per k6 process that started its setup(). */
  readonly points: number;
  /** When each wrote it (epoch ms): the end of its setup(), where its slots start. */
  readonly startedAtMs: readonly number[];
}

export async function readRunInfo(influx: InfluxReader, testid: string): Promise<RunInfo | null> {
  const series = await influx.query(
    `SELECT "value", "config", "workers" FROM ${ident(METRICS.runInfo)} WHERE ${whereTags({ [TAGS.testid]: testid })}`,
  );
  const s = series[0];
  if (!s || s.values.length === 0) return null;
  const col = (name: string) => s.columns.indexOf(name);
  const row = s.values[0] ?? [];
  return {
    config: String(row[col('config')]),
    workers: String(row[col('workers')]),
    points: s.values.length,
    startedAtMs: s.values.map((v) => Number(v[col('time')])),
  };
}

/** The load generators whose samples the run holds (`instance`, or k6-operator's `instance_id`). */
export async function readInstances(influx: InfluxReader, testid: string): Promise<string[]> {
  const series = await influx.query(
    `SHOW TAG VALUES FROM ${ident(METRICS.httpReqs)} WITH KEY IN (${INSTANCE_TAGS.map(ident).join(', ')}) WHERE ${whereTags({ [TAGS.testid]: testid })}`,
  );
  return [...new Set((series[0]?.values ?? []).map((v) => String(v[1])))].sort();
}

/** The values of one submetric of one run, in time order. */
export async function readSamples(
  influx: InfluxReader,
  testid: string,
  metric: string,
  tags: Readonly<Record<string, string>>,
): Promise<number[]> {
  const where = whereTags(Object.assign({ [TAGS.testid]: testid }, tags));
  const series = await influx.query(`SELECT "value" FROM ${ident(metric)} WHERE ${where}`);
  const out: number[] = [];
  for (const s of series) for (const row of s.values) if (typeof row[1] === 'number') out.push(row[1]);
  return out;
}

/** Samples of a metric per load generator (instanceOf), for one run and tag filter. */
export async function countByInstance(
  influx: InfluxReader,
  testid: string,
  metric: string,
  tags: Readonly<Record<string, string>>,
): Promise<Record<string, number>> {
  const where = whereTags(Object.assign({ [TAGS.testid]: testid }, tags));
  const series = await influx.query(
    `SELECT count("value") FROM ${ident(metric)} WHERE ${where} GROUP BY ${INSTANCE_TAGS.map(ident).join(', ')}`,
  );
  const out: Record<string, number> = {};
  for (const s of series as (Series & { tags?: Record<string, string> })[]) {
    const key = instanceOf(s.tags ?? {}) || '(none)';
    out[key] = Number(s.values[0]?.[1] ?? 0);
  }
  return out;
}
