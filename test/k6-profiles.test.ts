import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readConfig } from '../k6/lib/config.ts';
import { buildPlan } from '../k6/lib/plan.ts';
import { countEvents, requestPath } from '../k6/lib/request.ts';
import { buildSummary, type K6Metric, type K6SummaryData } from '../k6/lib/summary.ts';
import { renderTable } from '../k6/lib/table.ts';
import { slotKeys, thresholdSpecs } from '../k6/lib/thresholds.ts';
import { meanDelaySeconds, meanServiceSeconds, SCENARIOS } from '../lib/registry.ts';

const spec = (name: string) => {
  const s = SCENARIOS.find((x) => x.name === name);
  assert.ok(s, name);
  return s;
};

describe('IO profiles in the registry', () => {
  it('are opt-in: llm, db and stream run only when named', () => {
    assert.deepEqual(
      SCENARIOS.filter((s) => s.optIn).map((s) => s.name),
      ['llm', 'db', 'stream'],
    );
    assert.ok(!readConfig({}).scenarios.includes('llm'));
    assert.deepEqual(readConfig({ SCENARIOS: 'stream,llm,db' }).scenarios, ['llm', 'db', 'stream']);
  });

  it('describe an LLM-like tail: p99 several times the median, and a mean above the median', () => {
    const llm = spec('llm');
    const sigma = llm.profile?.sigma ?? 0;
    const p99OverMedian = Math.exp(2.326 * sigma);
    assert.ok(p99OverMedian > 3 && p99OverMedian < 6, String(p99OverMedian));
    assert.ok(Math.abs(meanDelaySeconds(0.8, llm.profile) - 0.8 * Math.exp(0.18)) < 1e-12);
    // A stream holds its worker for the first token's delay and the 49 gaps after it.
    const stream = spec('stream');
    assert.ok(Math.abs(meanServiceSeconds(stream) - (0.3 * Math.exp(0.125) + 49 * 0.02)) < 1e-12);
  });
});

describe('profile slots', () => {
  const plan = buildPlan(readConfig({ SYNC_WORKERS: '2', SCENARIOS: 'llm,stream', TIME_SCALE: '0.5' }));
  const slot = (id: string) => {
    const s = plan.slots.find((x) => x.id === id);
    assert.ok(s, id);
    return s;
  };

  it('size the slot by the mean service time, and leave a slow draw time to answer', () => {
    const koa = slot('llm_koa');
    const express = slot('llm_express');
    const service = 0.4 * Math.exp(0.18);
    assert.ok(Math.abs((koa.serviceSeconds ?? 0) - service) < 0.001);
    assert.ok(Math.abs(express.cycleSeconds - 10 * service) < 0.002);
    // Each slot lasts six of its own target's cycles: the mean service time on koa.
    assert.ok(koa.durationSeconds >= 6 * service - 0.01);
    assert.ok(express.durationSeconds >= 6 * express.cycleSeconds - 0.01);
    // A 1-in-1000 lognormal draw: 0.4 · e^(3.09·0.6) ≈ 2.55 s.
    assert.ok(koa.gracefulStopSeconds > 2.5, String(koa.gracefulStopSeconds));
  });

  it('ask every target for the same draws: the n-th request of a slot carries seed n', () => {
    assert.equal(requestPath(slot('llm_koa'), 7), '/io?delay=0.4&dist=lognormal&sigma=0.6&seed=7');
    assert.equal(requestPath(slot('llm_express'), 7), requestPath(slot('llm_koa'), 7));
    assert.equal(
      requestPath(slot('stream_fastify'), 0),
      '/stream?tokens=50&interval=0.01&delay=0.15&dist=lognormal&sigma=0.5&seed=0',
    );
    assert.equal(requestPath({ delaySeconds: 0.0000001 }, 3), '/io?delay=0.0000001');
  });

  it('claim no p95 bound (a variable delay has none) but keep the other claims', () => {
    const specs = thresholdSpecs(plan).filter((s) => s.slot === 'llm_koa');
    const claims = specs.filter((s) => s.claim).map((s) => s.metric.split('{')[0]);
    assert.deepEqual(claims.sort(), ['http_req_failed', 'io_completed', 'sync_drained']);
    const streamKeys = slotKeys(slot('stream_koa'));
    assert.match(streamKeys.failed, /name:\/stream/);
    assert.ok(thresholdSpecs(plan).some((s) => s.metric === streamKeys.ttft));
  });

  it('count the events of a streamed body', () => {
    assert.equal(countEvents('data: {"token":1,"of":2}\n\ndata: {"token":2,"of":2}\n\n'), 2);
    assert.equal(countEvents(''), 0);
    assert.equal(countEvents(null), 0);
  });

  it('report the mean against the theory and the ratio at every percentile', () => {
    const metrics: Record<string, K6Metric> = {};
    const figures: Record<string, [number, number, number, number]> = {
      // mean, p50, p99, max (ms): the sync tail parts further from async than its mean.
      express: [4650, 4400, 9800, 12000],
      koa: [465, 400, 1600, 2500],
      fastify: [470, 405, 1620, 2400],
    };
    for (const s of plan.slots.filter((x) => x.scenario === 'llm')) {
      const k = slotKeys(s);
      const [avg, med, p99, max] = figures[s.server] ?? [0, 0, 0, 0];
      metrics[k.duration] = {
        type: 'trend',
        values: {
          avg,
          med,
          'p(90)': med * 2,
          'p(95)': p99 * 0.8,
          'p(99)': p99,
          'p(99.9)': max,
          min: 50,
          max,
          count: 300,
        },
      };
      metrics[k.completed] = { type: 'counter', values: { count: 200 } };
      metrics[k.failed] = { type: 'rate', values: { rate: 0 } };
    }
    const data: K6SummaryData = { metrics, setup_data: { workers: { express: 2 } } };
    const summary = buildSummary({
      data,
      config: readConfig({ SYNC_WORKERS: '2', SCENARIOS: 'llm', TIME_SCALE: '0.5' }),
      plan: buildPlan(readConfig({ SYNC_WORKERS: '2', SCENARIOS: 'llm', TIME_SCALE: '0.5' })),
      specs: [],
      now: new Date(0),
    });
    const llm = summary.scenarios[0];
    assert.ok(llm);
    assert.equal(llm.name, 'llm');
    const service = 0.4 * Math.exp(0.18) * 1000;
    assert.ok(
      Math.abs((llm.servers.express?.theoryMeanMs ?? 0) - 10 * service) < 10,
      "rounded to the ms of the slot's service time",
    );
    assert.ok(Math.abs((llm.servers.koa?.theoryMeanMs ?? 0) - service) < 1);
    assert.equal(llm.speedup.koa?.tail.p50, 11);
    assert.ok(Math.abs((llm.speedup.koa?.tail.p99 ?? 0) - 9800 / 1600) < 1e-9);
    assert.equal(llm.servers.koa?.p50OverDelay, null);
    const table = renderTable(summary);
    assert.match(table, /Variable IO: mean against the theory/);
    assert.match(table, /llm\s+koa\s+465 ms\s+\d+ ms\s+400 ms/);
  });
});
