import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  asyncSpeedup,
  cpuCapacityCores,
  cpuCeilingRps,
  effectiveSlots,
  expectedSpeedup,
  queueFactor,
  theoryLatencySeconds,
  theoryThroughput,
  workerSlots,
  workersToServe,
} from '../lib/theory.ts';

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);
const sync = (workers: number, threads?: number) => ({ model: 'sync' as const, workers, threads });
const async1 = { model: 'async' as const };

describe('theory without CPU work (the seed’s table)', () => {
  it('queues N clients on W workers: max(1, N/W)', () => {
    assert.equal(queueFactor(50, 1), 50);
    assert.equal(queueFactor(10, 2), 5);
    assert.equal(queueFactor(1, 2), 1);
    assert.equal(asyncSpeedup(20, 1), 20);
    assert.throws(() => asyncSpeedup(5, 0), RangeError);
  });

  it('gives sync latency max(1, N/W)·d and throughput min(N, W)/d; async d and N/d', () => {
    const load = { clients: 10, ioSeconds: 0.3 };
    assert.equal(theoryLatencySeconds(sync(2), load), 5 * 0.3);
    assert.equal(theoryThroughput(sync(2), load), 2 / 0.3);
    assert.equal(theoryLatencySeconds(async1, load), 0.3);
    assert.equal(theoryThroughput(async1, load), 10 / 0.3);
  });

  it('expects an async target max(1, N/W_ref) times faster, a sync one with the same W as fast', () => {
    const load = { clients: 20, ioSeconds: 0.5 };
    assert.equal(expectedSpeedup(load, sync(2), async1), 10);
    assert.equal(expectedSpeedup(load, sync(2), sync(2)), 1);
    assert.equal(expectedSpeedup(load, sync(2), sync(4)), 2);
  });

  it('counts threads as workers (gthread: W·T)', () => {
    assert.equal(workerSlots(sync(2, 4)), 8);
    assert.equal(expectedSpeedup({ clients: 16, ioSeconds: 1 }, sync(2), sync(2, 4)), 4);
  });
});

describe('theory with CPU work c per request on K cores', () => {
  it('caps sync throughput at min(W/(d+c), min(W, K)/c)', () => {
    // W = 8 workers on K = 2 cores, d = 10 ms, c = 5 ms: the cores allow 400 req/s, the workers 533.
    const load = { clients: 100, ioSeconds: 0.01, cpuSeconds: 0.005, cores: 2 };
    close(theoryThroughput(sync(8), load), Math.min(8 / 0.015, 2 / 0.005), 'sync capacity');
    // CPU-light: W/(d+c) binds.
    const light = { clients: 100, ioSeconds: 1, cpuSeconds: 0.001, cores: 2 };
    close(theoryThroughput(sync(4), light), 4 / 1.001, 'sync, workers bind');
  });

  it('caps P async processes at min(N/(d+c), min(P, K)/c)', () => {
    const load = { clients: 100, ioSeconds: 0.01, cpuSeconds: 0.005, cores: 4 };
    close(theoryThroughput(async1, load), 1 / 0.005, 'one process');
    close(
      theoryThroughput({ model: 'async', processes: 8 }, load),
      Math.min(100 / 0.015, 4 / 0.005),
      'P > K',
    );
    const few = { clients: 2, ioSeconds: 0.01, cpuSeconds: 0.005, cores: 4 };
    close(theoryThroughput(async1, few), 2 / 0.015, 'N binds');
  });

  it('lets one async process beat W sync workers only while d > (W − 1)·c', () => {
    const W = 4;
    const c = 0.01;
    const at = (d: number) =>
      expectedSpeedup({ clients: 100, ioSeconds: d, cpuSeconds: c, cores: 8 }, sync(W), async1);
    assert.ok(at((W - 1) * c * 1.5) > 1);
    close(at((W - 1) * c), 1, 'break-even');
    assert.ok(at((W - 1) * c * 0.5) < 1);
  });

  it('keeps latency and throughput on Little’s law: N = X·L once saturated', () => {
    const load = { clients: 50, ioSeconds: 0.02, cpuSeconds: 0.004, cores: 2 };
    for (const t of [sync(3), sync(16), async1, { model: 'async' as const, processes: 2 }]) {
      close(theoryThroughput(t, load) * theoryLatencySeconds(t, load), 50, JSON.stringify(t));
      assert.ok(effectiveSlots(t, load) <= workerSlots(t));
    }
  });
});

describe('theory of the alternatives (threads count as workers, async processes)', () => {
  it('gives gthread (W workers × T threads) min(N, W·T)/W over W sync workers', () => {
    for (const clients of [1, 5, 10, 20, 50]) {
      const load = { clients, ioSeconds: 0.3 };
      const expected = Math.max(1, Math.min(clients, 2 * 4) / 2);
      close(expectedSpeedup(load, sync(2), sync(2, 4)), expected, `N=${clients}`);
    }
  });

  it('bounds a target by the cores it can keep busy and names the throughput where that happens', () => {
    assert.equal(cpuCapacityCores({ model: 'async' }), 1);
    assert.equal(cpuCapacityCores({ model: 'async', processes: 4 }, 2), 2);
    assert.equal(cpuCapacityCores(sync(2, 4)), 8);
    close(cpuCeilingRps(0.002, 1), 500, '1 core at 2 ms');
    assert.equal(cpuCeilingRps(0, 1), Number.POSITIVE_INFINITY);
  });

  it('takes ⌈N/T⌉ workers of T threads to serve N clients at about d', () => {
    assert.equal(workersToServe(50), 50);
    assert.equal(workersToServe(50, 4), 13);
    assert.throws(() => workersToServe(5, 0), RangeError);
  });
});
