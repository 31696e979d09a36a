import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readConfig } from '../k6/lib/config.ts';
import { buildPlan, type Plan } from '../k6/lib/plan.ts';
import { aggregate, judgeSpeedup, latencySpeedup, throughputSpeedup } from '../k6/lib/speedup.ts';
import { k6Thresholds, p95BoundMs, slotKeys, submetric, thresholdSpecs } from '../k6/lib/thresholds.ts';

const plan = (env: Record<string, string> = {}) =>
  buildPlan(readConfig(Object.assign({ SYNC_WORKERS: '2' }, env)));

describe('thresholds', () => {
  it('name submetrics by the tags the samples carry', () => {
    const keys = slotKeys({ scenario: 'medium', server: 'koa' });
    assert.equal(keys.duration, 'http_req_duration{scenario:medium,server:koa,phase:measure}');
    assert.equal(keys.failed, 'http_req_failed{scenario:medium,server:koa,name:/io}');
    assert.equal(keys.completed, 'io_completed{scenario:medium,server:koa}');
    assert.equal(submetric('x', { a: '1', b: '2' }), 'x{a:1,b:2}');
  });

  it('bound p95 by the theory: about d on async, ceil(N/W)·d on sync, plus 25% and 50 ms', () => {
    assert.equal(p95BoundMs({ model: 'async', vus: 10, delaySeconds: 1 }, 2), 1300);
    assert.equal(p95BoundMs({ model: 'sync', vus: 10, delaySeconds: 1 }, 2), 6300);
    // N/W = 2.5: a request waits two or three delays, so the bound is on three.
    assert.equal(p95BoundMs({ model: 'sync', vus: 5, delaySeconds: 1 }, 2), 3800);
    assert.equal(p95BoundMs({ model: 'sync', vus: 1, delaySeconds: 0.5 }, 2), 675);
  });

  it('scale with the slot’s delay under TIME_SCALE (the 50 ms overhead allowance does not)', () => {
    const fullPlan = plan();
    const tenthPlan = plan({ TIME_SCALE: '0.1' });
    const full = thresholdSpecs(fullPlan);
    const tenth = thresholdSpecs(tenthPlan);
    const bound = (specs: typeof full, slot: string) =>
      Number(specs.find((s) => s.slot === slot && s.expression.startsWith('p(95)<'))?.expression.slice(6));
    const delay = (p: Plan, slot: string) => p.slots.find((s) => s.id === slot)?.delaySeconds ?? Number.NaN;
    for (const slot of ['medium_express', 'medium_koa', 'stress_express', 'stress_fastify']) {
      // Stress's delay is raised to the floor at a tenth (100 ms, not 30 ms): the ratio follows it.
      const ratio = delay(tenthPlan, slot) / delay(fullPlan, slot);
      assert.ok(Math.abs(bound(tenth, slot) - 50 - (bound(full, slot) - 50) * ratio) <= 1, slot);
    }
  });

  it('put four claims on every closed slot and only reports on the open ones', () => {
    const p = plan();
    const specs = thresholdSpecs(p);
    for (const slot of p.slots) {
      const claims = specs.filter((s) => s.slot === slot.id && s.claim).map((s) => s.expression);
      if (slot.kind === 'closed') {
        assert.deepEqual(
          claims.map((c) => c.replace(/[\d.]+$/, 'N')),
          ['rate<N', 'p(95)<N', 'count>N', 'rate==N'],
        );
      } else assert.deepEqual(claims, []);
    }
  });

  it('abort only on a clearly broken server, evaluated from the middle of its slot', () => {
    const p = plan();
    const t = k6Thresholds(thresholdSpecs(p));
    const slot = p.slots.find((s) => s.id === 'high_fastify');
    assert.ok(slot);
    assert.deepEqual(t['http_req_failed{scenario:high,server:fastify,name:/io}'], [
      {
        threshold: 'rate<0.01',
        abortOnFail: true,
        delayAbortEval: `${Math.round((slot.startSeconds + slot.durationSeconds / 2) * 1000)}ms`,
      },
    ]);
  });
});

describe('speedup', () => {
  it('is the sync mean over the async mean, and async req/s over sync req/s', () => {
    assert.equal(latencySpeedup(5000, 1000), 5);
    assert.equal(throughputSpeedup(2, 10), 5);
    assert.equal(latencySpeedup(null, 1000), null);
    assert.equal(throughputSpeedup(0, 10), null);
  });

  it('passes within 0.8–1.25 × theory and names the figures when it fails', () => {
    assert.equal(judgeSpeedup('latency', 4.6, 5).ok, true);
    const low = judgeSpeedup('latency', 3.1, 5);
    assert.equal(low.ok, false);
    assert.equal(low.reason, 'latency speedup 3.10x < 0.80 × theory 5.00x');
    assert.match(judgeSpeedup('throughput', 7, 5).reason, /throughput speedup 7.00x > 1.25 × theory 5.00x/);
    assert.equal(judgeSpeedup('latency', null, 5).ok, false);
  });

  it('averages over every pair and maps the average onto the seed matrix', () => {
    assert.deepEqual(aggregate([1, 3]), { average: 2, max: 3, recommendation: 'good candidate' });
    assert.equal(aggregate([1, 1.5]).recommendation, 'moderate benefit');
    assert.equal(aggregate([5, 10, null]).recommendation, 'strong case');
    assert.equal(aggregate([10, 30]).recommendation, 'migrate');
    assert.deepEqual(aggregate([]), { average: null, max: null, recommendation: 'unknown' });
  });
});
