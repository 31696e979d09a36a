// Faults on the measuring side: the metrics store going away in the middle of a run must cost
// the user the live dashboards, never the run or its local results; a server that cannot do
// its job, or dies, must stop the run with a line that names it.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Summary } from '../k6/lib/summary.ts';
import { findOnPath } from '../scripts/k6-process.ts';
import { startServers } from '../servers/launch.ts';
import { influxdSkipReason, type RunningInfluxDB, startInfluxDB } from './helpers/influxdb.ts';
import { spawnRunner } from './helpers/runner.ts';
import { waitFor } from './helpers/servers.ts';

const k6 = findOnPath('k6');
const noK6 = k6 ? undefined : 'skipped: k6 is not on PATH (install k6 to run it)';
const skip = noK6 ?? influxdSkipReason();

describe('InfluxDB stopped in the middle of a k6 run', { skip }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-influx-fault-'));
  let influx: RunningInfluxDB | undefined;
  after(async () => {
    await influx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('k6 finishes, exits 0 and leaves its local results whole', { timeout: 120_000 }, async () => {
    influx = await startInfluxDB();
    const db = influx;
    const run = spawnRunner(['--smoke', '--start', '--scenarios', 'baseline,low'], {
      RESULTS_DIR: dir,
      INFLUXDB_URL: db.k6Url,
      TIME_SCALE: '',
    });

    // Streaming had begun: IO samples of the first slot are in the database ...
    await waitFor(
      async () => {
        const res = await db.query(`SELECT count("value") FROM "http_req_duration" WHERE "name"='/io'`);
        return res.series?.[0]?.values[0]?.[1] !== undefined ? true : undefined;
      },
      60_000,
      'the first k6 samples in InfluxDB',
    );
    // ... then the database dies while the suite still has slots to run.
    await db.stop();
    influx = undefined;

    const code = await run.exited;
    assert.equal(code, 0, run.output().slice(-3000));
    for (const file of ['summary.json', 'report.html', 'junit.xml'])
      assert.ok(existsSync(path.join(dir, file)), `${file} written`);
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;
    assert.deepEqual(
      summary.scenarios.map((s) => s.name),
      ['baseline', 'low'],
    );
    for (const sc of summary.scenarios) {
      for (const [server, figures] of Object.entries(sc.servers)) {
        assert.ok((figures?.completed ?? 0) > 0, `${sc.name}/${server} measured after the outage`);
      }
    }
  });
});

describe('servers that answer /health but cannot reach their upstream', { skip: noK6 }, () => {
  it('the runner refuses to measure them, naming the server and the upstream', {
    timeout: 60_000,
  }, async () => {
    const dead = await startServers({ ports: { upstream: 0 }, only: ['upstream'] });
    const upstreamUrl = dead.urls.upstream;
    await dead.stop();
    const servers = await startServers({
      ports: { express: 0, koa: 0, fastify: 0 },
      only: ['express', 'koa', 'fastify'],
      syncWorkers: 1,
      upstreamUrl,
    });
    try {
      const run = spawnRunner(['--smoke', '--scenarios', 'baseline'], {
        EXPRESS_URL: servers.urls.express,
        KOA_URL: servers.urls.koa,
        FASTIFY_URL: servers.urls.fastify,
        INFLUXDB_URL: 'http://127.0.0.1:1/k6',
      });
      assert.equal(await run.exited, 1, run.output());
      assert.match(
        run.output(),
        /express \(http:\/\/\S+\): GET \/io\?delay=0 answered 502 .*upstream unavailable.*UPSTREAM_URL/,
      );
      assert.doesNotMatch(run.output(), /running k6/);
    } finally {
      await servers.stop();
    }
  });
});

describe('a server dying in the middle of a k6 run', { skip: noK6 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-server-dies-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stops k6, names the server and exits 1', { timeout: 120_000 }, async () => {
    const run = spawnRunner(['--smoke', '--start', '--scenarios', 'baseline,low,medium'], {
      RESULTS_DIR: dir,
      INFLUXDB_URL: 'http://127.0.0.1:1/k6',
      TIME_SCALE: '',
    });
    // The runner prints the URLs of the servers it started; kill koa once k6 is under way.
    let koaUrl: string | undefined;
    await waitFor(
      async () => {
        koaUrl = /koa (http:\/\/127\.0\.0\.1:\d+)/.exec(run.output())?.[1];
        return koaUrl !== undefined && run.output().includes('running k6') ? true : undefined;
      },
      60_000,
      'k6 to start',
    );
    const health = (await (await fetch(`${koaUrl}/health`)).json()) as { pid: number };
    process.kill(health.pid, 'SIGKILL');

    assert.equal(await run.exited, 1, run.output().slice(-3000));
    assert.match(run.output(), /koa exited during the run \(SIGKILL\): stopping k6/);
  });
});

describe('a deliberately broken set-up: an upstream that adds 100 ms to every wait', { skip: noK6 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-broken-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fails k6:smoke with the thresholds, naming scenario, server and figures', {
    timeout: 120_000,
  }, async () => {
    // The IO the servers wait on takes longer than they ask for: the async servers miss their
    // bound (about d), and so does the sync one (about N/W·d).
    const slow = http.createServer((req, res) => {
      const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
      setTimeout(() => res.end(JSON.stringify({ status: 'ok', delay })), delay * 1000 + 100);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const upstreamUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    const servers = await startServers({
      ports: { express: 0, koa: 0, fastify: 0 },
      only: ['express', 'koa', 'fastify'],
      syncWorkers: 2,
      upstreamUrl,
    });
    try {
      const run = spawnRunner(['--smoke', '--scenarios', 'medium'], {
        RESULTS_DIR: dir,
        EXPRESS_URL: servers.urls.express,
        KOA_URL: servers.urls.koa,
        FASTIFY_URL: servers.urls.fastify,
        INFLUXDB_URL: 'http://127.0.0.1:1/k6',
        TIME_SCALE: '',
      });
      const code = await run.exited;
      const out = run.output();
      assert.equal(code, 99, out.slice(-3000));
      for (const server of ['koa', 'fastify']) {
        assert.match(
          out,
          new RegExp(`FAIL medium/${server}: http_req_duration p\\(95\\)<\\d+ \\(p\\(95\\)=\\d+`),
        );
      }
      const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;
      assert.equal(summary.passed, false);
    } finally {
      await servers.stop();
      slow.close();
    }
  });
});

describe('a sync server that handles two requests per worker', { skip: noK6 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-twice-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fails k6:smoke on the speedup check, naming scenario, server and figures', {
    timeout: 180_000,
  }, async () => {
    // Express with 4 workers behind a proxy whose /health says 2: a sync server that serves
    // twice the requests its W allows, so the async servers' measured speedup is half the theory.
    const servers = await startServers({
      ports: { upstream: 0, express: 0, koa: 0, fastify: 0 },
      only: ['upstream', 'express', 'koa', 'fastify'],
      syncWorkers: 4,
      quiet: true,
    });
    const express = new URL(servers.urls.express);
    const proxy = http.createServer((req, res) => {
      const upstream = http.request(
        {
          host: express.hostname,
          port: express.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          if (req.url !== '/health') {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            return;
          }
          let body = '';
          answer.setEncoding('utf8').on('data', (t: string) => {
            body += t;
          });
          answer.on('end', () => {
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify(Object.assign(JSON.parse(body), { workers: 2 })));
          });
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const run = spawnRunner(['--smoke', '--scenarios', 'medium'], {
        RESULTS_DIR: dir,
        EXPRESS_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        KOA_URL: servers.urls.koa,
        FASTIFY_URL: servers.urls.fastify,
        INFLUXDB_URL: 'http://127.0.0.1:1/k6',
        SYNC_WORKERS: '2',
        TIME_SCALE: '',
      });
      const code = await run.exited;
      const out = run.output();
      assert.notEqual(code, 0, out.slice(-3000));
      for (const server of ['koa', 'fastify']) {
        assert.match(
          out,
          new RegExp(
            `FAIL medium/${server}: (latency|throughput) speedup [\\d.]+x < 0\\.80 × theory 5\\.00x`,
          ),
        );
      }
      const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;
      assert.equal(summary.passed, false);
    } finally {
      proxy.close();
      await servers.stop();
    }
  });
});
