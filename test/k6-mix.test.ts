import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FILES, mixArtifacts } from '../k6/lib/artifacts.ts';
import { readConfig } from '../k6/lib/config.ts';
import { slotTags } from '../k6/lib/executors.ts';
import type { K6Metric, K6SummaryData } from '../k6/lib/k6-data.ts';
import { buildMix, findCrossover } from '../k6/lib/mix.ts';
import { buildPlan, type Slot, windowSeconds } from '../k6/lib/plan.ts';
import { renderMixReport, renderMixTable } from '../k6/lib/report-mix.ts';
import { requestPath } from '../k6/lib/request.ts';
import { slotKeys, thresholdSpecs } from '../k6/lib/thresholds.ts';
import { crossoverCpuSeconds, theoryThroughput } from '../lib/theory.ts';
import { parseArgs } from '../scripts/k6-run.ts';

const mixConfig = (env: Record<string, string> = {}) =>
  readConfig(Object.assign({ MODE: 'mix', SYNC_WORKERS: '2', CORES: '2' }, env));
/** The smoke's plan (scripts/k6-run.ts SMOKE_MIX). */
const SMOKE = { TIME_SCALE: '0.2', MIX_VUS: '5', MIX_CPU_MS: '0,50,100,200' };

describe('mix theory', () => {
  const load = { clients: 20, ioSeconds: 0.1, cores: 2 };
  const sync = (workers: number) => ({ model: 'sync' as const, workers });
  const async = (processes: number) => ({ model: 'async' as const, processes });

  it('puts one event loop’s crossover with W sync workers at d/(W − 1)', () => {
    assert.equal(crossoverCpuSeconds(load, sync(2), async(1)), 0.1);
    assert.ok(
      Math.abs((crossoverCpuSeconds({ clients: 20, ioSeconds: 0.1 }, sync(4), async(1)) ?? 0) - 0.1 / 3) <
        1e-12,
    );
    // K = 2 bounds the sync side's computing, not its slots: still d/(W − 1).
    assert.ok(Math.abs((crossoverCpuSeconds(load, sync(4), async(1)) ?? 0) - 0.1 / 3) < 1e-12);
  });

  it('has none when the async side computes on as many cores as the sync side, or W = 1', () => {
    assert.equal(crossoverCpuSeconds(load, sync(2), async(2)), null);
    assert.equal(crossoverCpuSeconds(load, sync(1), async(1)), null);
  });

  it('is where theoryThroughput changes sides', () => {
    const c = crossoverCpuSeconds(load, sync(3), async(1)) ?? 0;
    const diff = (x: number) =>
      theoryThroughput(async(1), Object.assign({ cpuSeconds: x }, load)) -
      theoryThroughput(sync(3), Object.assign({ cpuSeconds: x }, load));
    assert.ok(diff(c * 0.9) > 0 && diff(c * 1.1) < 0, `c = ${c}`);
  });
});

describe('mix plan', () => {
  it('runs express, koa and fastify-cluster at N = 20, d = 0.1 s, c = 0 ... 200 ms by default', () => {
    const cfg = mixConfig();
    assert.deepEqual(
      cfg.targets.map((t) => t.name),
      ['express', 'koa', 'fastify-cluster'],
    );
    assert.deepEqual(cfg.mix.cpuMs, [0, 1, 2, 5, 10, 20, 50, 100, 200]);
    const plan = buildPlan(cfg);
    assert.equal(plan.slots.length, 27);
    assert.ok(plan.slots.every((s) => s.vus === 20 && s.delaySeconds === 0.1 && s.scenario === 'mix'));
    assert.ok(plan.slots.some((s) => s.id === 'mix_c200_fastify-cluster'));
    // The full mix fits in about seven minutes.
    assert.ok(plan.totalSeconds < 450, `${plan.totalSeconds} s`);
  });

  it('sizes each slot from its own cycle, CPU included, and never overlaps two', () => {
    const plan = buildPlan(mixConfig());
    const at = (id: string) => plan.slots.find((s) => s.id === id);
    // Sync W = 2: N/W·(d + c) = 3 s at c = 200 ms; one event loop: N·c = 4 s.
    assert.equal(at('mix_c200_express')?.cycleSeconds, 3);
    assert.equal(at('mix_c200_koa')?.cycleSeconds, 4);
    assert.equal(at('mix_c200_koa')?.durationSeconds, 24);
    plan.slots.forEach((b, i) => {
      const a = plan.slots[i - 1];
      if (a) assert.ok(b.startSeconds >= a.startSeconds + a.durationSeconds + a.gracefulStopSeconds, b.id);
      assert.ok(b.durationSeconds >= 6 * b.cycleSeconds - 1e-9, b.id);
    });
  });

  it('skips a slot whose six cycles would pass a minute, and says why', () => {
    const plan = buildPlan(mixConfig({ MIX_CPU_MS: '600' }));
    // Express: 10·0.7 s cycles, 42 s; one event loop: 20·0.6 s, 72 s.
    assert.deepEqual(
      plan.slots.map((s) => s.server),
      ['express'],
    );
    assert.deepEqual(
      plan.skipped.map((s) => [s.server, s.cpuMs]),
      [
        ['koa', 600],
        ['fastify-cluster', 600],
      ],
    );
    assert.match(plan.skipped[0]?.reason ?? '', /theory 1\.7 req\/s: 6 cycles of 12\.0 s pass 60 s/);
  });

  it('keeps c/d under the time scale, and the smoke under a minute of slots', () => {
    const half = buildPlan(mixConfig({ TIME_SCALE: '0.5', MIX_DELAY: '0.4', MIX_CPU_MS: '100' }));
    assert.deepEqual([half.slots[0]?.delaySeconds, half.slots[0]?.cpuMs], [0.2, 50]);
    const smoke = buildPlan(mixConfig(SMOKE));
    assert.equal(smoke.slots.length, 12);
    assert.deepEqual(smoke.skipped, []);
    assert.ok(smoke.totalSeconds < 60, `${smoke.totalSeconds} s`);
  });

  it('asks for the CPU on /io, tags it, and keeps every point apart in the thresholds', () => {
    const plan = buildPlan(mixConfig({ MIX_CPU_MS: '0,5' }));
    const [zero, five] = [plan.slots[0], plan.slots[3]] as Slot[];
    assert.equal(requestPath(zero as Slot, 0), '/io?delay=0.1');
    assert.equal(requestPath(five as Slot, 0), '/io?delay=0.1&cpu=5');
    assert.equal(slotTags(five as Slot).cpu_ms, '5');
    assert.match(slotKeys(five as Slot).duration, /cpu_ms:5/);
    const metrics = new Set(thresholdSpecs(plan).map((s) => s.metric));
    assert.ok(plan.slots.every((s) => metrics.has(slotKeys(s).completed)));
    // A point is measured, not claimed: only the drain condition holds.
    assert.ok(
      thresholdSpecs(plan)
        .filter((s) => s.claim)
        .every((s) => /sync_drained/.test(s.metric)),
    );
  });

  it('refuses a bad c in one line, and a second mode switch', () => {
    assert.throws(
      () => mixConfig({ MIX_CPU_MS: '0,abc' }),
      /^Error: MIX_CPU_MS must list ms of CPU from 0 to 10000, got "0,abc"$/,
    );
    assert.throws(() => readConfig({ MODE: 'mixed' }), /MODE must be suite, sweep, mix/);
    assert.equal(parseArgs(['--mix', '--smoke']).mode, 'mix');
    assert.throws(() => parseArgs(['--mix', '--sweep']), /different modes/);
  });
});

describe('crossover detection', () => {
  it('interpolates on log c where the ratio drops below 1', () => {
    // A power law 100/c crosses 1 at exactly 100 ms on log–log axes.
    const found = findCrossover([
      { cpuMs: 20, ratio: 5 },
      { cpuMs: 50, ratio: 2 },
      { cpuMs: 200, ratio: 0.5 },
    ]);
    assert.equal(found.status, 'crossed');
    assert.ok(Math.abs((found.measuredMs ?? 0) - 100) < 1e-9, String(found.measuredMs));
  });

  it('interpolates linearly from c = 0, which has no logarithm', () => {
    const found = findCrossover([
      { cpuMs: 0, ratio: 2 },
      { cpuMs: 10, ratio: 0.5 },
    ]);
    assert.equal(found.measuredMs, 5);
  });

  it('says below at the first c, or never', () => {
    assert.deepEqual(findCrossover([{ cpuMs: 1, ratio: 0.9 }]), { measuredMs: 1, status: 'below' });
    assert.deepEqual(
      findCrossover([
        { cpuMs: 1, ratio: 9 },
        { cpuMs: 200, ratio: 1 },
      ]),
      { measuredMs: null, status: 'never' },
    );
  });
});

/** k6 data in which every target serves `rps(slot)` with p50 of its theory. */
function syntheticData(slots: readonly Slot[], rps: (s: Slot) => number): K6SummaryData {
  const metrics: Record<string, K6Metric> = {};
  for (const s of slots) {
    const k = slotKeys(s);
    const completed = Math.round(rps(s) * windowSeconds(s));
    const latency = (1000 * s.vus) / rps(s);
    metrics[k.duration] = {
      type: 'trend',
      values: { med: latency, avg: latency, 'p(95)': latency * 1.2, count: completed },
    };
    metrics[k.completed] = { type: 'counter', values: { count: completed } };
    metrics[k.failed] = { type: 'rate', values: { rate: 0 } };
    metrics[k.machineBusyPercent] = { type: 'gauge', values: { value: (s.cpuMs ?? 0) / 4 + 10 } };
    metrics[k.cpuSeconds] = {
      type: 'counter',
      values: { count: (completed * ((s.cpuMs ?? 0) + 0.5)) / 1000 },
    };
  }
  return { metrics, setup_data: { workers: { express: 2 }, processes: { koa: 1, 'fastify-cluster': 2 } } };
}

describe('mix.json and its table', () => {
  const config = mixConfig(SMOKE);
  const plan = buildPlan(config);
  // Koa runs 10% short of its theory, as a busy machine would make it.
  const measured = (s: Slot) => {
    const load = { clients: s.vus, ioSeconds: s.delaySeconds, cpuSeconds: (s.cpuMs ?? 0) / 1000, cores: 2 };
    const theory =
      s.model === 'sync'
        ? theoryThroughput({ model: 'sync', workers: 2 }, load)
        : theoryThroughput({ model: 'async', processes: s.server === 'koa' ? 1 : 2 }, load);
    return s.server === 'koa' ? 0.9 * theory : theory;
  };
  const mix = buildMix({ data: syntheticData(plan.slots, measured), config, plan, now: new Date(0) });

  it('has every point beside its theory, with CPU per request', () => {
    assert.equal(mix.points.length, 12);
    const koa200 = mix.points.find((p) => p.server === 'koa' && p.cpuMs === 200);
    assert.ok(koa200);
    assert.equal(koa200.theoryRps, 5);
    assert.ok(Math.abs((koa200.rps ?? 0) - 4.5) < 0.3, String(koa200.rps));
    assert.ok(Math.abs((koa200.cpuMsPerRequest ?? 0) - 200.5) < 1e-6);
    assert.deepEqual(
      mix.targets.map((t) => [t.name, t.workers ?? t.processes]),
      [
        ['express', 2],
        ['koa', 1],
        ['fastify-cluster', 2],
      ],
    );
  });

  it('finds koa’s crossover below d/(W − 1), and fastify-cluster at or above express at every c', () => {
    const koa = mix.crossovers.find((c) => c.server === 'koa');
    const cluster = mix.crossovers.find((c) => c.server === 'fastify-cluster');
    assert.ok(koa && cluster);
    assert.equal(koa.predictedMs, 100);
    assert.equal(koa.status, 'crossed');
    // 10% short of its theory, koa crosses between 50 and 100 ms, within the issue's ±25%.
    assert.ok((koa.measuredMs ?? 0) > 50 && (koa.measuredMs ?? 0) < 100, String(koa.measuredMs));
    assert.equal(koa.withinTolerance, true);
    assert.equal(koa.atLeastReferenceEverywhere, false);
    assert.equal(cluster.predictedMs, null);
    assert.equal(cluster.status, 'never');
    assert.equal(cluster.atLeastReferenceEverywhere, true);
  });

  it('writes mix.json, a report with both charts and a table that names the crossovers', () => {
    const files = mixArtifacts('out', mix);
    assert.deepEqual(JSON.parse(files[`out/${FILES.mix}`] ?? '{}').kind, 'mix');
    const html = renderMixReport(mix);
    assert.equal((html.match(/<svg/g) ?? []).length, 2);
    assert.match(html, /Where async stops paying, against express/);
    const table = renderMixTable(mix);
    assert.match(table, /Crossover koa \(P=1\): falls below express at c ≈ \d+ ms \(predicted 100 ms, /);
    assert.match(table, /Crossover fastify-cluster \(P=2\): at or above express at every c measured/);
    assert.match(table, /200 ms\s+6\.7 \(6\.7\)/);
    // The machine's busiest window at each c, beside the figures it may explain.
    assert.match(table, /200 ms .* 60%\n/);
  });
});
