// The worker sweep's figures and verdicts on synthetic summaries (k6/lib/workers-sweep.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderWorkersTable } from '../k6/lib/report-workers.ts';
import type { Summary } from '../k6/lib/summary.ts';
import { buildWorkersSweep, parseWorkersSweep } from '../k6/lib/workers-sweep.ts';

const now = new Date('2026-11-30T06:00:00Z');
/** One run at W: express p50 follows the theory until CPU caps its throughput at 150 req/s. */
function run(
  workers: number,
  p50: number,
  rps: number,
  cpuPercent: number,
): { workers: number; summary: Summary } {
  const f = (p: number, r: number, rss: number) => ({
    p50: p,
    p95: p * 1.2,
    rps: r,
    cpuMsPerRequest: 5,
    cpuPercentAvg: cpuPercent,
    rssBytesMax: rss,
    errorRate: 0,
  });
  const summary = {
    targets: [
      { name: 'express', model: 'sync', workers },
      { name: 'koa', model: 'async' },
    ],
    scenarios: [
      {
        name: 'stress',
        vus: 50,
        meanServiceSeconds: 0.3,
        servers: { express: f(p50, rps, workers * 50e6), koa: f(305, 160, 80e6) },
      },
    ],
  } as unknown as Summary;
  return { workers, summary };
}

describe('the worker sweep', () => {
  const runs = [
    run(1, 15000, 3.3, 2),
    run(4, 3750, 13, 7),
    run(16, 940, 53, 27),
    run(32, 470, 100, 55),
    run(64, 330, 105, 95),
  ];
  const sweep = buildWorkersSweep(runs, 'stress', now);
  const express = sweep.targets[0];

  it('puts each W beside the theory: max(1, N/W)·d and min(N, W)/d', () => {
    assert.deepEqual(sweep.sweep, [1, 4, 16, 32, 64]);
    assert.deepEqual(
      express?.points.map((p) => [p.workers, Math.round(p.theoryP50Ms), Math.round(p.theoryRps)]),
      [
        [1, 15000, 3],
        [4, 3750, 13],
        [16, 938, 53],
        [32, 469, 107],
        [64, 300, 167],
      ],
    );
  });

  it('finds where it reaches the async latency and where more workers stop helping', () => {
    assert.equal(express?.reachesAsyncAt, 64);
    assert.equal(express?.stopsHelpingAfter, 32);
    assert.match(
      express?.note ?? '',
      /more workers stop helping past W = 32 \(W = 64 adds 5% throughput; CPU 95% of a core/,
    );
    assert.match(renderWorkersTable(sweep), /^express$/m);
  });

  it('says when every client already has a worker, and when the async latency is never reached', () => {
    const flat = buildWorkersSweep([run(50, 600, 83, 10), run(64, 600, 83, 10)], 'stress', now);
    assert.match(
      flat.targets[0]?.note ?? '',
      /never reaches the async latency \(305 ms\) up to W = 64; more workers stop helping past W = 50 .*every one of the 50 clients already has a worker/,
    );
  });

  it('reads WORKERS_SWEEP, refusing what is not a worker count', () => {
    assert.deepEqual(parseWorkersSweep(undefined, false), [1, 2, 4, 8, 16, 32]);
    assert.deepEqual(parseWorkersSweep('', true), [1, 4, 16]);
    assert.deepEqual(parseWorkersSweep('8, 2,2', false), [2, 8]);
    assert.throws(
      () => parseWorkersSweep('1,0', false),
      /WORKERS_SWEEP: '0' is not a worker count from 1 to 256/,
    );
  });

  it('refuses runs that did not measure the scenario', () => {
    assert.throws(() => buildWorkersSweep(runs, 'high', now), /no run measured the high scenario/);
  });
});
