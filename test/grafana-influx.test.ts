// Every panel of the dashboards run the way Grafana runs it, against a real InfluxDB 1.x
// filled by a real k6 run, and the ratios the dashboards show held against summary.json.
//
// Where the data comes from:
// - k6 on PATH: a live smoke run (`scripts/k6-run.ts --smoke --start`, fresh servers on free
//   ports) streaming into a throwaway influxd, and that run's summary.json;
// - otherwise: test/fixtures/influx-smoke.lp.gz and influx-smoke-summary.json, recorded from
//   such a live run by this very test: RECORD_INFLUX_FIXTURE=1 with k6 on PATH exports the
//   measurements the dashboards read (exportLineProtocol: SELECT * per measurement, tags and
//   typed fields as stored, nanosecond timestamps) and that run's summary.json. Loading it adds
//   testid=fixture to a line without one (a fixture recorded before runs had a testid), so the
//   dashboards' run filter selects it.
// - plus synthetic line protocol (syntheticLines below) for what the recorded run does not
//   have yet: a stream scenario (stream_ttft, stream_tokens), a sweep run (scenario `sweep`,
//   tag `clients`, sweep_k6_cpu_percent), a user target beside the built-ins, and a second
//   run in the same time range that must not leak into the first.
//
// "The way Grafana runs it" is test/helpers/grafana-emulator.ts: Grafana 12.4's InfluxQL
// interpolation, response parsing, template variables and the transformations the dashboards
// use, each tested on hand-made frames in grafana-emulator.test.ts.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Dashboard, Panel } from '@grafana/schema';
import {
  BUILTIN_TARGETS,
  buildDashboards,
  FIELDS,
  type InfluxTarget,
  recommendationMappings,
  type StatCalc,
  VARIABLES,
} from '../grafana/dashboards.ts';
import { readConfig } from '../k6/lib/config.ts';
import { buildPlan } from '../k6/lib/plan.ts';
import { quoteIdent, quoteString } from '../lib/influxql.ts';
import {
  DEFAULT_REFERENCE,
  INFLUXDB,
  METRICS,
  type Phase,
  REQUEST_NAMES,
  SWEEP,
  TAGS,
  TARGETS,
} from '../lib/registry.ts';
import {
  displayName,
  type Frame,
  interpolate,
  panelFrames,
  type QueryContext,
  reduceValues,
  resolveVariables,
  rowsBy,
} from './helpers/grafana-emulator.ts';
import {
  addTags,
  exportLineProtocol,
  influxdSkipReason,
  loadLineProtocol,
  type RunningInfluxDB,
  startInfluxDB,
} from './helpers/influxdb.ts';
import { RECORDED_INFLUX_PLAN } from './helpers/recorded-plan.ts';

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
  METRICS.streamTtft,
  METRICS.streamTokens,
  METRICS.sweepK6CpuPercent,
  METRICS.slotWindowSeconds,
];

/** The run id the recorded fixture gets (it predates the testid tag). */
const FIXTURE_TESTID = 'fixture';

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
  /** The sync target of every speedup (absent in summaries that predate it: express). */
  reference?: string | null;
  testid?: string;
  syncWorkers: number;
  averageSpeedup: number | null;
  maxSpeedup: number | null;
  recommendation: string;
  scenarios: {
    name: string;
    theorySpeedup: number;
    servers: Partial<Record<string, ServerFigures>>;
    speedup: Partial<Record<string, { latency: number | null; throughput: number | null }>>;
  }[];
}

interface Run {
  summary: SummaryJson;
  /** The run's testid: the dashboards' default run. */
  testid: string;
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
      // The plan the recording was made with: recorded samples are read with their windows.
      const plan = buildPlan(
        readConfig({ SYNC_WORKERS: process.env.SYNC_WORKERS || '2', TIME_SCALE: '0.1' }),
      );
      writeFileSync(RECORDED_INFLUX_PLAN, `${JSON.stringify(plan, null, 2)}\n`);
    }
    const range = await dataRange(influx, JSON.parse(summaryText).testid);
    assert.ok(range.from + PADDING_MS >= started - 1000, 'the data is this run’s');
    const summary = JSON.parse(summaryText) as SummaryJson;
    assert.ok(summary.testid, 'the runner gives every run a testid');
    return { summary, testid: summary.testid, ...range, source: 'a live k6 smoke run' };
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
}

async function fixtureRun(influx: RunningInfluxDB): Promise<Run> {
  const lines = gunzipSync(readFileSync(FIXTURE_LP))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => addTags(line, { [TAGS.testid]: FIXTURE_TESTID }));
  await loadLineProtocol(influx, lines);
  const summary = JSON.parse(readFileSync(FIXTURE_SUMMARY, 'utf8')) as SummaryJson;
  const testid = summary.testid ?? FIXTURE_TESTID;
  return { summary, testid, ...(await dataRange(influx, testid)), source: `${lines.length} recorded points` };
}

// --- Synthetic data: what the recorded run does not have yet ------------------------------------
//
// Written in the exact shape the k6 suite emits (k6/suite.ts; every sample also carries the
// run's `testid`): until a fixture recorded from a run with these scenarios replaces them.

/** A user's own server (any name), beside the built-ins: the per-server panels must show it. */
const USER_TARGET = 'my-server';
/** A sweep run in the same time range; sorts before FIXTURE_TESTID, so only the filter keeps it out. */
const SWEEP_TESTID = 'sweep-synthetic';
/** Another suite run in the same time range, with absurd figures: it must not leak. */
const OTHER_TESTID = '20000101-000000';
const SWEEP_N = [1, 2, 5, 10, 20];
/** Sweep targets: express stops after N = 10 (as a sync target past 20 delays does). */
const SWEEP_SERVERS = ['express', 'koa', USER_TARGET];
const STREAM_SCENARIO = 'stream';
const STREAM_SERVERS = ['express', 'koa', USER_TARGET];

interface Synthetic {
  lines: string[];
  /** Expected figures: sweep mean latency, server and k6 CPU, completed; stream TTFT p50 per server. */
  sweepMean: Record<string, Record<number, number>>;
  sweepCompleted: Record<string, Record<number, number>>;
  sweepK6Cpu: Record<string, Record<number, number>>;
  ttftP50: Record<string, number>;
}

const modelOf = (server: string) => (server === 'express' ? 'sync' : 'async');

function line(measurement: string, tags: Record<string, string>, value: number, ns: bigint): string {
  const pairs = Object.entries(tags)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v.replace(/[,= ]/g, (c) => `\\${c}`)}`);
  return `${[measurement, ...pairs].join(',')} value=${value} ${ns}`;
}

function syntheticLines(run: Run): Synthetic {
  const lines: string[] = [];
  let ns = BigInt(run.from + PADDING_MS) * 1_000_000n;
  const next = () => {
    ns += 1_000_000n; // 1 ms apart, so no two points of a series share a timestamp
    return ns;
  };
  const io = { [TAGS.name]: REQUEST_NAMES.io, expected_response: 'true', method: 'GET', status: '200' };
  const out: Synthetic = { lines, sweepMean: {}, sweepCompleted: {}, sweepK6Cpu: {}, ttftP50: {} };

  // The sweep: per N and target, 4 measured /io requests, their completions, CPU samples, and
  // k6's own CPU once per slot (at the window's end).
  for (const n of SWEEP_N) {
    for (const server of SWEEP_SERVERS) {
      if (server === 'express' && n > 10) continue;
      const slot = {
        [TAGS.scenario]: SWEEP.scenario,
        [TAGS.server]: server,
        [TAGS.model]: modelOf(server),
        [TAGS.clients]: String(n),
        [TAGS.testid]: SWEEP_TESTID,
      };
      const base = server === 'express' ? 300 * Math.max(1, n / 2) : 300 + n;
      const latencies = [base - 3, base - 1, base + 1, base + 3];
      for (const ms of latencies) {
        lines.push(line(METRICS.httpReqDuration, { ...slot, ...io, [TAGS.phase]: MEASURE }, ms, next()));
        lines.push(line(METRICS.ioCompleted, slot, 1, next()));
      }
      // Warm-up requests: outside the measured latency.
      lines.push(line(METRICS.httpReqDuration, { ...slot, ...io, [TAGS.phase]: 'warmup' }, 99_999, next()));
      lines.push(line(METRICS.serverCpuPercent, slot, 10 + n, next()));
      lines.push(line(METRICS.serverCpuPercent, slot, 20 + n, next()));
      lines.push(line(METRICS.sweepK6CpuPercent, slot, 5 + n / 10, next()));
      out.sweepMean[server] = { ...out.sweepMean[server], [n]: base };
      out.sweepCompleted[server] = { ...out.sweepCompleted[server], [n]: latencies.length };
      out.sweepK6Cpu[server] = { ...out.sweepK6Cpu[server], [n]: 5 + n / 10 };
    }
  }

  // A stream scenario in the recorded run: TTFT per measured request, tokens per completion.
  for (const [i, server] of STREAM_SERVERS.entries()) {
    const slot = {
      [TAGS.scenario]: STREAM_SCENARIO,
      [TAGS.server]: server,
      [TAGS.model]: modelOf(server),
      [TAGS.testid]: run.testid,
    };
    const ttft = [300 + i, 310 + i, 320 + i];
    for (const ms of ttft) {
      lines.push(line(METRICS.streamTtft, { ...slot, [TAGS.phase]: MEASURE }, ms, next()));
      lines.push(line(METRICS.streamTokens, slot, 50, next()));
    }
    out.ttftP50[server] = 310 + i;
  }

  // A user target in the recorded run's baseline scenario, measured /io requests.
  for (const ms of [501, 502, 503]) {
    const tags = {
      [TAGS.scenario]: 'baseline',
      [TAGS.server]: USER_TARGET,
      [TAGS.model]: 'async',
      [TAGS.testid]: run.testid,
      ...io,
      [TAGS.phase]: MEASURE,
    };
    lines.push(line(METRICS.httpReqDuration, tags, ms, next()));
    lines.push(line(METRICS.httpReqFailed, tags, 0, next()));
  }

  // Another run of the same scenarios and targets in the same range, far off every figure.
  for (const scenario of run.summary.scenarios) {
    for (const server of [...Object.keys(scenario.servers), 'flask']) {
      const slot = {
        [TAGS.scenario]: scenario.name,
        [TAGS.server]: server,
        [TAGS.model]: server === 'flask' || server === 'express' ? 'sync' : 'async',
        [TAGS.testid]: OTHER_TESTID,
      };
      lines.push(line(METRICS.httpReqDuration, { ...slot, ...io, [TAGS.phase]: MEASURE }, 1e6, next()));
      lines.push(line(METRICS.httpReqFailed, { ...slot, ...io, [TAGS.phase]: MEASURE }, 1, next()));
      lines.push(line(METRICS.ioCompleted, slot, 1000, next()));
      lines.push(line(METRICS.serverCpuSeconds, slot, 1000, next()));
    }
    lines.push(
      line(
        METRICS.theorySpeedup,
        { [TAGS.scenario]: scenario.name, [TAGS.testid]: OTHER_TESTID },
        999,
        next(),
      ),
    );
  }
  return out;
}

/** Around the run, as a user would set the dashboard's range to it. */
const PADDING_MS = 60_000;

/** The run's time span (from k6's vus, sampled every second of the run), padded. */
async function dataRange(influx: RunningInfluxDB, testid: string) {
  const run = `WHERE ${quoteIdent(TAGS.testid)} = ${quoteString(testid)}`;
  const first = await influx.query(`SELECT first("value") FROM ${quoteIdent(METRICS.vus)} ${run}`);
  const last = await influx.query(`SELECT last("value") FROM ${quoteIdent(METRICS.vus)} ${run}`);
  const ms = (r: typeof first) => Number(r.series?.[0]?.values[0]?.[0]);
  return { from: ms(first) - PADDING_MS, to: ms(last) + PADDING_MS };
}

// --- The tests ----------------------------------------------------------------------------------

const dashboards = buildDashboards();
type DashboardKey = keyof typeof dashboards;
const panels = (Object.entries(dashboards) as [DashboardKey, Dashboard][]).flatMap(([key, d]) =>
  ((d.panels ?? []) as Panel[]).map((panel) => ({ key, dashboard: d.title ?? '', panel })),
);
const panelTitled = (title: string) => {
  const found = panels.find((p) => p.panel.title === title);
  assert.ok(found, `no panel titled "${title}"`);
  return found.panel;
};

/** The dashboard's figure equals summary.json's (to 1e-9: both are sums of the same samples). */
function assertClose(actual: unknown, expected: number | null | undefined, what: string) {
  assert.equal(typeof actual, 'number', `${what}: the dashboard shows ${actual}`);
  assert.equal(typeof expected, 'number', `${what}: summary.json has ${expected}`);
  const a = actual as number;
  const e = expected as number;
  const allowed = 1e-9 * Math.max(1, Math.abs(e));
  assert.ok(Math.abs(a - e) <= allowed, `${what}: dashboard ${a}, summary.json ${e} (allowed ±${allowed})`);
}

/** Per slot, the /io samples InfluxDB holds: every one k6 counted (see TAGS.vu). */
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
  const bySlot = `GROUP BY ${quoteIdent(TAGS.scenario)}, ${quoteIdent(TAGS.server)}`;
  const run = `${quoteIdent(TAGS.testid)} =~ /^$${VARIABLES.testid}$/`;
  const is = (tag: string, value: string) => `${quoteIdent(tag)} = ${quoteString(value)}`;
  await read(
    `SELECT count("value") FROM ${quoteIdent(METRICS.httpReqDuration)} WHERE ${is(TAGS.name, REQUEST_NAMES.io)} AND ${is(TAGS.phase, MEASURE)} AND ${run} AND $timeFilter ${bySlot}`,
    'requests',
  );
  await read(
    `SELECT sum("value") FROM ${quoteIdent(METRICS.ioCompleted)} WHERE ${run} AND $timeFilter ${bySlot}`,
    'completed',
  );
  return perSlot;
}

const skip =
  influxdSkipReason() ?? (!live && !existsSync(FIXTURE_LP) ? 'no k6 and no recorded fixture' : undefined);

describe('dashboards against a real InfluxDB', { skip }, () => {
  let influx: RunningInfluxDB;
  let run: Run;
  let synthetic: Synthetic;
  /** Per dashboard, its variables as Grafana resolves them on load. */
  const ctxs = {} as Record<DashboardKey, QueryContext>;
  let ctx: QueryContext;
  let reference: string;
  /** The targets the run measured (summary.json), the reference first. */
  let measured: string[];

  before(async () => {
    influx = await startInfluxDB();
    run = live ? await liveRun(influx) : await fixtureRun(influx);
    synthetic = syntheticLines(run);
    await loadLineProtocol(influx, synthetic.lines);
    console.log(`# InfluxDB filled from ${run.source}, plus ${synthetic.lines.length} synthetic points`);
    const base = { from: run.from, to: run.to, maxDataPoints: 1000 };
    for (const [key, dashboard] of Object.entries(dashboards) as [DashboardKey, Dashboard][]) {
      ctxs[key] = { ...base, variables: await resolveVariables(influx, dashboard, base) };
    }
    ctx = ctxs.speedup;
    reference = run.summary.reference ?? DEFAULT_REFERENCE;
    const names = new Set(run.summary.scenarios.flatMap((s) => Object.keys(s.servers)));
    measured = [reference, ...[...names].filter((n) => n !== reference)];
  });

  after(async () => {
    await influx?.stop();
  });

  const frameOf = (panel: Panel, c: QueryContext) => panelFrames(influx, panel, c);
  const tableOf = async (title: string, c: QueryContext = ctx, key: string = FIELDS.scenario) =>
    rowsBy(await frameOf(panelTitled(title), c), key);

  it('selects the newest run by default, and only runs with data for the dashboard', () => {
    for (const key of ['speedup', 'cpu'] as const)
      assert.deepEqual(ctxs[key].variables[VARIABLES.testid], [run.testid], key);
    assert.deepEqual(ctxs.sweep.variables[VARIABLES.testid], [SWEEP_TESTID]);
    assert.deepEqual(ctx.variables[VARIABLES.reference], [DEFAULT_REFERENCE]);
  });

  it('offers every scenario and server of the selected run in the template variables, and only those', () => {
    for (const scenario of run.summary.scenarios)
      assert.ok(ctx.variables[TAGS.scenario]?.includes(scenario.name), scenario.name);
    assert.ok(ctx.variables[TAGS.scenario]?.includes(STREAM_SCENARIO), 'the stream scenario');
    assert.ok(!ctx.variables[TAGS.scenario]?.includes(SWEEP.scenario), 'the sweep is another run');
    assert.deepEqual([...(ctx.variables[TAGS.server] ?? [])].sort(), [...measured, USER_TARGET].sort());
    assert.deepEqual([...(ctxs.sweep.variables[TAGS.server] ?? [])].sort(), [...SWEEP_SERVERS].sort());
  });

  for (const { key, dashboard, panel } of panels) {
    it(`${dashboard} / ${panel.title}: every query returns data, and so does the panel`, async () => {
      const c = ctxs[key];
      const targets = (panel.targets ?? []) as InfluxTarget[];
      const answered = [];
      for (const target of targets) {
        const { series = [] } = await influx.query(interpolate(target.query, c));
        if (series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null))))
          answered.push(target.refId);
      }
      // A built-in target the run did not measure (flask, quart, control here), and the
      // reference's own column, answer nothing; the run's targets and the reference all do.
      for (const target of targets) {
        const builtin = BUILTIN_TARGETS.find((t) => target.refId.endsWith(`_${t}`));
        const expected = builtin ? measured.includes(builtin) && builtin !== reference : true;
        if (builtin && !target.query.includes(`!~ /^$${VARIABLES.reference}$/`))
          assert.equal(answered.includes(target.refId), measured.includes(builtin), target.refId);
        else if (expected)
          assert.ok(answered.includes(target.refId), `${target.refId}: ${interpolate(target.query, c)}`);
      }
      const frames = await frameOf(panel, c);
      const numbers = frames.flatMap((f) =>
        f.fields.filter((x) => x.type === 'number').flatMap((x) => x.values),
      );
      assert.ok(
        numbers.some((v) => typeof v === 'number' && Number.isFinite(v)),
        'the panel has values to draw',
      );
    });
  }

  it('holds every sample k6 counted (each VU tags its own, so none share a point)', async () => {
    const stored = await storedPerSlot(influx, ctx);
    let counted = 0;
    for (const scenario of run.summary.scenarios) {
      for (const [server, f] of Object.entries(scenario.servers)) {
        const s = stored.get(`${scenario.name}/${server}`);
        assert.ok(f && s, `${scenario.name}/${server} in both`);
        assert.equal(s.requests, f.requests, `${scenario.name}/${server}: requests stored vs counted`);
        assert.equal(s.completed, f.completed, `${scenario.name}/${server}: completed stored vs counted`);
        counted += f.requests + f.completed;
      }
    }
    console.log(`# all ${counted} /io samples k6 counted are in InfluxDB`);
  });

  it('shows the latency speedup of summary.json for every scenario and built-in target, and its theory', async () => {
    const table = await tableOf('Latency speedup over the reference, by scenario');
    for (const scenario of run.summary.scenarios) {
      for (const server of BUILTIN_TARGETS) {
        const row = table[scenario.name] ?? {};
        if (server === reference || !scenario.servers[server]) {
          // Not compared with itself, not measured: no bar, and no error.
          assert.ok(!(server in row), `${scenario.name}/${server} has no bar`);
          continue;
        }
        assertClose(row[server], scenario.speedup[server]?.latency, `${scenario.name}/${server}`);
      }
      assertClose(table[scenario.name]?.[FIELDS.theory], scenario.theorySpeedup, `${scenario.name} theory`);
    }
  });

  it('shows the average and the largest speedup of summary.json, and its recommendation', async () => {
    const shown = async (title: string, calc: StatCalc) => {
      const frames = await frameOf(panelTitled(title), ctx);
      assert.equal(frames.length, 1);
      const [frame] = frames as [Frame];
      const fields = frame.fields.filter((f) => f.type === 'number');
      assert.equal(fields.length, 1, `${title}: one number to reduce`);
      // The stat panel's own reduction (reduceOptions.calcs) over the rows.
      return reduceValues(fields[0]?.values ?? [], calc);
    };
    const average = await shown('Average latency speedup', 'mean');
    assertClose(average, run.summary.averageSpeedup, 'average speedup');
    const max = await shown('Largest latency speedup', 'max');
    assertClose(max, run.summary.maxSpeedup, 'largest speedup');

    const value = await shown('Migration recommendation', 'mean');
    const mapping = recommendationMappings().find(
      (m) =>
        m.type === 'range' &&
        (m.options.from ?? Number.NEGATIVE_INFINITY) <= (value ?? Number.NaN) &&
        (value ?? Number.NaN) <= (m.options.to ?? Number.POSITIVE_INFINITY),
    );
    assert.ok(mapping?.type === 'range', `${value} maps to a recommendation`);
    assert.equal(mapping.options.result.text, run.summary.recommendation);
  });

  it('shows the throughput speedup of summary.json for every scenario and built-in target', async () => {
    const table = await tableOf('Throughput speedup over the reference, by scenario');
    for (const scenario of run.summary.scenarios) {
      for (const server of BUILTIN_TARGETS) {
        if (server === reference || !scenario.servers[server]) {
          assert.ok(!(server in (table[scenario.name] ?? {})), `${scenario.name}/${server} has no bar`);
          continue;
        }
        assertClose(
          table[scenario.name]?.[server],
          scenario.speedup[server]?.throughput,
          `${scenario.name}/${server}`,
        );
      }
    }
  });

  it('with a reference the run did not measure, the ratio panels show only the theory, without error', async () => {
    const absent = { ...ctx, variables: { ...ctx.variables, [VARIABLES.reference]: ['flask'] } };
    assert.ok(!measured.includes('flask'), 'this check needs a run without flask');
    const table = await tableOf('Latency speedup over the reference, by scenario', absent);
    for (const scenario of run.summary.scenarios) {
      assert.deepEqual(
        Object.keys(table[scenario.name] ?? {}).sort(),
        [FIELDS.scenario, FIELDS.theory].sort(),
      );
    }
    const frames = await frameOf(panelTitled('Average latency speedup'), absent);
    const values = frames.flatMap((f) =>
      f.fields.filter((x) => x.type === 'number').flatMap((x) => x.values),
    );
    assert.ok(
      values.every((v) => v === null),
      'no speedup to average',
    );
  });

  it('shows the CPU seconds and CPU ms per request of summary.json for every scenario and server', async () => {
    const msTable = await tableOf('CPU ms per request, by scenario', ctxs.cpu);
    const sTable = await tableOf('CPU seconds per slot, by scenario', ctxs.cpu);
    for (const scenario of run.summary.scenarios) {
      for (const [server, f] of Object.entries(scenario.servers)) {
        const where = `${scenario.name}/${server}`;
        assertClose(sTable[scenario.name]?.[server], f?.cpuSeconds, `${where} CPU s`);
        if (!(server in TARGETS)) continue; // CPU per request: built-in targets only
        assertClose(msTable[scenario.name]?.[server], f?.cpuMsPerRequest, `${where} ms/request`);
      }
    }
  });

  it('shows every target of the run in the per-server panels, user targets included', async () => {
    for (const title of ['p50 latency by scenario', 'p95 latency by scenario', 'p99 latency by scenario']) {
      const table = await tableOf(title);
      for (const scenario of run.summary.scenarios) {
        const row = table[scenario.name] ?? {};
        for (const server of Object.keys(scenario.servers))
          assert.equal(typeof row[server], 'number', `${title}: ${scenario.name}/${server}`);
      }
      assert.equal(typeof table.baseline?.[USER_TARGET], 'number', `${title}: the user target`);
    }
    // The p99 of the user target's three synthetic requests: InfluxDB's nearest rank.
    assert.equal((await tableOf('p99 latency by scenario')).baseline?.[USER_TARGET], 503);
    const errors = await tableOf('Error rate by scenario');
    assert.equal(errors.baseline?.[USER_TARGET], 0);
  });

  it('follows the server variable: deselected servers drop out of per-server panels', async () => {
    const panel = panelTitled('p95 latency by scenario');
    const only = { ...ctx, variables: { ...ctx.variables, [TAGS.server]: ['koa'] } };
    const frames = await frameOf(panel, only);
    const names = frames.flatMap((f) => f.fields.map((x) => displayName(x, f, frames)));
    assert.deepEqual(names.sort(), [FIELDS.scenario, 'koa'].sort());
  });

  it('keeps another run in the same time range out of every figure', async () => {
    // The other run has flask, absurd latencies (1000 s), failures and theory 999.
    const p50 = await tableOf('p50 latency by scenario');
    assert.ok(!Object.values(p50).some((row) => 'flask' in row), 'no flask: it was in the other run only');
    for (const row of Object.values(p50))
      for (const [name, v] of Object.entries(row))
        if (name !== FIELDS.scenario)
          assert.ok(v == null || (v as number) < 1e6, `${name}: ${v} is not the other run’s`);
    const speedup = await tableOf('Latency speedup over the reference, by scenario');
    for (const row of Object.values(speedup)) assert.notEqual(row[FIELDS.theory], 999);
    // Picking the other run re-resolves the scenario and server variables, as Grafana does.
    const other = {
      ...ctx,
      variables: await resolveVariables(influx, dashboards.speedup, ctx, {
        [VARIABLES.testid]: [OTHER_TESTID],
      }),
    };
    assert.equal((await tableOf('p50 latency by scenario', other)).baseline?.flask, 1e6);
  });

  it('shows time to first token per stream scenario and server, and tokens per second', async () => {
    // Synthetic stream data (see syntheticLines) until a fixture with a stream scenario is recorded.
    const p50 = await tableOf('Time to first token p50, by stream scenario');
    assert.deepEqual(Object.keys(p50), [STREAM_SCENARIO]);
    for (const server of STREAM_SERVERS)
      assert.equal(p50[STREAM_SCENARIO]?.[server], synthetic.ttftP50[server], server);
    const frames = await frameOf(panelTitled('Tokens per second (streams)'), ctx);
    assert.deepEqual(frames.map((f) => f.name).sort(), [...STREAM_SERVERS].sort());
    const total = frames
      .flatMap((f) => f.fields[1]?.values ?? [])
      .reduce((a: number, v) => a + (v as number), 0);
    assert.equal(total, 50 * 3 * STREAM_SERVERS.length, 'every token, counted once per second it arrived');
  });

  it('draws the sweep against N in numeric order, every target, a stopped target left empty', async () => {
    // Synthetic sweep data (see syntheticLines) until a fixture recorded from a sweep exists.
    const c = ctxs.sweep;
    const order = async (title: string) => {
      const frames = await frameOf(panelTitled(title), c);
      const [frame] = frames as [Frame];
      return frame.fields.find((f) => f.name === TAGS.clients)?.values;
    };
    assert.deepEqual(await order('Mean /io latency vs clients N'), SWEEP_N.map(String));
    const check = async (title: string, expected: Record<string, Record<number, number>>) => {
      const table = await tableOf(title, c, TAGS.clients);
      for (const n of SWEEP_N) {
        for (const server of SWEEP_SERVERS) {
          const want = expected[server]?.[n];
          if (want === undefined)
            assert.equal(table[String(n)]?.[server] ?? null, null, `${title} ${n}/${server}`);
          else assert.equal(table[String(n)]?.[server], want, `${title} ${n}/${server}`);
        }
      }
    };
    await check('Mean /io latency vs clients N', synthetic.sweepMean);
    await check('Completed /io requests per slot vs clients N', synthetic.sweepCompleted);
    await check('k6 (load generator) CPU vs clients N', synthetic.sweepK6Cpu);
    const p50 = await tableOf('p50 /io latency vs clients N', c, TAGS.clients);
    assert.equal(p50['20']?.koa, 300 + 20 - 1, 'median of four: nearest rank, the second');
    const cpu = await tableOf('Server CPU vs clients N', c, TAGS.clients);
    assert.equal(cpu['5']?.[USER_TARGET], 20, 'mean of 15 and 25');
  });
});
