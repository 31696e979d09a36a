// `npm run k6:workers -- --smoke` end to end with the real k6 (skipped, saying why, when k6 is
// not on PATH): express restarted at W = 1 and 4 under the smoke's stress, koa beside it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { WorkersSweep } from '../k6/lib/workers-sweep.ts';
import { findOnPath } from '../scripts/k6-process.ts';

const NO_K6 = findOnPath('k6') ? false : 'skipped: k6 is not on PATH (install k6 to run it)';
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('k6:workers --smoke end to end', { skip: NO_K6 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-workers-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('measures the sync target at each W, with CPU and RSS, beside the async one', {
    timeout: 300_000,
  }, () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/k6-workers.ts', '--smoke'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: Object.assign({}, process.env, {
        WORKERS_SWEEP: '1,4',
        TARGETS: 'express,koa',
        RESULTS_DIR: dir,
        INFLUXDB_URL: 'http://127.0.0.1:9/k6',
      }),
    });
    const out = `${run.stdout}${run.stderr}`;
    assert.equal(run.status, 0, out.slice(-3000));
    const sweep = JSON.parse(readFileSync(path.join(dir, 'workers.json'), 'utf8')) as WorkersSweep;
    const express = sweep.targets.find((t) => t.name === 'express');
    assert.deepEqual(
      express?.points.map((p) => p.workers),
      [1, 4],
    );
    const [w1, w4] = express?.points ?? [];
    for (const p of [w1, w4]) {
      assert.ok(
        p && (p.rps ?? 0) > 0 && (p.rssBytesMax ?? 0) > 0 && p.cpuMsPerRequest !== null,
        JSON.stringify(p),
      );
    }
    // Four workers serve 50 clients about four times as fast as one: at least twice, on a busy machine.
    assert.ok((w4?.rps ?? 0) > 2 * (w1?.rps ?? 0), `W=4 ${w4?.rps} req/s vs W=1 ${w1?.rps}`);
    assert.ok((w4?.p50 ?? Infinity) < (w1?.p50 ?? 0) / 2, `W=4 p50 ${w4?.p50} vs W=1 ${w1?.p50}`);
    // Four worker processes hold more memory than one.
    assert.ok((w4?.rssBytesMax ?? 0) > (w1?.rssBytesMax ?? 0), 'RSS grows with W');
    assert.equal(sweep.async[0]?.name, 'koa');
    assert.match(out, /Worker sweep: stress, N = 50 clients/);
    assert.ok(existsSync(path.join(dir, 'workers.html')));
  });
});
