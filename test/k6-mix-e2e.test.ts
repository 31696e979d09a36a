// The mix sweep's smoke end to end with the real k6 (skipped, saying why, when k6 is not on
// PATH): express, koa and fastify-cluster at c = 0, 50, 100, 200 ms of CPU per request.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { MixResult } from '../k6/lib/mix.ts';
import { findOnPath } from '../scripts/k6-process.ts';
import { spawnRunner } from './helpers/runner.ts';

const NO_K6 = findOnPath('k6') ? false : 'skipped: k6 is not on PATH (install k6 to run it)';

describe('k6:mix --smoke end to end', { skip: NO_K6 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-mix-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('measures throughput falling with c, and where one event loop falls below express', {
    timeout: 240_000,
  }, async () => {
    const run = spawnRunner(['--mix', '--smoke', '--start'], {
      RESULTS_DIR: dir,
      INFLUXDB_URL: 'http://127.0.0.1:9/k6',
    });
    const code = await run.exited;
    const out = run.output();
    assert.equal(code, 0, out.slice(-3000));
    assert.match(out, /\[k6\] slot 12\/12 mix\/fastify-cluster: 5 VUs × 0\.1 s delay \+ 200 ms CPU/);
    assert.match(out, /Crossover koa \(P=1\): /);
    const mix = JSON.parse(readFileSync(path.join(dir, 'mix.json'), 'utf8')) as MixResult;
    const rps = (server: string, c: number) =>
      mix.points.find((p) => p.server === server && p.cpuMs === c)?.rps ?? 0;
    for (const name of ['express', 'koa', 'fastify-cluster']) {
      // More CPU per request, fewer requests per second: at c = 200 ms every target is CPU-bound.
      assert.ok(
        rps(name, 0) > rps(name, 50) && rps(name, 50) > rps(name, 200),
        `${name}: ${[0, 50, 200].map((c) => rps(name, c))}`,
      );
    }
    // One event loop serves more than two sync workers while the IO dominates; its lead shrinks
    // with c (by the theory from 2.5x at c = 0 to 0.75x at 200 ms), and the crossover is reported.
    const ratio = (c: number) => rps('koa', c) / rps('express', c);
    const ratios = [0, 50, 100, 200].map((c) => ratio(c).toFixed(2)).join(', ');
    assert.ok(
      ratio(0) > 1.5 && ratio(200) < ratio(0) / 2,
      `koa ÷ express at c = 0, 50, 100, 200 ms: ${ratios}`,
    );
    const koa = mix.crossovers.find((c) => c.server === 'koa');
    assert.ok(koa && koa.status !== 'never' && koa.measuredMs !== null, JSON.stringify(koa));
    assert.equal(koa?.predictedMs, 100 / ((mix.targets.find((t) => t.name === 'express')?.workers ?? 2) - 1));
    // The server's CPU per request follows the c it was asked for (plus its own cost).
    const cpu = mix.points.find((p) => p.server === 'koa' && p.cpuMs === 200)?.cpuMsPerRequest ?? 0;
    assert.ok(cpu > 160 && cpu < 260, String(cpu));
    assert.ok(
      mix.points.every((p) => typeof p.machineBusyPercent === 'number'),
      'machine busy share at every point',
    );
    assert.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), /the mix sweep/);
  });
});
