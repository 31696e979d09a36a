import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SCENARIOS, DEFAULT_SLOT_SECONDS, readConfig } from '../k6/lib/config.ts';
import { EXEC, k6Duration, k6Scenarios, SAMPLER_SCENARIO, slotScenario } from '../k6/lib/executors.ts';
import {
  buildPlan,
  cycleSeconds,
  MAX_SCALED_DEMAND_PER_SECOND,
  MIN_GAP_SECONDS,
  MIN_SLOT_CYCLES,
  MIN_WINDOW_REQUESTS,
  type Plan,
  scaledDelay,
  slotEnd,
  warmupEnd,
  windowSeconds,
} from '../k6/lib/plan.ts';
import { firstRequestOffsetSeconds } from '../k6/lib/request.ts';
import { samplerTicks } from '../k6/lib/sampler.ts';
import { DEFAULT_TARGETS, SCENARIOS, STRESS_OPEN_SCENARIO } from '../lib/registry.ts';

const plan = (env: Record<string, string> = {}): Plan =>
  buildPlan(readConfig(Object.assign({ SYNC_WORKERS: '2' }, env)));
const close = (a: number, b: number, eps = 0.002) => Math.abs(a - b) <= eps;

describe('config', () => {
  it('defaults to every scenario, the three Node targets at registry URLs, scale 1, W = 1 when SYNC_WORKERS is unset', () => {
    const cfg = readConfig({});
    assert.deepEqual(cfg.scenarios, DEFAULT_SCENARIOS);
    assert.ok(!cfg.scenarios.includes('llm'));
    assert.deepEqual(
      cfg.targets.map((t) => [t.name, t.url]),
      [
        ['express', 'http://127.0.0.1:8002'],
        ['koa', 'http://127.0.0.1:8003'],
        ['fastify', 'http://127.0.0.1:8004'],
      ],
    );
    assert.equal(cfg.reference, 'express');
    assert.equal(cfg.timeScale, 1);
    assert.deepEqual(cfg.workers, { express: 1 });
    assert.deepEqual(cfg.workersGiven, { express: false });
    assert.equal(cfg.resultsDir, 'results');
  });

  it('reads the environment, keeping registry order whatever order SCENARIOS lists', () => {
    const cfg = readConfig({ SCENARIOS: 'high, medium', KOA_URL: 'http://koa:8003/', TIME_SCALE: '0.5' });
    assert.deepEqual(cfg.scenarios, ['medium', 'high']);
    assert.equal(cfg.targets.find((t) => t.name === 'koa')?.url, 'http://koa:8003');
    assert.equal(cfg.timeScale, 0.5);
  });

  it('names what is wrong with a bad option', () => {
    assert.throws(() => readConfig({ SCENARIOS: 'medium,huge' }), /unknown scenario\(s\) huge/);
    assert.throws(() => readConfig({ TIME_SCALE: '0' }), /TIME_SCALE must be a positive number/);
    assert.throws(() => readConfig({ SYNC_WORKERS: '1.5' }), /SYNC_WORKERS must be a whole number/);
  });
});

describe('slot plan', () => {
  it('gives every scenario × server its own slot, express first, the open model last with express last', () => {
    const p = plan();
    assert.equal(p.slots.length, (SCENARIOS.filter((s) => !s.optIn).length + 1) * DEFAULT_TARGETS.length);
    assert.deepEqual(
      p.slots.slice(0, 3).map((s) => s.id),
      ['baseline_express', 'baseline_koa', 'baseline_fastify'],
    );
    assert.deepEqual(
      p.slots.slice(-3).map((s) => [s.scenario, s.server]),
      [
        [STRESS_OPEN_SCENARIO, 'koa'],
        [STRESS_OPEN_SCENARIO, 'fastify'],
        [STRESS_OPEN_SCENARIO, 'express'],
      ],
    );
    for (const s of p.slots) assert.match(s.id, /^[A-Za-z0-9_-]+$/);
    assert.equal(new Set(p.slots.map((s) => s.id)).size, p.slots.length);
  });

  for (const scale of ['1', '0.1']) {
    for (const w of ['1', '2', '4']) {
      it(`never overlaps two slots and leaves a gap between them (scale ${scale}, W=${w})`, () => {
        const p = plan({ TIME_SCALE: scale, SYNC_WORKERS: w });
        p.slots.forEach((slot, i) => {
          const busyUntil = slot.startSeconds + slot.durationSeconds + slot.gracefulStopSeconds;
          const next = p.slots[i + 1];
          if (next)
            assert.ok(next.startSeconds - busyUntil >= MIN_GAP_SECONDS - 1e-9, `${slot.id} -> ${next.id}`);
          else assert.ok(close(p.totalSeconds, busyUntil + slot.gapSeconds));
        });
        assert.ok((p.slots[0]?.startSeconds ?? 0) > 0, 'the first slot waits for its drain check');
      });
    }
  }

  it('lets the slowest in-flight request finish in the graceful stop: a sync cycle on express, a delay on async', () => {
    for (const slot of plan().slots.filter((s) => s.kind === 'closed')) {
      const slowest = slot.model === 'sync' ? slot.cycleSeconds : slot.delaySeconds;
      assert.ok(slot.gracefulStopSeconds > slowest, slot.id);
      assert.ok(slot.timeoutSeconds > slot.cycleSeconds * 2, slot.id);
    }
    for (const slot of plan().slots.filter((s) => s.kind === 'open')) {
      assert.ok(slot.gracefulStopSeconds > slot.timeoutSeconds, slot.id);
    }
  });

  it('warms up for one cycle of its own target and lasts at least six, over a whole number of delays', () => {
    for (const w of [1, 2]) {
      for (const slot of plan({ SYNC_WORKERS: String(w) }).slots.filter((s) => s.kind === 'closed')) {
        const cycle =
          slot.model === 'sync' ? cycleSeconds(slot.vus, slot.delaySeconds, w) : slot.delaySeconds;
        assert.ok(close(slot.warmupSeconds, cycle), slot.id);
        assert.ok(slot.durationSeconds >= MIN_SLOT_CYCLES * cycle - 1e-9, slot.id);
        assert.ok(slot.durationSeconds >= DEFAULT_SLOT_SECONDS - 1e-9, slot.id);
        const delays = windowSeconds(slot) / slot.delaySeconds;
        assert.ok(Math.abs(delays - Math.round(delays)) < 1e-6, `${slot.id}: window of ${delays} delays`);
      }
    }
    // W = 2: stress is 25 cycles of 0.3 s = 7.5 s; six of them outlast the default slot. An async
    // slot of stress needs no sync cycles: the default length, 40 delays.
    const stress = plan().slots.filter((s) => s.scenario === 'stress');
    assert.deepEqual(
      stress.map((s) => [s.server, s.durationSeconds]),
      [
        ['express', 45],
        ['koa', 12],
        ['fastify', 12],
      ],
    );
  });

  it('never scales a delay so far that N clients ask for more than the demand cap', () => {
    for (const scale of [1, 0.5, 0.1, 0.01]) {
      for (const slot of plan({ TIME_SCALE: String(scale) }).slots.filter((s) => s.kind === 'closed')) {
        const spec = SCENARIOS.find((s) => s.name === slot.scenario);
        assert.ok(spec);
        assert.ok(slot.delaySeconds <= spec.delaySeconds + 1e-9, slot.id);
        if (scale < 1)
          assert.ok(slot.vus / slot.delaySeconds <= MAX_SCALED_DEMAND_PER_SECOND + 1e-6, slot.id);
      }
    }
    // The smoke's stress: 50 clients at 30 ms would ask 1,667 req/s; raised to 100 ms, 500 req/s.
    assert.equal(scaledDelay({ vus: 50, delaySeconds: 0.3 }, 0.1), 0.1);
    assert.equal(scaledDelay({ vus: 1, delaySeconds: 0.5 }, 0.1), 0.1);
    assert.equal(scaledDelay({ vus: 1, delaySeconds: 0.5 }, 0.5), 0.25);
    // A scenario's own short delay is kept at scale 1 (db: 50 clients, median 10 ms).
    assert.equal(scaledDelay({ vus: 50, delaySeconds: 0.01 }, 1), 0.01);
  });

  it('plans the default run in under 7 minutes and five targets in under 12 at W = 2', () => {
    assert.ok(plan().totalSeconds <= 7 * 60, `${plan().totalSeconds} s`);
    const five = plan({ TARGETS: 'express,flask,koa,fastify,quart' }).totalSeconds;
    assert.ok(five <= 12 * 60, `${five} s`);
  });

  it('gives every closed window at least MIN_WINDOW_REQUESTS requests (scaled)', () => {
    for (const scale of [1, 0.1]) {
      for (const slot of plan({ TIME_SCALE: String(scale) }).slots.filter((s) => s.kind === 'closed')) {
        const spec = SCENARIOS.find((s) => s.name === slot.scenario);
        assert.ok(spec);
        const requests = (windowSeconds(slot) / (slot.serviceSeconds ?? slot.delaySeconds)) * slot.vus;
        const wanted =
          (MIN_WINDOW_REQUESTS * scale * spec.delaySeconds) / (slot.serviceSeconds ?? slot.delaySeconds);
        assert.ok(requests >= Math.min(wanted, MIN_WINDOW_REQUESTS) - 1e-6, `${slot.id}: ${requests}`);
      }
    }
    // Baseline at scale 1: one client, 0.5 s delays, 50 of them: a 25 s window.
    assert.equal(
      windowSeconds(plan().slots.find((s) => s.id === 'baseline_koa') as Plan['slots'][number]),
      25,
    );
  });

  it('scales delays, warm-ups and slot lengths with TIME_SCALE and keeps their ratios', () => {
    const full = plan();
    const half = plan({ TIME_SCALE: '0.5' });
    full.slots.forEach((a, i) => {
      const b = half.slots[i];
      assert.ok(b);
      assert.ok(close(b.delaySeconds, a.delaySeconds / 2), a.id);
      assert.ok(close(b.warmupSeconds, a.warmupSeconds / 2), a.id);
      assert.ok(close(b.durationSeconds, a.durationSeconds / 2), a.id);
      assert.ok(close(b.timeoutSeconds, a.timeoutSeconds / 2), a.id);
      assert.ok(close(b.cycleSeconds / b.delaySeconds, a.cycleSeconds / a.delaySeconds), a.id);
    });
    assert.ok(half.totalSeconds < full.totalSeconds * 0.55);
  });

  it('fits the smoke suite (TIME_SCALE=0.1) in 75 s of plan with W = 2, leaving room for start-up in 90 s', () => {
    assert.ok(plan({ TIME_SCALE: '0.1' }).totalSeconds <= 75);
  });

  it('runs only the chosen scenarios', () => {
    const p = plan({ SCENARIOS: 'medium,stress-open' });
    assert.deepEqual([...new Set(p.slots.map((s) => s.scenario))], ['medium', STRESS_OPEN_SCENARIO]);
  });
});

describe('sampler ticks', () => {
  const p = plan({ TIME_SCALE: '0.2' });
  const ticks = samplerTicks(p);

  it('are in time order', () => {
    for (let i = 1; i < ticks.length; i++) assert.ok((ticks[i]?.at ?? 0) >= (ticks[i - 1]?.at ?? 0));
  });

  it('read each slot at its start, exactly at the window edges, and check the drain before it starts', () => {
    p.slots.forEach((slot, i) => {
      const mine = ticks.filter((t) => t.slot === i);
      const kind = (k: string) => mine.filter((t) => t.kind === k);
      assert.equal(kind('window-start')[0]?.at, warmupEnd(slot));
      assert.equal(kind('window-end')[0]?.at, slotEnd(slot));
      assert.equal(kind('slot-start')[0]?.at, slot.startSeconds);
      const drain = kind('drain-check')[0]?.at ?? -1;
      assert.ok(drain < slot.startSeconds);
      const prev = p.slots[i - 1];
      if (prev) assert.ok(drain > prev.startSeconds + prev.durationSeconds + prev.gracefulStopSeconds);
      for (const t of mine.filter((t) => t.inWindow)) {
        assert.ok(t.at >= warmupEnd(slot) && t.at <= slotEnd(slot), `${slot.id} at ${t.at}`);
      }
      assert.ok(kind('tick').length >= 3, slot.id);
    });
  });
});

describe('executors', () => {
  const p = plan();

  it('closed slots: constant-vus, N VUs, tagged scenario/server/model', () => {
    const slot = p.slots.find((s) => s.id === 'medium_koa');
    assert.ok(slot);
    assert.deepEqual(slotScenario(slot), {
      executor: 'constant-vus',
      vus: 10,
      exec: EXEC.io,
      startTime: k6Duration(slot.startSeconds),
      duration: '12000ms',
      gracefulStop: k6Duration(slot.gracefulStopSeconds),
      tags: { scenario: 'medium', server: 'koa', model: 'async' },
    });
  });

  it('the open slots: constant-arrival-rate at N per d (the async closed-loop capacity), VUs bounded at 2N', () => {
    const slot = p.slots.find((s) => s.id === 'stress_open_express');
    assert.ok(slot);
    const sc = slotScenario(slot);
    assert.equal(sc.executor, 'constant-arrival-rate');
    assert.equal(sc.rate, 50);
    assert.equal(sc.timeUnit, '300ms');
    assert.equal(sc.preAllocatedVUs, 100);
    assert.equal(sc.maxVUs, 100);
    assert.deepEqual(sc.tags, { scenario: STRESS_OPEN_SCENARIO, server: 'express', model: 'sync' });
  });

  it('adds one sampler VU that runs one iteration per tick for the whole plan', () => {
    const all = k6Scenarios(p, 42);
    assert.equal(Object.keys(all).length, p.slots.length + 1);
    const sampler = all[SAMPLER_SCENARIO];
    assert.equal(sampler?.executor, 'per-vu-iterations');
    assert.equal(sampler?.iterations, 42);
    assert.equal(sampler?.vus, 1);
  });
});

describe('the first request of each VU', () => {
  it('waits a share of one delay, spread evenly over consecutive VUs, inside the warm-up', () => {
    const d = 0.3;
    const offsets = Array.from({ length: 50 }, (_, i) => firstRequestOffsetSeconds(i + 1, d));
    for (const o of offsets) assert.ok(o >= 0 && o < d, `${o}`);
    // Evenly: every tenth of the delay holds between 3 and 7 of the 50 VUs (a burst would put 50 in one).
    const tenths = Array.from(
      { length: 10 },
      (_, k) => offsets.filter((o) => Math.floor((o / d) * 10) === k).length,
    );
    for (const n of tenths) assert.ok(n >= 3 && n <= 7, `${tenths}`);
    for (const slot of plan().slots.filter((s) => s.kind === 'closed'))
      assert.ok(slot.warmupSeconds >= slot.delaySeconds - 1e-9, slot.id);
  });
});
