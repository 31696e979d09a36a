// A real InfluxDB 1.x for the dashboard tests: `influxd` on free loopback ports, a temporary
// data directory and a generated config, database `k6` created, everything removed on stop.
// When `influxd` is not installed (CI installs Debian's `influxdb` package), `influxdSkipReason`
// says so and the tests skip with that reason.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quoteIdent } from '../../lib/influxql.ts';
import { INFLUXDB } from '../../lib/registry.ts';
import { freePort } from '../../scripts/free-port.ts';

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export interface InfluxStatementResult {
  statement_id: number;
  series?: InfluxSeries[];
  error?: string;
}

export interface RunningInfluxDB {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly database: string;
  /** k6's `--out influxdb=` target for this instance. */
  readonly k6Url: string;
  /** One InfluxQL statement; timestamps in milliseconds, or RFC 3339 strings with `epoch: 'rfc3339'`. */
  query(q: string, epoch?: 'ms' | 'rfc3339'): Promise<InfluxStatementResult>;
  /** Writes line protocol (nanosecond timestamps). */
  write(lines: string): Promise<void>;
  stop(): Promise<void>;
}

/** Why the InfluxDB tests cannot run here, or undefined when they can. */
export function influxdSkipReason(): string | undefined {
  const probe = spawnSync('influxd', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return 'influxd (InfluxDB 1.x) is not installed: apt-get install influxdb (as .ci/run does)';
  }
  return undefined;
}

function configToml(dir: string, rpcPort: number, httpPort: number): string {
  return [
    // Both spellings: upstream 1.x reads `reporting-disabled`, Debian's build `reporting-enabled`.
    'reporting-disabled = true',
    'reporting-enabled = false',
    `bind-address = "127.0.0.1:${rpcPort}"`,
    '[meta]',
    `  dir = "${join(dir, 'meta')}"`,
    '[data]',
    `  dir = "${join(dir, 'data')}"`,
    `  wal-dir = "${join(dir, 'wal')}"`,
    '  query-log-enabled = false',
    '[http]',
    `  bind-address = "127.0.0.1:${httpPort}"`,
    '  log-enabled = false',
    '[monitor]',
    '  store-enabled = false',
    '',
  ].join('\n');
}

async function waitForPing(url: string, child: ChildProcess, log: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`influxd exited with ${child.exitCode}:\n${log()}`);
    try {
      const res = await fetch(`${url}/ping`);
      if (res.status === 204) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`influxd did not answer /ping within ${timeoutMs} ms:\n${log()}`);
}

export async function startInfluxDB(options: { timeoutMs?: number } = {}): Promise<RunningInfluxDB> {
  const dir = mkdtempSync(join(tmpdir(), 'io-bench-influx-'));
  const [rpcPort, httpPort] = [await freePort(), await freePort()];
  const configPath = join(dir, 'influxdb.conf');
  writeFileSync(configPath, configToml(dir, rpcPort, httpPort));

  const child = spawn('influxd', ['run', '-config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const url = `http://127.0.0.1:${httpPort}`;
  const database = INFLUXDB.database;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitForPing(url, child, () => output, options.timeoutMs ?? 20_000);
    const created = await fetch(`${url}/query`, {
      method: 'POST',
      body: new URLSearchParams({ q: `CREATE DATABASE "${database}"` }),
    });
    if (!created.ok) throw new Error(`CREATE DATABASE failed: ${created.status} ${await created.text()}`);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    database,
    k6Url: `${url}/${database}`,
    async query(q, epoch = 'ms') {
      const params = new URLSearchParams({ db: database, q, ...(epoch === 'ms' ? { epoch } : {}) });
      const res = await fetch(`${url}/query?${params}`);
      const body = (await res.json()) as { results?: InfluxStatementResult[]; error?: string };
      if (!res.ok || body.error) throw new Error(`InfluxDB ${res.status}: ${body.error ?? ''} for ${q}`);
      const result = body.results?.[0];
      if (!result) throw new Error(`InfluxDB returned no result for ${q}`);
      if (result.error) throw new Error(`InfluxDB: ${result.error} for ${q}`);
      return result;
    },
    async write(lines) {
      const res = await fetch(`${url}/write?${new URLSearchParams({ db: database, precision: 'ns' })}`, {
        method: 'POST',
        body: lines,
      });
      if (res.status !== 204) throw new Error(`InfluxDB write: ${res.status} ${await res.text()}`);
    },
    stop,
  };
}

// --- Line protocol, to record a run as a fixture and load it back ------------------------------

const escapeKey = (s: string) => s.replace(/[,= ]/g, (c) => `\\${c}`);
const escapeMeasurement = (s: string) => s.replace(/[, ]/g, (c) => `\\${c}`);
const quoteString = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** "2026-11-26T21:05:01.302335263Z" -> nanoseconds since the epoch, exactly (as a string). */
function rfc3339ToNs(time: string): string {
  const match = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(time);
  if (!match?.[1]) throw new Error(`not an RFC 3339 UTC time: ${time}`);
  const ms = Date.parse(`${match[1]}Z`);
  return (BigInt(ms) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'))).toString();
}

/**
 * Every point of the given measurements as line protocol, tags and typed fields as InfluxDB
 * stores them, with nanosecond timestamps: k6 writes every sample as its own point, and two
 * samples with the same tags in the same microsecond would collapse into one at a coarser
 * precision (io_completed, a counter of 1s, would then count fewer requests than k6 did).
 */
export async function exportLineProtocol(influx: RunningInfluxDB, measurements: readonly string[]) {
  const lines: string[] = [];
  for (const measurement of measurements) {
    const tagKeys = new Set(
      ((await influx.query(`SHOW TAG KEYS FROM ${quoteIdent(measurement)}`)).series?.[0]?.values ?? []).map(
        (v) => String(v[0]),
      ),
    );
    const fieldTypes = new Map(
      ((await influx.query(`SHOW FIELD KEYS FROM ${quoteIdent(measurement)}`)).series?.[0]?.values ?? []).map(
        (v) => [String(v[0]), String(v[1])] as const,
      ),
    );
    const series = (await influx.query(`SELECT * FROM ${quoteIdent(measurement)}`, 'rfc3339')).series ?? [];
    for (const { columns, values } of series) {
      for (const row of values) {
        const tags: string[] = [];
        const fields: string[] = [];
        columns.forEach((column, i) => {
          const value = row[i];
          if (column === 'time' || value === null || value === undefined) return;
          if (tagKeys.has(column)) tags.push(`${escapeKey(column)}=${escapeKey(String(value))}`);
          else if (fieldTypes.get(column) === 'string')
            fields.push(`${escapeKey(column)}=${quoteString(String(value))}`);
          else if (fieldTypes.get(column) === 'integer') fields.push(`${escapeKey(column)}=${value}i`);
          else fields.push(`${escapeKey(column)}=${value}`);
        });
        const head = [escapeMeasurement(measurement), ...tags.sort()].join(',');
        lines.push(`${head} ${fields.join(',')} ${rfc3339ToNs(String(row[0]))}`);
      }
    }
  }
  return lines;
}

/** Writes line protocol in batches (nanosecond timestamps, as exportLineProtocol makes them). */
export async function loadLineProtocol(influx: RunningInfluxDB, lines: readonly string[], batch = 5000) {
  for (let i = 0; i < lines.length; i += batch) await influx.write(lines.slice(i, i + batch).join('\n'));
}

/** Index of the first unescaped occurrence of one of `stops` in a line-protocol key, from `from`. */
function unescapedIndex(line: string, stops: string, from = 0): number {
  let i = from;
  while (i < line.length && !stops.includes(line[i] ?? '')) i += line[i] === '\\' ? 2 : 1;
  return i;
}

/**
 * The line with these tags added to its series key, after the measurement name (InfluxDB sorts
 * tags itself); a tag the line already has is left as it is.
 */
export function addTags(line: string, tags: Readonly<Record<string, string>>): string {
  const nameEnd = unescapedIndex(line, ', ');
  const keyEnd = unescapedIndex(line, ' ', nameEnd);
  const present = new Set<string>();
  for (let i = nameEnd; i < keyEnd && line[i] === ','; ) {
    const next = unescapedIndex(line, ', ', i + 1);
    const pair = line.slice(i + 1, next);
    present.add(pair.slice(0, unescapedIndex(pair, '=')));
    i = next;
  }
  const extra = Object.entries(tags)
    .filter(([key]) => !present.has(escapeKey(key)))
    .map(([key, value]) => `,${escapeKey(key)}=${escapeKey(value)}`)
    .join('');
  return `${line.slice(0, nameEnd)}${extra}${line.slice(nameEnd)}`;
}
