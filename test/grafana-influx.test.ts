// Every panel of both dashboards run the way Grafana runs it, against a real InfluxDB 1.x
// filled by a real k6 run, and the ratios the dashboards show held against summary.json.
//
// Where the data comes from:
// - k6 on PATH: a live smoke run (`scripts/k6-run.ts --smoke --start`, fresh servers on free
//   ports) streaming into a throwaway influxd, and that run's summary.json;
// - otherwise: test/fixtures/influx-smoke.lp.gz and influx-smoke-summary.json, recorded from
//   such a live run by this very test: RECORD_INFLUX_FIXTURE=1 with k6 on PATH exports the
//   measurements the dashboards read (exportLineProtocol: SELECT * per measurement, tags and
//   typed fields as stored, microsecond timestamps) and that run's summary.json.
//
// What "the way Grafana runs it" means here, from Grafana 12.4's source:
// - InfluxQL: `$timeFilter` -> `time >= <from>ms and time <= <to>ms`, `$__interval` from the
//   range and the panel's data points (rangeutil.roundInterval), multi-value variables set to
//   All -> `(a|b|c)` with regex-escaped values (the InfluxDB datasource's interpolation);
// - responses -> data frames as the backend's InfluxQL parser builds them: table format, one
//   frame per query (Time, the tags, then one field per column, each named after its column
//   with displayNameFromDS); time_series format, one frame per series and column;
// - the transformations the dashboards use (joinByField in outerTabular mode, calculateField
//   binary, filterFieldsByName, organize for ordering), with Grafana's field display-name
//   rules. Any other option or rule throws, so an unemulated path cannot pass silently.
//   Checked once against @grafana/data 12.4.3's own transformers on the recorded run: same
//   field names, same values.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Dashboard, Panel, VariableModel } from '@grafana/schema';
import {
  buildDashboards,
  type CalculateFieldOptions,
  FIELDS,
  type FilterFieldsByNameOptions,
  type InfluxTarget,
  type JoinByFieldOptions,
  type OrganizeOptions,
  type ReduceRowOptions,
  recommendationMappings,
  type StatCalc,
  type Transformation,
} from '../grafana/dashboards.ts';
import {
  ASYNC_SERVERS,
  INFLUXDB,
  METRICS,
  type Phase,
  REQUEST_NAMES,
  SERVER_NAMES,
  type ServerName,
  SYNC_SERVER,
  TAGS,
} from '../lib/registry.ts';
import {
  exportLineProtocol,
  type InfluxSeries,
  influxdSkipReason,
  loadLineProtocol,
  type RunningInfluxDB,
  startInfluxDB,
} from './helpers/influxdb.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const MEASURE: Phase = 'measure';
const FIXTURE_LP = join(root, 'test/fixtures/influx-smoke.lp.gz');
const FIXTURE_SUMMARY = join(root, 'test/fixtures/influx-smoke-summary.json');
/** What the dashboards read; the fixture keeps only these. */
const RECORDED = [
  METRICS.httpReqDuration,
  METRICS.httpReqFailed,
  METRICS.ioCompleted,
  METRICS.serverCpuPercent,
  METRICS.serverCpuSeconds,
  METRICS.serverRssBytes,
  METRICS.serverInFlight,
  METRICS.theorySpeedup,
  METRICS.vus,
];

/** The part of summary.json (k6 suite, handleSummary) this test compares with. */
interface ServerFigures {
  avg: number | null;
  min: number | null;
  max: number | null;
  /** /io requests started in the measurement window: the latency sample. */
  requests: number;
  /** /io responses completed in the window: the throughput count. */
  completed: number;
  cpuSeconds: number | null;
  cpuMsPerRequest: number | null;
}

interface SummaryJson {
  syncWorkers: number;
  averageSpeedup: number | null;
  maxSpeedup: number | null;
  recommendation: string;
  scenarios: {
    name: string;
    theorySpeedup: number;
    servers: Partial<Record<ServerName, ServerFigures>>;
    speedup: Partial<Record<ServerName, { latency: number | null; throughput: number | null }>>;
  }[];
}

interface Run {
  summary: SummaryJson;
  from: number;
  to: number;
  source: string;
}

// --- Filling InfluxDB ---------------------------------------------------------------------------

function k6OnPath(): boolean {
  return spawnSync('k6', ['version'], { encoding: 'utf8' }).status === 0;
}

/** INFLUX_FIXTURE_ONLY=1 uses the recorded run even where k6 is installed (a quicker test). */
const live = k6OnPath() && process.env.INFLUX_FIXTURE_ONLY !== '1';

async function liveRun(influx: RunningInfluxDB): Promise<Run> {
  const results = mkdtempSync(join(tmpdir(), 'io-bench-results-'));
  try {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/k6-run.ts', '--smoke', '--start'], {
      cwd: root,
      env: {
        ...process.env,
        [INFLUXDB.urlEnv]: influx.k6Url,
        RESULTS_DIR: results,
        SYNC_WORKERS: process.env.SYNC_WORKERS || '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output = (output + c.toString()).slice(-20_000);
    });
    child.stderr.on('data', (c: Buffer) => {
      output = (output + c.toString()).slice(-20_000);
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const summaryPath = join(results, 'summary.json');
    // A failed speedup check exits 1 but still leaves a complete summary: the figures are compared.
    assert.ok(existsSync(summaryPath), `k6 smoke run (exit ${code}) left no summary.json:\n${output}`);
    const summaryText = readFileSync(summaryPath, 'utf8');
    if (process.env.RECORD_INFLUX_FIXTURE === '1') {
      const lines = await exportLineProtocol(influx, RECORDED);
      mkdirSync(join(root, 'test/fixtures'), { recursive: true });
      writeFileSync(FIXTURE_LP, gzipSync(`${lines.join('\n')}\n`, { level: 9 }));
      writeFileSync(FIXTURE_SUMMARY, summaryText);
    }
    const range = await dataRange(influx);
    assert.ok(range.from + PADDING_MS >= started - 1000, 'the data is this run’s');
    return { summary: JSON.parse(summaryText) as SummaryJson, ...range, source: 'a live k6 smoke run' };
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
}

async function fixtureRun(influx: RunningInfluxDB): Promise<Run> {
  const lines = gunzipSync(readFileSync(FIXTURE_LP)).toString('utf8').split('\n').filter(Boolean);
  await loadLineProtocol(influx, lines);
  const summary = JSON.parse(readFileSync(FIXTURE_SUMMARY, 'utf8')) as SummaryJson;
  return { summary, ...(await dataRange(influx)), source: `${lines.length} recorded points` };
}

/** Around the run, as a user would set the dashboard's range to it. */
const PADDING_MS = 60_000;

/** The run's time span (from k6's vus, sampled every second of the run), padded. */
async function dataRange(influx: RunningInfluxDB) {
  const first = await influx.query(`SELECT first("value") FROM "${METRICS.vus}"`);
  const last = await influx.query(`SELECT last("value") FROM "${METRICS.vus}"`);
  const ms = (r: typeof first) => Number(r.series?.[0]?.values[0]?.[0]);
  return { from: ms(first) - PADDING_MS, to: ms(last) + PADDING_MS };
}

// --- Grafana: queries ---------------------------------------------------------------------------

type FieldType = 'time' | 'number' | 'string' | 'boolean';
interface Field {
  name: string;
  type: FieldType;
  values: unknown[];
  config: { displayName?: string; displayNameFromDS?: string };
  labels?: Record<string, string>;
}
interface Frame {
  name?: string;
  refId?: string;
  fields: Field[];
  length: number;
}

/** rangeutil.roundInterval, the steps the runs here can reach (ms). */
function roundInterval(ms: number): number {
  const steps: [number, number][] = [
    [10, 1],
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1500, 1000],
    [3500, 2000],
    [7500, 5000],
    [12500, 10_000],
    [17500, 15_000],
    [25_000, 20_000],
    [45_000, 30_000],
    [90_000, 60_000],
  ];
  const step = steps.find(([below]) => ms < below);
  if (!step) throw new Error(`interval ${ms} ms: beyond the emulated steps`);
  return step[1];
}

/** What Grafana's InfluxDB datasource does to a multi-value variable set to All. */
function regexAll(values: string[]): string {
  const escaped = values.map((v) => v.replace(/[\\^$*+?.()|{}[\]/]/g, '\\$&'));
  return escaped.length === 1 ? (escaped[0] ?? '') : `(${escaped.join('|')})`;
}

interface QueryContext {
  from: number;
  to: number;
  variables: Record<string, string[]>;
  /** A panel about a thousand pixels wide. */
  maxDataPoints: number;
}

function interpolate(query: string, ctx: QueryContext): string {
  let out = query;
  for (const [name, values] of Object.entries(ctx.variables))
    out = out.replaceAll(`$${name}`, regexAll(values));
  const intervalMs = roundInterval((ctx.to - ctx.from) / ctx.maxDataPoints);
  return out
    .replaceAll('$timeFilter', `time >= ${ctx.from}ms and time <= ${ctx.to}ms`)
    .replaceAll('$__interval_ms', String(intervalMs))
    .replaceAll('$__interval', intervalMs % 1000 === 0 ? `${intervalMs / 1000}s` : `${intervalMs}ms`);
}

function fieldType(values: unknown[]): FieldType {
  const seen = values.find((v) => v !== null);
  if (typeof seen === 'string') return 'string';
  if (typeof seen === 'boolean') return 'boolean';
  return 'number';
}

/** pkg/tsdb/influxdb/influxql/buffered/response_parser.go, table format. */
function tableFrames(series: InfluxSeries[], refId: string): Frame[] {
  const [first] = series;
  if (!first) return [];
  if (first.columns[0] !== 'time') throw new Error('a table without a time column is not emulated');
  const rows = series.flatMap((s) => s.values.map((values) => ({ tags: s.tags ?? {}, values })));
  const fields: Field[] = [{ name: 'Time', type: 'time', values: rows.map((r) => r.values[0]), config: {} }];
  for (const key of Object.keys(first.tags ?? {})) {
    fields.push({
      name: key,
      type: 'string',
      values: rows.map((r) => r.tags[key]),
      config: { displayNameFromDS: key },
    });
  }
  first.columns.slice(1).forEach((column, index) => {
    const values = rows.map((r) => r.values[index + 1] ?? null);
    fields.push({ name: column, type: fieldType(values), values, config: { displayNameFromDS: column } });
  });
  return [{ name: first.name, refId, fields, length: rows.length }];
}

/** Same parser, time_series format: one frame per series and value column, named by the alias. */
function timeSeriesFrames(series: InfluxSeries[], refId: string, alias: string | undefined): Frame[] {
  return series.flatMap((s) =>
    s.columns.slice(1).map((_column, index) => {
      const tags = s.tags ?? {};
      const name = (alias ?? '').replace(/\$(\w+)/g, (_, key: string) => {
        if (key.startsWith('tag_')) return tags[key.slice(4)] ?? '';
        throw new Error(`alias variable $${key} is not emulated`);
      });
      if (!name) throw new Error('frames without an alias are not emulated');
      const time: Field = { name: 'Time', type: 'time', values: s.values.map((v) => v[0]), config: {} };
      const values = s.values.map((v) => v[index + 1] ?? null);
      const value: Field = {
        name: 'Value',
        type: fieldType(values),
        values,
        labels: tags,
        config: { displayNameFromDS: name },
      };
      return { name, refId, fields: [time, value], length: s.values.length };
    }),
  );
}

async function runPanelQueries(influx: RunningInfluxDB, panel: Panel, ctx: QueryContext): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (const target of (panel.targets ?? []) as InfluxTarget[]) {
    const { series = [] } = await influx.query(interpolate(target.query, ctx));
    frames.push(
      ...(target.resultFormat === 'table'
        ? tableFrames(series, target.refId)
        : timeSeriesFrames(series, target.refId, target.alias)),
    );
  }
  return frames;
}

// --- Grafana: field names and transformations ---------------------------------------------------

function formatLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return keys.length ? `{${keys.map((k) => `${k}="${labels[k]}"`).join(', ')}}` : '';
}

function singleLabelName(frames: Frame[]): string | null {
  let single: string | null = null;
  for (const frame of frames) {
    for (const field of frame.fields) {
      for (const key of Object.keys(field.labels ?? {})) {
        if (single === null) single = key;
        else if (key !== single) return null;
      }
    }
  }
  return single;
}

function uniqueFieldName(field: Field, frame: Frame): string {
  let dupes = 0;
  let foundSelf = false;
  for (const other of frame.fields) {
    if (other === field) {
      foundSelf = true;
      if (dupes > 0) {
        dupes++;
        break;
      }
    } else if (other.name === field.name) {
      dupes++;
      if (foundSelf) break;
    }
  }
  return dupes ? `${field.name} ${dupes}` : field.name;
}

/** @grafana/data field/fieldState.ts calculateFieldDisplayName (no time-compare frames here). */
function displayName(field: Field, frame: Frame, allFrames: Frame[]): string {
  if (field.config.displayName) return field.config.displayName;
  if (field.config.displayNameFromDS) return field.config.displayNameFromDS;
  if (field.type === 'time' && !field.labels) return field.name || 'Time';
  const parts: string[] = [];
  const frameNamesDiffer = allFrames.some((f, i) => i > 0 && f.name !== allFrames[i - 1]?.name);
  let frameNameAdded = false;
  let labelsAdded = false;
  if (frameNamesDiffer && frame.name) {
    parts.push(frame.name);
    frameNameAdded = true;
  }
  if (field.name && field.name !== 'Value') parts.push(field.name);
  if (field.labels) {
    const single = singleLabelName(allFrames.length ? allFrames : [frame]);
    if (!single) {
      const all = formatLabels(field.labels);
      if (all) {
        parts.push(all);
        labelsAdded = true;
      }
    } else if (field.labels[single]) {
      parts.push(field.labels[single]);
      labelsAdded = true;
    }
  }
  if (!frameNameAdded && !labelsAdded && field.name === 'Value' && frame.name) parts.push(frame.name);
  const name = parts.length ? parts.join(' ') : field.name || 'Value';
  return name === field.name ? uniqueFieldName(field, frame) : name;
}

/** The byName / byNames field matchers: the field's name or its display name. */
const matchesName = (names: string[], field: Field, frame: Frame, all: Frame[]) =>
  names.includes(field.name) || names.includes(displayName(field, frame, all));

/** joinDataFrames.joinTabular with outer = true. */
function joinTabular(tables: unknown[][][]): unknown[][] {
  let left = tables[0] ?? [];
  for (const right of tables.slice(1)) {
    const index = new Map<string, number[]>();
    (right[0] ?? []).forEach((key, i) => {
      index.set(String(key), [...(index.get(String(key)) ?? []), i]);
    });
    const rows: [number | null, number | null][] = [];
    const matchedKeys = new Set<string>();
    const unmatchedLeft: number[] = [];
    (left[0] ?? []).forEach((key, i) => {
      const matches = key == null ? undefined : index.get(String(key));
      if (matches) {
        for (const r of matches) rows.push([i, r]);
        matchedKeys.add(String(key));
      } else unmatchedLeft.push(i);
    });
    for (const i of unmatchedLeft) rows.push([i, null]);
    for (const [key, matches] of index)
      if (!matchedKeys.has(key)) for (const r of matches) rows.push([null, r]);
    const joined: unknown[][] = [];
    left.forEach((column, c) => {
      joined.push(
        rows.map(([l, r]) => (l === null ? (c === 0 && r !== null ? right[0]?.[r] : null) : column[l])),
      );
    });
    right.slice(1).forEach((column) => {
      joined.push(rows.map(([, r]) => (r === null ? null : column[r])));
    });
    left = joined;
  }
  return left;
}

function joinByField(frames: Frame[], options: JoinByFieldOptions): Frame[] {
  if (frames.length <= 1) return frames;
  if (options.mode !== 'outerTabular') throw new Error(`joinByField mode ${options.mode} is not emulated`);
  const tables: unknown[][][] = [];
  const fields: Field[] = [];
  for (const frame of frames) {
    if (!frame.fields.length) continue;
    let key: Field | undefined;
    const others: Field[] = [];
    for (const field of frame.fields) {
      if (!key && matchesName([options.byField], field, frame, frames)) {
        key = field;
        continue;
      }
      let labels = field.labels ?? {};
      let name = field.name;
      if (frame.name) {
        if (field.name === 'Value') name = frame.name;
        else if (labels.name == null) labels = { ...labels, name: frame.name };
      }
      others.push({ ...field, name, labels });
    }
    if (!key) continue;
    if (!fields.length) fields.push(key);
    fields.push(...others);
    tables.push([key.values, ...others.map((f) => f.values)]);
  }
  const joined = joinTabular(tables);
  return [
    {
      refId: `joinByField-${frames.map((f) => f.refId).join('-')}`,
      length: joined[0]?.length ?? 0,
      fields: fields.map((f, i) => ({ ...f, values: joined[i] ?? [] })),
    },
  ];
}

/** fieldReducer.doStandardCalcs for mean and max, nulls neither ignored nor zero (the defaults). */
function reduceValues(values: unknown[], calc: StatCalc): number | null {
  const numbers = values.filter((v): v is number => v != null && !Number.isNaN(v));
  if (!numbers.length) return null;
  return calc === 'mean' ? numbers.reduce((a, b) => a + b, 0) / numbers.length : Math.max(...numbers);
}

function calculateField(frames: Frame[], options: CalculateFieldOptions | ReduceRowOptions): Frame[] {
  if (options.timeSeries !== false) throw new Error('only timeSeries: false is emulated');
  if (options.mode === 'reduceRow') {
    return frames.map((frame) => {
      const columns = frame.fields.filter((f) => matchesName(options.reduce.include, f, frame, frames));
      const values = Array.from({ length: frame.length }, (_, row) =>
        reduceValues(
          columns.map((c) => c.values[row]),
          options.reduce.reducer,
        ),
      );
      const field: Field = {
        name: options.alias,
        type: 'number',
        values,
        config: { displayName: options.alias },
      };
      return { ...frame, fields: [...frame.fields, field] };
    });
  }
  const operations: Record<string, (a: number, b: number) => number> = {
    '+': (a, b) => a + b,
    '-': (a, b) => a - b,
    '*': (a, b) => a * b,
    '/': (a, b) => a / b,
  };
  const operation = operations[options.binary.operator];
  if (!operation) throw new Error(`operator ${options.binary.operator}`);
  return frames.map((frame) => {
    const find = (name: string) =>
      frame.fields.find((f) => name === displayName(f, frame, frames))?.values as number[] | undefined;
    const left = find(options.binary.left.matcher.options);
    const right = find(options.binary.right.matcher.options);
    if (!left || !right) return frame;
    const values = left.map((l, i) => operation(l, right[i] as number));
    const field: Field = {
      name: options.alias,
      type: 'number',
      values,
      config: { displayName: options.alias },
    };
    return { ...frame, fields: [...frame.fields, field] };
  });
}

function filterFieldsByName(frames: Frame[], options: FilterFieldsByNameOptions): Frame[] {
  return frames
    .map((frame) => ({
      ...frame,
      fields: frame.fields.filter((f) => matchesName(options.include.names, f, frame, frames)),
    }))
    .filter((frame) => frame.fields.length > 0);
}

/** "Organize fields" used only to order: its filter and rename steps are no-ops when empty. */
function organize(frames: Frame[], options: OrganizeOptions): Frame[] {
  const unused = [options.excludeByName, options.includeByName, options.renameByName];
  if (unused.some((o) => Object.keys(o ?? {}).length > 0))
    throw new Error('organize: only indexByName is emulated');
  const index = (name: string) => {
    const i = options.indexByName[name];
    return Number.isInteger(i) ? (i as number) : Number.MAX_SAFE_INTEGER;
  };
  return frames.map((frame) => ({
    ...frame,
    // Array.prototype.sort is stable, as Grafana's order transformer relies on.
    fields: [...frame.fields].sort(
      (a, b) => index(displayName(a, frame, frames)) - index(displayName(b, frame, frames)),
    ),
  }));
}

function transform(frames: Frame[], transformations: Transformation[]): Frame[] {
  return transformations.reduce((data, t) => {
    if (t.disabled) return data;
    if (t.id === 'joinByField') return joinByField(data, t.options);
    if (t.id === 'calculateField') return calculateField(data, t.options);
    if (t.id === 'filterFieldsByName') return filterFieldsByName(data, t.options);
    if (t.id === 'organize') return organize(data, t.options);
    throw new Error(`transformation ${(t as { id: string }).id} is not emulated`);
  }, frames);
}

/** A panel's final table as { scenario -> { display name -> value } }. */
function byScenario(frames: Frame[]): Record<string, Record<string, unknown>> {
  assert.equal(frames.length, 1, 'one joined table');
  const [frame] = frames as [Frame];
  const names = frame.fields.map((f) => displayName(f, frame, frames));
  const scenario = frame.fields[names.indexOf(FIELDS.scenario)];
  assert.ok(scenario, 'the table has a scenario column');
  const out: Record<string, Record<string, unknown>> = {};
  for (let row = 0; row < frame.length; row++) {
    out[String(scenario.values[row])] = Object.fromEntries(
      frame.fields.map((f, i) => [names[i], f.values[row]]),
    );
  }
  return out;
}

// --- The tests ----------------------------------------------------------------------------------

const dashboards = buildDashboards();
const panels = Object.values(dashboards).flatMap((d: Dashboard) =>
  ((d.panels ?? []) as Panel[]).map((panel) => ({ dashboard: d.title ?? '', panel })),
);
const panelTitled = (title: string) => {
  const found = panels.find((p) => p.panel.title === title);
  assert.ok(found, `no panel titled "${title}"`);
  return found.panel;
};

/**
 * The dashboard's figure equals summary.json's, exactly (1e-9) when InfluxDB holds every sample
 * k6 counted, else within `tolerance`, which the caller derives from the samples missing.
 */
function assertClose(actual: unknown, expected: number | null | undefined, what: string, tolerance = 0) {
  assert.equal(typeof actual, 'number', `${what}: the dashboard shows ${actual}`);
  assert.equal(typeof expected, 'number', `${what}: summary.json has ${expected}`);
  const a = actual as number;
  const e = expected as number;
  const allowed = tolerance + 1e-9 * Math.max(1, Math.abs(e));
  assert.ok(Math.abs(a - e) <= allowed, `${what}: dashboard ${a}, summary.json ${e} (allowed ±${allowed})`);
}

/**
 * Samples k6 counted that InfluxDB does not hold. k6 now and then gives two samples of one
 * series the same nanosecond timestamp, and InfluxDB keeps one point per series and time
 * (k6 issue #636); k6's own summary counts both.
 */
interface Stored {
  requests: number;
  completed: number;
}

async function storedPerSlot(influx: RunningInfluxDB, ctx: QueryContext): Promise<Map<string, Stored>> {
  const perSlot = new Map<string, Stored>();
  const read = async (query: string, key: keyof Stored) => {
    const { series = [] } = await influx.query(interpolate(query, ctx));
    for (const s of series) {
      const slot = `${s.tags?.[TAGS.scenario]}/${s.tags?.[TAGS.server]}`;
      const entry = perSlot.get(slot) ?? { requests: 0, completed: 0 };
      entry[key] = Number(s.values[0]?.[1] ?? 0);
      perSlot.set(slot, entry);
    }
  };
  const bySlot = `GROUP BY "${TAGS.scenario}", "${TAGS.server}"`;
  await read(
    `SELECT count("value") FROM "${METRICS.httpReqDuration}" WHERE "${TAGS.name}" = '${REQUEST_NAMES.io}' AND "${TAGS.phase}" = '${MEASURE}' AND $timeFilter ${bySlot}`,
    'requests',
  );
  await read(`SELECT sum("value") FROM "${METRICS.ioCompleted}" WHERE $timeFilter ${bySlot}`, 'completed');
  return perSlot;
}

/** How far a mean of n samples can move when `lost` of them are dropped, relative to the mean. */
function meanShift(f: ServerFigures | undefined, lost: number): number {
  if (!f || lost === 0) return 0;
  if (f.avg === null || f.min === null || f.max === null || f.requests <= lost)
    return Number.POSITIVE_INFINITY;
  return (lost * (f.max - f.min)) / ((f.requests - lost) * f.avg);
}

/** How far a count ratio can move when `lost` of `n` are dropped, relative. */
const countShift = (n: number, lost: number) => (lost === 0 ? 0 : lost / (n - lost));

const skip =
  influxdSkipReason() ?? (!live && !existsSync(FIXTURE_LP) ? 'no k6 and no recorded fixture' : undefined);

describe('dashboards against a real InfluxDB', { skip }, () => {
  let influx: RunningInfluxDB;
  let run: Run;
  let ctx: QueryContext;

  before(async () => {
    influx = await startInfluxDB();
    run = live ? await liveRun(influx) : await fixtureRun(influx);
    console.log(`# InfluxDB filled from ${run.source}`);
    const variables: Record<string, string[]> = {};
    for (const variable of (Object.values(dashboards)[0]?.templating?.list ?? []) as VariableModel[]) {
      const { series = [] } = await influx.query(String(variable.query));
      // SHOW TAG VALUES answers [key, value] rows; Grafana offers the values.
      variables[variable.name] = series.flatMap((s) => s.values.map((v) => String(v[1])));
    }
    ctx = { from: run.from, to: run.to, variables, maxDataPoints: 1000 };
  });

  after(async () => {
    await influx?.stop();
  });

  it('offers every scenario and server of the run in the template variables', () => {
    for (const scenario of run.summary.scenarios)
      assert.ok(ctx.variables[TAGS.scenario]?.includes(scenario.name));
    assert.deepEqual([...(ctx.variables[TAGS.server] ?? [])].sort(), [...SERVER_NAMES].sort());
  });

  for (const { dashboard, panel } of panels) {
    it(`${dashboard} / ${panel.title}: every query returns data, and so does the panel`, async () => {
      for (const target of (panel.targets ?? []) as InfluxTarget[]) {
        const { series = [] } = await influx.query(interpolate(target.query, ctx));
        assert.ok(
          series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null))),
          `${target.refId} returned nothing: ${interpolate(target.query, ctx)}`,
        );
      }
      const frames = transform(
        await runPanelQueries(influx, panel, ctx),
        (panel.transformations ?? []) as Transformation[],
      );
      const numbers = frames.flatMap((f) =>
        f.fields.filter((x) => x.type === 'number').flatMap((x) => x.values),
      );
      assert.ok(
        numbers.some((v) => typeof v === 'number' && Number.isFinite(v)),
        'the panel has values to draw',
      );
    });
  }

  it('holds every sample k6 counted, but the rare ones that shared a timestamp', async () => {
    const stored = await storedPerSlot(influx, ctx);
    let counted = 0;
    let lost = 0;
    for (const scenario of run.summary.scenarios) {
      for (const server of SERVER_NAMES) {
        const f = scenario.servers[server];
        const s = stored.get(`${scenario.name}/${server}`);
        assert.ok(f && s, `${scenario.name}/${server} in both`);
        for (const [k6, influxCount, what] of [
          [f.requests, s.requests, 'requests'],
          [f.completed, s.completed, 'completed'],
        ] as const) {
          assert.ok(influxCount <= k6, `${scenario.name}/${server}: more ${what} stored than counted`);
          assert.ok(k6 - influxCount <= Math.max(2, 0.01 * k6), `${scenario.name}/${server}: ${what} lost`);
          counted += k6;
          lost += k6 - influxCount;
        }
      }
    }
    assert.ok(lost <= 0.001 * counted, `${lost} of ${counted} samples missing`);
    console.log(`# ${lost} of ${counted} /io samples share a timestamp with another and are not in InfluxDB`);
  });

  it('shows the latency speedup of summary.json for every scenario, and its theory', async () => {
    const panel = panelTitled('Latency speedup over express, by scenario');
    const table = byScenario(
      transform(await runPanelQueries(influx, panel, ctx), panel.transformations as Transformation[]),
    );
    const stored = await storedPerSlot(influx, ctx);
    const lost = (scenario: string, server: ServerName, f: ServerFigures | undefined) =>
      meanShift(f, (f?.requests ?? 0) - (stored.get(`${scenario}/${server}`)?.requests ?? 0));
    for (const scenario of run.summary.scenarios) {
      const sync = scenario.servers[SYNC_SERVER];
      for (const server of ASYNC_SERVERS) {
        const expected = scenario.speedup[server]?.latency;
        const shift =
          lost(scenario.name, SYNC_SERVER, sync) + lost(scenario.name, server, scenario.servers[server]);
        assertClose(
          table[scenario.name]?.[server],
          expected,
          `${scenario.name}/${server}`,
          (expected ?? 0) * shift,
        );
      }
      assertClose(table[scenario.name]?.[FIELDS.theory], scenario.theorySpeedup, `${scenario.name} theory`);
    }
  });

  it('shows the average and the largest speedup of summary.json, and its recommendation', async () => {
    const stored = await storedPerSlot(influx, ctx);
    // Each pair's speedup may move by its slots' lost samples; the average and max by the most.
    let shift = 0;
    for (const scenario of run.summary.scenarios) {
      const lost = (server: ServerName) =>
        meanShift(
          scenario.servers[server],
          (scenario.servers[server]?.requests ?? 0) -
            (stored.get(`${scenario.name}/${server}`)?.requests ?? 0),
        );
      for (const server of ASYNC_SERVERS) shift = Math.max(shift, lost(SYNC_SERVER) + lost(server));
    }
    const shown = async (title: string, calc: StatCalc) => {
      const panel = panelTitled(title);
      const frames = transform(
        await runPanelQueries(influx, panel, ctx),
        panel.transformations as Transformation[],
      );
      assert.equal(frames.length, 1);
      const [frame] = frames as [Frame];
      const fields = frame.fields.filter((f) => f.type === 'number');
      assert.equal(fields.length, 1, `${title}: one number to reduce`);
      // The stat panel's own reduction (reduceOptions.calcs) over the rows.
      return reduceValues(fields[0]?.values ?? [], calc);
    };
    const average = await shown('Average latency speedup', 'mean');
    const expected = run.summary.averageSpeedup;
    assertClose(average, expected, 'average speedup', (expected ?? 0) * shift);
    const max = await shown('Largest latency speedup', 'max');
    assertClose(max, run.summary.maxSpeedup, 'largest speedup', (run.summary.maxSpeedup ?? 0) * shift);

    const value = await shown('Migration recommendation', 'mean');
    const mapping = recommendationMappings().find(
      (m) =>
        m.type === 'range' &&
        (m.options.from ?? Number.NEGATIVE_INFINITY) <= (value ?? Number.NaN) &&
        (value ?? Number.NaN) <= (m.options.to ?? Number.POSITIVE_INFINITY),
    );
    assert.ok(mapping?.type === 'range');
    assert.equal(mapping.options.result.text, run.summary.recommendation);
  });

  it('shows the throughput speedup of summary.json for every scenario', async () => {
    const panel = panelTitled('Throughput speedup over express, by scenario');
    const table = byScenario(
      transform(await runPanelQueries(influx, panel, ctx), panel.transformations as Transformation[]),
    );
    const stored = await storedPerSlot(influx, ctx);
    const shift = (scenario: string, server: ServerName, n = 0) =>
      countShift(n, n - (stored.get(`${scenario}/${server}`)?.completed ?? 0));
    for (const scenario of run.summary.scenarios) {
      for (const server of ASYNC_SERVERS) {
        const expected = scenario.speedup[server]?.throughput;
        const tolerance =
          (expected ?? 0) *
          (shift(scenario.name, SYNC_SERVER, scenario.servers[SYNC_SERVER]?.completed) +
            shift(scenario.name, server, scenario.servers[server]?.completed));
        assertClose(table[scenario.name]?.[server], expected, `${scenario.name}/${server}`, tolerance);
      }
    }
  });

  it('shows the CPU seconds and CPU ms per request of summary.json for every scenario and server', async () => {
    const perRequest = panelTitled('CPU ms per request, by scenario');
    const seconds = panelTitled('CPU seconds per slot, by scenario');
    const msTable = byScenario(
      transform(
        await runPanelQueries(influx, perRequest, ctx),
        perRequest.transformations as Transformation[],
      ),
    );
    const sTable = byScenario(
      transform(await runPanelQueries(influx, seconds, ctx), seconds.transformations as Transformation[]),
    );
    const stored = await storedPerSlot(influx, ctx);
    for (const scenario of run.summary.scenarios) {
      for (const server of SERVER_NAMES) {
        const f = scenario.servers[server];
        const where = `${scenario.name}/${server}`;
        assertClose(sTable[scenario.name]?.[server], f?.cpuSeconds, `${where} CPU s`);
        const lost = (f?.completed ?? 0) - (stored.get(where)?.completed ?? 0);
        const tolerance = (f?.cpuMsPerRequest ?? 0) * countShift(f?.completed ?? 0, lost);
        assertClose(msTable[scenario.name]?.[server], f?.cpuMsPerRequest, `${where} ms/request`, tolerance);
      }
    }
  });

  it('follows the server variable: deselected servers drop out of per-server panels', async () => {
    const panel = panelTitled('p95 latency by scenario');
    const only = { ...ctx, variables: { ...ctx.variables, [TAGS.server]: ['koa'] } };
    const frames = transform(
      await runPanelQueries(influx, panel, only),
      panel.transformations as Transformation[],
    );
    const names = frames.flatMap((f) => f.fields.map((x) => displayName(x, f, frames)));
    assert.deepEqual(names.sort(), [FIELDS.scenario, 'koa'].sort());
  });
});
