import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readConfig } from '../k6/lib/config.ts';
import { buildPlan, type Plan } from '../k6/lib/plan.ts';
import { renderSweepReport, renderSweepTable } from '../k6/lib/report-sweep.ts';
import { generatorLoad } from '../k6/lib/sampler.ts';
import type { K6Metric, K6SummaryData } from '../k6/lib/summary.ts';
import { buildSweep, findKnee, isGeneratorBound, type SweepPoint } from '../k6/lib/sweep.ts';
import { slotKeys, thresholdSpecs } from '../k6/lib/thresholds.ts';
import { machineCpuSeconds } from '../scripts/self-stats.ts';

const sweepConfig = (env: Record<string, string> = {}) =>
  readConfig(Object.assign({ MODE: 'sweep', SYNC_WORKERS: '2' }, env));

describe('sweep plan', () => {
  it('runs express, koa, fastify and control at N = 1 ... 2000 by default, d = 0.3 s', () => {
    const cfg = sweepConfig();
    assert.deepEqual(
      cfg.targets.map((t) => t.name),
      ['express', 'koa', 'fastify', 'control'],
    );
    assert.deepEqual(cfg.sweep.vus, [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]);
    const plan = buildPlan(cfg);
    assert.ok(plan.slots.every((s) => s.delaySeconds === 0.3 && s.scenario === 'sweep'));
    // Async targets at every N; ids tell (N, target) apart.
    assert.equal(plan.slots.filter((s) => s.server === 'koa').length, 11);
    assert.ok(plan.slots.some((s) => s.id === 'sweep_n2000_control'));
  });

  it('stops the sync target after the first N whose theoretical mean passes 20·d, and says so', () => {
    const plan = buildPlan(sweepConfig());
    const express = plan.slots.filter((s) => s.server === 'express').map((s) => s.clients);
    // W = 2: N = 50 gives 25·d, the first past 20·d: measured, then no more.
    assert.deepEqual(express, [1, 2, 5, 10, 20, 50]);
    assert.deepEqual(
      plan.skipped.map((s) => [s.server, s.clients]),
      [100, 200, 500, 1000, 2000].map((n) => ['express', n]),
    );
    assert.match(plan.skipped[0]?.reason ?? '', /past 20× the delay/);
  });

  it('never overlaps slots, and each lasts six of its own cycles at least', () => {
    const plan = buildPlan(sweepConfig());
    for (let i = 1; i < plan.slots.length; i++) {
      const a = plan.slots[i - 1];
      const b = plan.slots[i];
      assert.ok(a && b);
      assert.ok(b.startSeconds >= a.startSeconds + a.durationSeconds + a.gracefulStopSeconds, b.id);
      assert.ok(b.durationSeconds >= 6 * b.cycleSeconds - 1e-9, b.id);
    }
    // The full default sweep fits in about ten minutes.
    assert.ok(plan.totalSeconds < 600, `${plan.totalSeconds} s`);
  });

  it('keeps every point apart in the thresholds, and holds only the drain condition', () => {
    const plan = buildPlan(sweepConfig({ SWEEP_VUS: '10,1', K6_SELF_STATS_URL: 'http://127.0.0.1:1/' }));
    assert.deepEqual(
      plan.slots.map((s) => s.id),
      ['sweep_n1_express', 'sweep_n1_koa', 'sweep_n1_fastify', 'sweep_n1_control'].concat(
        ['express', 'koa', 'fastify', 'control'].map((n) => `sweep_n10_${n}`),
      ),
    );
    const specs = thresholdSpecs(plan);
    assert.ok(
      specs.some((s) => s.metric === 'http_req_duration{scenario:sweep,server:koa,clients:10,phase:measure}'),
    );
    assert.ok(specs.some((s) => s.metric.startsWith('sweep_k6_cpu_percent{')));
    assert.deepEqual(
      [...new Set(specs.filter((s) => s.claim).map((s) => s.metric.split('{')[0]))],
      ['sync_drained'],
    );
  });

  it('rejects a bad list of clients', () => {
    assert.throws(() => sweepConfig({ SWEEP_VUS: '1,x' }), /SWEEP_VUS must list whole numbers/);
    assert.throws(() => readConfig({ MODE: 'curve' }), /MODE must be suite, sweep/);
  });
});

const point = (over: Partial<SweepPoint>): SweepPoint =>
  Object.assign(
    {
      server: 'koa',
      model: 'async',
      clients: 1,
      p50: 300,
      p95: 310,
      p99: 320,
      avg: 301,
      rps: 3.3,
      errorRate: 0,
      requests: 10,
      cpuMsPerRequest: 1,
      cpuPercent: 10,
      rssBytesMax: 1,
      k6CpuPercent: 5,
      machineBusyPercent: 20,
      generatorBound: false,
      theoryLatencyMs: 300,
      theoryRps: 3.33,
      speedup: null,
      theorySpeedup: 1,
    } satisfies SweepPoint,
    over,
  );

describe('knee', () => {
  it('is the first N where p50 passes 1.1·d or throughput falls under 0.9·N/d', () => {
    const pts = [
      point({ clients: 1000, p50: 420, rps: 2400 }),
      point({ clients: 100, p50: 305, rps: 330 }),
      point({ clients: 500, p50: 320, rps: 1400 }),
    ];
    const knee = findKnee(pts, 0.3);
    assert.equal(knee?.clients, 500);
    assert.match(knee?.reason ?? '', /1400 req\/s < 0.9·N\/d = 1500/);
    assert.equal(findKnee([point({ clients: 10, p50: 301, rps: 33 })], 0.3), null);
    assert.match(
      findKnee([point({ clients: 10, p50: 340, rps: 33 })], 0.3)?.reason ?? '',
      /p50 340 ms > 1.1·d/,
    );
  });

  it('is generator-bound when the machine is saturated and k6 uses at least the server’s CPU', () => {
    assert.equal(isGeneratorBound({ machineBusyPercent: 97, k6CpuPercent: 110, cpuPercent: 80 }), true);
    assert.equal(isGeneratorBound({ machineBusyPercent: 97, k6CpuPercent: 40, cpuPercent: 95 }), false);
    assert.equal(isGeneratorBound({ machineBusyPercent: 60, k6CpuPercent: 110, cpuPercent: 80 }), false);
    assert.equal(isGeneratorBound({ machineBusyPercent: null, k6CpuPercent: null, cpuPercent: 80 }), false);
  });

  it('reads k6 and machine CPU from two readings', () => {
    const load = generatorLoad(
      { k6CpuSeconds: 10, machineBusySeconds: 100, machineTotalSeconds: 200, atSeconds: 5 },
      { k6CpuSeconds: 11.5, machineBusySeconds: 103.8, machineTotalSeconds: 204, atSeconds: 7 },
    );
    assert.ok(load);
    assert.equal(load.k6CpuPercent, 75);
    assert.ok(Math.abs(load.machineBusyPercent - 95) < 1e-9);
    const m = machineCpuSeconds('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3\n');
    assert.deepEqual(m, { busy: 1.5, total: 10 });
  });
});

/** k6 end-of-test data for a plan, with the figures `fill` gives each slot. */
function fakeData(
  plan: Plan,
  fill: (
    server: string,
    n: number,
  ) => { avg: number; p50: number; completed: number; k6: number; busy: number },
): K6SummaryData {
  const metrics: Record<string, K6Metric> = {};
  for (const slot of plan.slots) {
    const k = slotKeys(slot);
    const f = fill(slot.server, slot.clients ?? 0);
    metrics[k.duration] = {
      type: 'trend',
      values: {
        avg: f.avg,
        med: f.p50,
        'p(95)': f.p50 * 1.1,
        'p(99)': f.p50 * 1.2,
        min: 1,
        max: 2 * f.avg,
        count: 100,
      },
    };
    metrics[k.completed] = { type: 'counter', values: { count: f.completed } };
    metrics[k.failed] = { type: 'rate', values: { rate: 0 } };
    metrics[k.cpuSeconds] = { type: 'counter', values: { count: 0.5 } };
    metrics[k.cpuPercent] = { type: 'trend', values: { avg: 30, max: 40 } };
    metrics[k.k6CpuPercent] = { type: 'gauge', values: { value: f.k6 } };
    metrics[k.machineBusyPercent] = { type: 'gauge', values: { value: f.busy } };
  }
  return { metrics, setup_data: { workers: { express: 2 } } };
}

describe('sweep.json', () => {
  const cfg = sweepConfig({ SWEEP_VUS: '1,10,100,1000', K6_SELF_STATS_URL: 'http://127.0.0.1:1/' });
  const plan = buildPlan(cfg);
  const data = fakeData(plan, (server, n) => {
    if (server === 'express')
      return { avg: Math.max(1, n / 2) * 300, p50: 300, completed: 60, k6: 5, busy: 20 };
    const saturated = n >= 1000;
    return {
      avg: saturated ? 450 : 301,
      p50: saturated ? 440 : 300,
      completed: Math.round((saturated ? 2200 : n / 0.3) * (plan.slots[0]?.durationSeconds ?? 0) * 0.9),
      k6: saturated ? 120 : 10,
      busy: saturated ? 98 : 30,
    };
  });
  const sweep = buildSweep({ data, config: cfg, plan, now: new Date('2026-11-27T01:00:00Z') });

  it('has a point per measured (target, N) with the theory beside it, and the skipped ones', () => {
    assert.equal(sweep.kind, 'sweep');
    assert.equal(sweep.points.length, 3 + 3 * 4);
    const e10 = sweep.points.find((p) => p.server === 'express' && p.clients === 10);
    assert.equal(e10?.theoryLatencyMs, 1500);
    assert.ok(Math.abs((e10?.theoryRps ?? 0) - 2 / 0.3) < 1e-9);
    const k10 = sweep.points.find((p) => p.server === 'koa' && p.clients === 10);
    assert.ok(Math.abs((k10?.speedup ?? 0) - 1500 / 301) < 1e-9);
    assert.equal(k10?.theorySpeedup, 5);
    assert.deepEqual(
      sweep.skipped.map((s) => s.clients),
      [1000],
    );
  });

  it('finds each async knee and marks it generator-bound when k6 held the machine', () => {
    for (const name of ['koa', 'fastify', 'control']) {
      assert.equal(sweep.knees[name]?.clients, 1000, name);
      assert.equal(sweep.knees[name]?.generatorBound, true, name);
    }
  });

  it('renders the table and a page with the three curves and the knees', () => {
    const table = renderSweepTable(sweep);
    assert.match(table, /Knee koa: N = 1000 .* limited by the load generator/);
    assert.match(table, /Stopped early: express not measured at N = 1000/);
    const html = renderSweepReport(sweep);
    for (const title of ['Latency vs N', 'Throughput vs N', 'Speedup vs N'])
      assert.ok(html.includes(`aria-label="${title}"`), title);
    assert.match(html, /load generator<\/td>/);
    assert.doesNotMatch(html, /<script/);
  });
});
