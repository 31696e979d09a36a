// End to end with the real k6 (skipped, saying why, when k6 is not on PATH): the smoke forms
// of the concurrency sweep, of the variable-IO scenarios, of a run split over two k6
// processes whose summary is rebuilt from a real InfluxDB, checked against a single-process
// run's own end-of-test summary, and of a black-box gateway's IO measured per request.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Summary } from '../k6/lib/summary.ts';
import type { SweepResult } from '../k6/lib/sweep.ts';
import { freePort } from '../scripts/free-port.ts';
import { findOnPath } from '../scripts/k6-process.ts';
import { buildReport } from '../scripts/report.ts';
import { DEFAULT_PYTHON } from '../servers/launch.ts';
import { influxdSkipReason, type RunningInfluxDB, startInfluxDB } from './helpers/influxdb.ts';
import { type Collected, spawnCollecting } from './helpers/processes.ts';
import { ROOT, spawnRunner } from './helpers/runner.ts';
import { useServers, waitFor } from './helpers/servers.ts';

const k6 = findOnPath('k6');
const NO_K6 = k6 ? false : 'skipped: k6 is not on PATH (install k6 to run it)';
const read = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

describe('k6:sweep --smoke end to end', { skip: NO_K6 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-sweep-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('measures every target at N = 1, 10, 100, with k6’s own CPU at each point', {
    timeout: 240_000,
  }, async () => {
    // Run time is a figure the runner prints and the README records, not a test: a busy
    // machine makes a correct run slower.
    const run = spawnRunner(['--sweep', '--smoke', '--start'], {
      RESULTS_DIR: dir,
      INFLUXDB_URL: 'http://127.0.0.1:9/k6',
    });
    const code = await run.exited;
    const out = run.output();
    assert.equal(code, 0, out.slice(-3000));
    assert.match(out, /\[k6\] slot 12\/12 sweep\/control: 100 VUs/);
    assert.match(out, /Knee koa: /);
    const sweep = read<SweepResult>(path.join(dir, 'sweep.json'));
    for (const name of ['express', 'koa', 'fastify', 'control']) {
      const points = sweep.points.filter((p) => p.server === name);
      assert.deepEqual(
        points.map((p) => p.clients),
        [1, 10, 100],
        name,
      );
      for (const p of points) {
        assert.ok(p.requests > 0 && (p.rps ?? 0) > 0, `${name}@${p.clients}`);
        assert.equal(typeof p.k6CpuPercent, 'number', `${name}@${p.clients} k6 CPU`);
        assert.equal(typeof p.machineBusyPercent, 'number');
      }
    }
    // The sync target at N = 10 (W = the CPU count) waits its queue: several delays, as the theory says.
    const e10 = sweep.points.find((p) => p.server === 'express' && p.clients === 10);
    assert.ok(e10?.avg && e10.avg > 0.8 * e10.theoryLatencyMs, JSON.stringify(e10));
    assert.ok(existsSync(path.join(dir, 'report.html')));
    assert.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), /Concurrency sweep/);
  });
});

describe('variable IO smoke end to end', { skip: NO_K6 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-profiles-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs llm, db and stream: mean against theory, tail ratios, time to first token', {
    timeout: 240_000,
  }, async () => {
    const run = spawnRunner(['--smoke', '--start', '--scenarios', 'llm,db,stream'], {
      RESULTS_DIR: dir,
      INFLUXDB_URL: 'http://127.0.0.1:9/k6',
    });
    const code = await run.exited;
    const out = run.output();
    assert.equal(code, 0, out.slice(-3000));
    assert.match(out, /Variable IO: mean against the theory/);
    const summary = read<Summary>(path.join(dir, 'summary.json'));
    assert.deepEqual(
      summary.scenarios.map((s) => s.name),
      ['llm', 'db', 'stream'],
    );
    for (const s of summary.scenarios) {
      for (const name of ['express', 'koa', 'fastify']) {
        const f = s.servers[name];
        assert.ok(f && f.requests > 0 && f.errorRate === 0, `${s.name}/${name}`);
        assert.ok((f.p99 ?? 0) >= (f.p50 ?? Number.POSITIVE_INFINITY), `${s.name}/${name} p99 >= p50`);
      }
      assert.equal(typeof s.speedup.koa?.tail.p99, 'number');
    }
    const stream = summary.scenarios.find((s) => s.name === 'stream');
    const koa = stream?.servers.koa;
    // Tokens flowed, and the first one came after its delay, not with the headers of the stream.
    assert.ok((koa?.tokensPerSecond ?? 0) > 0);
    assert.ok((koa?.ttftP50 ?? 0) >= 0.5 * (stream?.delaySeconds ?? 0) * 1000, JSON.stringify(koa));
    // The sync server's worker is held for the whole stream: its streams wait in its queue.
    assert.ok((stream?.servers.express?.avg ?? 0) > 1.5 * (koa?.avg ?? Number.POSITIVE_INFINITY));
  });
});

describe('--instances 2 end to end with InfluxDB', { skip: NO_K6 || influxdSkipReason() || false }, () => {
  let influx: RunningInfluxDB;
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-instances-'));
  before(async () => {
    influx = await startInfluxDB();
  });
  after(async () => {
    await influx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a single-process run: the summary from InfluxDB equals the one k6 wrote', {
    timeout: 240_000,
  }, async () => {
    const own = path.join(dir, 'single');
    const run = spawnRunner(['--smoke', '--start', '--scenarios', 'low,high'], {
      RESULTS_DIR: own,
      INFLUXDB_URL: influx.k6Url,
      TESTID: 'e2e-single',
    });
    assert.equal(await run.exited, 0, run.output().slice(-3000));
    const fromK6 = read<Summary>(path.join(own, 'summary.json'));
    const outcome = await buildReport(
      { testid: 'e2e-single', resultsDir: path.join(dir, 'rebuilt') },
      { INFLUXDB_URL: influx.k6Url },
    );
    const fromInflux = read<Summary>(path.join(dir, 'rebuilt', 'summary.json'));
    assert.equal(outcome.code, 0);
    for (const s of fromK6.scenarios) {
      const r = fromInflux.scenarios.find((x) => x.name === s.name);
      for (const [name, f] of Object.entries(s.servers)) {
        const g = r?.servers[name];
        assert.ok(g, `${s.name}/${name}`);
        assert.equal(g.requests, f.requests, `${s.name}/${name} requests`);
        assert.equal(g.completed, f.completed, `${s.name}/${name} completed`);
        // InfluxDB stores what k6 sent; k6's own percentiles come from the same samples.
        for (const key of ['p50', 'p95', 'avg'] as const) {
          assert.ok(
            Math.abs((g[key] ?? 0) - (f[key] ?? 0)) < 0.01 * (f[key] ?? 1) + 0.01,
            `${s.name}/${name} ${key}: ${g[key]} vs ${f[key]}`,
          );
        }
      }
    }
  });

  it('two processes on execution segments: one summary, every slot covered, the sampler once', {
    timeout: 300_000,
  }, async () => {
    const own = path.join(dir, 'two');
    const run = spawnRunner(['--smoke', '--start', '--instances', '2', '--scenarios', 'baseline,low,high'], {
      RESULTS_DIR: own,
      INFLUXDB_URL: influx.k6Url,
      TESTID: 'e2e-two',
      // 3 s slots at a tenth: the start-spread allowance, 2% of the shortest window, is then
      // 58 ms (12 s slots would give an async window of 1.1 s, 22 ms, which two processes' setup()
      // can miss on a busy machine without anything being wrong).
      SLOT_SECONDS: '30',
    });
    const code = await run.exited;
    const out = run.output();
    assert.equal(code, 0, out.slice(-4000));
    assert.match(out, /2 k6 processes, segments 0:1\/2 1\/2:1/);
    assert.match(out, /from 2 load generator\(s\) \(1, 2\), 2 expected/);
    assert.match(out, /9 of 9 slots hold samples from every instance that ran their VUs/);
    // Both processes' slots start together: their setup() ends within 2% of a window.
    assert.match(out, /the load generators started their slots within \d+ ms of each other/);
    assert.match(out, /CPU sampler: samples from instance\(s\) 1 \(expected 1 only\)/);
    // The sampler went through every tick of the plan once, on one process: each slot was announced.
    for (let i = 1; i <= 9; i++) assert.match(out, new RegExp(`\\[k6\\] slot ${i}/9 `), `slot ${i}/9`);
    const summary = read<Summary & { source: { instances: string[] } }>(path.join(own, 'summary.json'));
    assert.deepEqual(summary.source.instances, ['1', '2']);
    for (const s of summary.scenarios) {
      for (const [name, sp] of Object.entries(s.speedup)) {
        assert.ok(
          sp.latencyVsTheory !== null && Math.abs(sp.latencyVsTheory - 1) < 0.2,
          `${s.name}/${name}: ${sp.latencyVsTheory}`,
        );
      }
    }
  });
});

// The sync LLM gateway of examples/ as it is: Gunicorn, requests, its base URL pointed at the
// upstream. It names no delay, so it waits what the suite sets on the upstream for each slot.
const GATEWAY_MODULES = ['flask', 'gunicorn', 'requests'];
const pythonLacksGateway = (): string | false => {
  const probe = spawnSync(DEFAULT_PYTHON, ['-c', `import ${GATEWAY_MODULES.join(', ')}`]);
  return probe.status === 0
    ? false
    : `skipped: ${DEFAULT_PYTHON} cannot import ${GATEWAY_MODULES.join(', ')}`;
};

describe('a black-box gateway in a smoke run', { skip: NO_K6 || pythonLacksGateway() }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-io-'));
  const upstream = useServers({ only: ['upstream'] });
  let gateway: Collected | undefined;
  let url = '';
  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gateway = spawnCollecting(DEFAULT_PYTHON, ['-m', 'gunicorn', 'flask_app:app'], {
      cwd: path.join(ROOT, 'examples', 'llm-gateway'),
      detached: true, // its own process group: stopping it reaches Gunicorn's workers
      env: Object.assign({}, process.env, {
        OPENAI_BASE_URL: `${upstream.urls.upstream}/v1`,
        PORT: String(port),
        WEB_CONCURRENCY: '2',
      }),
    });
    await waitFor(
      () =>
        fetch(url).then(
          (r) => r.arrayBuffer().then(() => true),
          () => undefined,
        ),
      30_000,
      'the gateway',
    );
  });
  after(() => {
    if (gateway?.child.pid) process.kill(-gateway.child.pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits the slot’s IO: one upstream call per request, of the slot’s delay', {
    timeout: 240_000,
  }, async () => {
    const target = `gw=${url};model=sync;workers=2;path=/ask;method=POST;body=@examples/llm-gateway/ask.json`;
    const run = spawnRunner(['--smoke', '--scenarios', 'low,medium'], {
      RESULTS_DIR: dir,
      TARGETS: target,
      UPSTREAM_URL: upstream.urls.upstream,
      INFLUXDB_URL: 'http://127.0.0.1:9/k6',
    });
    const code = await run.exited;
    assert.equal(code, 0, run.output().slice(-3000));
    const summary = read<Summary>(path.join(dir, 'summary.json'));
    assert.equal(summary.scenarios.length, 2);
    for (const s of summary.scenarios) {
      const gw = s.servers.gw;
      assert.ok(gw && gw.requests > 0, s.name);
      assert.ok(
        Math.abs((gw.ioCallsPerRequest ?? 0) - 1) < 0.02,
        `${s.name}: ${gw.ioCallsPerRequest} calls/request`,
      );
      // Each scenario's own delay (they differ), not the upstream's default of none.
      const seconds = gw.ioSecondsPerRequest ?? 0;
      assert.ok(
        Math.abs(seconds - s.delaySeconds) < 0.02 * s.delaySeconds,
        `${s.name}: ${seconds} s vs ${s.delaySeconds} s`,
      );
    }
  });
});
