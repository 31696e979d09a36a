// Runs spread over several k6 processes: the segments, the plan under segmentation, the
// summary rebuilt from raw samples (pure, then from a real InfluxDB holding the samples of a
// two-instance run, tagged as `--instances` or as k6-operator tags them). The k6-operator
// manifests are in k6-operator.test.ts.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readConfig, runTags } from '../k6/lib/config.ts';
import { slotTags } from '../k6/lib/executors.ts';
import {
  evaluateThreshold,
  metricValues,
  parseSubmetric,
  percentile,
  summaryDataFromSamples,
} from '../k6/lib/from-samples.ts';
import { buildPlan, windowSeconds } from '../k6/lib/plan.ts';
import { type INSTANCE_TAGS, newTestid, parseRunEnv, runEnv } from '../k6/lib/run-info.ts';
import { instancesWithVus, partialSlots, splitVus, startSpread } from '../k6/lib/segmentation.ts';
import { buildSummary, type Summary } from '../k6/lib/summary.ts';
import { submetric, thresholdSpecs } from '../k6/lib/thresholds.ts';
import { quoteIdent, quoteString } from '../lib/influxql.ts';
import { METRICS, TAGS } from '../lib/registry.ts';
import { buildReport } from '../scripts/report.ts';
import { segments } from '../scripts/segments.ts';
import { influxdSkipReason, type RunningInfluxDB, startInfluxDB } from './helpers/influxdb.ts';

describe('execution segments', () => {
  it('are those k6-operator gives n runners', () => {
    assert.deepEqual(segments(2), [
      { instance: 1, segment: '0:1/2', sequence: '0,1/2,1' },
      { instance: 2, segment: '1/2:1', sequence: '0,1/2,1' },
    ]);
    assert.deepEqual(
      segments(4).map((s) => s.segment),
      ['0:1/4', '1/4:2/4', '2/4:3/4', '3/4:1'],
    );
    assert.throws(() => segments(0), /--instances must be a whole number from 1 to 64/);
  });

  it('split every slot’s VUs by striping: a 1-VU slot runs on the first instance only', () => {
    assert.deepEqual(splitVus(5, 2), [3, 2]);
    assert.deepEqual(splitVus(1, 2), [1, 0]);
    assert.deepEqual(splitVus(50, 4), [13, 13, 12, 12]);
    const plan = buildPlan(readConfig({ SYNC_WORKERS: '2' }));
    assert.deepEqual(partialSlots(plan, 2), [
      'baseline_express: instance 1 only',
      'baseline_koa: instance 1 only',
      'baseline_fastify: instance 1 only',
    ]);
    const stress = plan.slots.find((s) => s.id === 'stress_koa');
    assert.ok(stress);
    assert.deepEqual(instancesWithVus(stress, 2), [1, 2]);
  });

  it('tag each process: testid always, instance from K6_INSTANCE (k6-operator tags its own)', () => {
    assert.deepEqual(runTags({ TESTID: '20261127-010000' }), { testid: '20261127-010000' });
    assert.deepEqual(runTags({ TESTID: 't', K6_INSTANCES: '2', K6_INSTANCE: '2' }), {
      testid: 't',
      instance: '2',
    });
    assert.deepEqual(runTags({ TESTID: 't', K6_INSTANCES: '4', HOSTNAME: 'io-benchmark-1-abcde' }), {
      testid: 't',
    });
    assert.match(newTestid(new Date('2026-11-27T10:15:00Z')), /^20261127-101500$/);
  });

  it('write a run_info config that plans the same run again', () => {
    const cfg = readConfig({
      SYNC_WORKERS: '2',
      TARGETS: 'express,koa,mine=http://127.0.0.1:9000;model=async',
      SCENARIOS: 'low,stress-open',
      TIME_SCALE: '0.1',
    });
    const again = readConfig(parseRunEnv(JSON.stringify(runEnv(cfg, 2))));
    assert.deepEqual(buildPlan(again).slots, buildPlan(cfg).slots);
    assert.equal(again.instances, 2);
  });
});

describe('summary from raw samples', () => {
  it('computes what k6 reports: interpolated percentiles, counts, rates, last gauge value', () => {
    assert.equal(percentile([10, 20, 30, 40], 50), 25);
    assert.equal(percentile([10, 20, 30, 40], 95), 38.5);
    assert.equal(percentile([7], 99), 7);
    const t = metricValues('trend', [30, 10, 20, 40]);
    assert.equal(t.avg, 25);
    assert.equal(t.med, 25);
    assert.equal(t.count, 4);
    assert.deepEqual(metricValues('counter', [1, 1, 0.5]), { count: 2.5, rate: 0 });
    assert.equal(metricValues('rate', [0, 0, 1, 0]).rate, 0.25);
    assert.equal(metricValues('gauge', [3, 9, 4]).value, 4);
  });

  it('judges thresholds as k6 does, and reads submetric keys back', () => {
    assert.equal(evaluateThreshold('p(95)<300', { 'p(95)': 299.9 }), true);
    assert.equal(evaluateThreshold('p(95)<300', { 'p(95)': 300 }), false);
    assert.equal(evaluateThreshold('rate==1', { rate: 1 }), true);
    assert.equal(evaluateThreshold('count>0', {}), false);
    assert.throws(() => evaluateThreshold('p95 < 3', {}), /not understood/);
    const key = submetric(METRICS.httpReqDuration, { scenario: 'low', server: 'koa', phase: 'measure' });
    assert.deepEqual(parseSubmetric(key), {
      metric: 'http_req_duration',
      tags: { scenario: 'low', server: 'koa', phase: 'measure' },
    });
  });

  it('leaves out a submetric without samples, as k6 does', async () => {
    const plan = buildPlan(readConfig({ SYNC_WORKERS: '2', SCENARIOS: 'low' }));
    const { data, samples } = await summaryDataFromSamples(thresholdSpecs(plan), async () => [], null);
    assert.equal(samples, 0);
    assert.deepEqual(data.metrics, {});
  });
});

/**
 * A two-instance run of SCENARIOS=low at W = 2, as k6 would write it: every /io request of a
 * slot split between instance 1 and 2 by VU, the CPU sampler on instance 1, each sample's
 * load generator in `instanceTag` (`instance`, or k6-operator's `instance_id`). Built rather
 * than recorded so that every figure is known exactly.
 */
function twoInstanceRun(
  testid: string,
  instancesInConfig: number,
  startSpreadMs = 0,
  instanceTag: (typeof INSTANCE_TAGS)[number] = 'instance',
) {
  const cfg = readConfig({ SYNC_WORKERS: '2', SCENARIOS: 'low', TIME_SCALE: '0.1', TESTID: testid });
  const plan = buildPlan(cfg);
  const lines: string[] = [];
  let t = 1_700_000_000_000_000_000n;
  const esc = (v: string) => v.replace(/[,= ]/g, (c) => `\\${c}`);
  const point = (metric: string, tags: Record<string, string>, value: number, extra = '') => {
    const tagText = Object.entries(Object.assign({ testid }, tags))
      .map(([k, v]) => `${k}=${esc(v)}`)
      .join(',');
    lines.push(`${metric},${tagText} value=${value}${extra} ${t}`);
    t += 1_000_000n;
  };
  // run_info's config and workers are tags, written as k6 writes them: one point per instance
  // at the end of its setup(), the second `startSpreadMs` after the first.
  for (const [instance, after] of [
    ['1', 0n],
    ['2', BigInt(startSpreadMs) * 1_000_000n],
  ] as const) {
    lines.push(
      `${METRICS.runInfo},config=${esc(JSON.stringify(runEnv(cfg, instancesInConfig)))},${instanceTag}=${instance},testid=${testid},workers=${esc(JSON.stringify({ express: 2 }))} value=1 ${t + after}`,
    );
  }
  const latencies: Record<string, number[]> = {};
  for (const slot of plan.slots) {
    const tags = slotTags(slot);
    const d = slot.delaySeconds * 1000;
    const lat = slot.model === 'sync' ? [200, 250, 250, 300] : [101, 102, 103, 104];
    latencies[slot.server] = [];
    for (let i = 0; i < 40; i++) {
      const instance = String((i % 2) + 1);
      const ms = (lat[i % lat.length] as number) * (d / 100);
      latencies[slot.server]?.push(ms);
      const measured = Object.assign({}, tags, {
        [instanceTag]: instance,
        [TAGS.phase]: 'measure',
        [TAGS.name]: '/io',
      });
      point(METRICS.httpReqDuration, measured, ms);
      point(METRICS.httpReqFailed, measured, 0);
      point(METRICS.httpReqs, measured, 1);
    }
    // Throughput at the theory's rate (N/d async, W/d sync) over the slot's own window: slots
    // are sized per target, so the counts differ by window as well as by rate.
    const perSecond =
      (slot.model === 'async' ? slot.vus : Math.min(slot.vus, slot.workers)) / slot.delaySeconds;
    const completed = Math.round(perSecond * windowSeconds(slot));
    for (let i = 0; i < completed; i++) {
      point(METRICS.ioCompleted, Object.assign({}, tags, { [instanceTag]: String((i % 2) + 1) }), 1);
    }
    for (let i = 0; i < 3; i++) {
      const sampler = Object.assign({}, tags, { [instanceTag]: '1' });
      point(METRICS.serverCpuPercent, sampler, 10 + i);
      point(METRICS.serverCpuSeconds, sampler, 0.01);
      point(METRICS.serverRssBytes, sampler, 50e6);
      point(METRICS.serverInFlight, sampler, 2);
    }
    point('sync_drained', Object.assign({}, tags, { [instanceTag]: '1' }), 1);
  }
  return { cfg, plan, lines, latencies };
}

describe('npm run report against a real InfluxDB', { skip: influxdSkipReason() }, () => {
  let influx: RunningInfluxDB;
  let dir: string;
  before(async () => {
    influx = await startInfluxDB();
    dir = mkdtempSync(path.join(tmpdir(), 'io-bench-report-'));
  });
  after(async () => {
    await influx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('merges both instances: exact percentiles of all samples, the same summary as from k6 data', async () => {
    const run = twoInstanceRun('20261127-000001', 2);
    await influx.write(run.lines.join('\n'));
    // Another run in the same database must not leak in.
    await influx.write(
      twoInstanceRun('20261127-000000', 2)
        .lines.join('\n')
        .replace(/value=(\d+)/g, 'value=9$1'),
    );
    const out = await buildReport(
      { testid: '20261127-000001', resultsDir: path.join(dir, 'a') },
      { INFLUXDB_URL: influx.k6Url },
    );
    assert.equal(out.samples > 0, true);
    assert.deepEqual(out.instances, ['1', '2']);
    const summary = JSON.parse(readFileSync(path.join(dir, 'a', 'summary.json'), 'utf8')) as Summary;
    assert.equal(summary.testid, '20261127-000001');
    const low = summary.scenarios[0];
    assert.ok(low);
    const koa = low.servers.koa;
    assert.ok(koa);
    assert.equal(koa.requests, 40);
    // 5 clients at 0.1 s over koa's own 1.1 s window.
    assert.equal(koa.completed, 55);
    const sorted = [...(run.latencies.koa ?? [])].sort((a, b) => a - b);
    assert.equal(koa.p50, percentile(sorted, 50));
    assert.equal(koa.p95, percentile(sorted, 95));
    // The same numbers as buildSummary from the equivalent k6 data, through the same module.
    const specs = thresholdSpecs(run.plan);
    const data = await summaryDataFromSamples(
      specs,
      async (metric, tags) => {
        const where = Object.entries(Object.assign({ testid: '20261127-000001' }, tags))
          .map(([k, v]) => `${quoteIdent(k)}=${quoteString(v)}`)
          .join(' AND ');
        const rows = await influx.query(`SELECT value FROM ${quoteIdent(metric)} WHERE ${where}`);
        return (rows.series?.[0]?.values ?? []).map((r) => r[1] as number);
      },
      { workers: { express: 2 } },
    );
    const direct = buildSummary({
      data: data.data,
      config: run.cfg,
      plan: run.plan,
      specs,
      now: new Date(0),
    });
    assert.deepEqual(
      direct.scenarios.map((s) => s.speedup),
      summary.scenarios.map((s) => s.speedup),
    );
    assert.equal(out.code, 0);
  });

  /** npm run report of one run, with the lines it printed. */
  const reportOf = async (testid: string) => {
    const logs: string[] = [];
    const original = console.log;
    console.log = (line: string) => logs.push(String(line));
    try {
      const out = await buildReport(
        { testid, resultsDir: path.join(dir, testid) },
        { INFLUXDB_URL: influx.k6Url },
      );
      return { out, logs: logs.join('\n') };
    } finally {
      console.log = original;
    }
  };

  it('says when a load generator is missing, and fails', async () => {
    const run = twoInstanceRun('20261127-000002', 3);
    await influx.write(run.lines.join('\n'));
    const { out, logs } = await reportOf('20261127-000002');
    assert.equal(out.code, 1);
    assert.equal(out.expectedInstances, 3);
    assert.match(logs, /MISSING: 1 of 3 load generators left no samples/);
    assert.match(logs, /MISSING: low_koa has no samples from instance 3/);
  });

  it('says how far apart the load generators started their slots, and warns past 2% of a window', async () => {
    const logsOf = async (testid: string, spreadMs: number) => {
      await influx.write(twoInstanceRun(testid, 2, spreadMs).lines.join('\n'));
      return (await reportOf(testid)).logs;
    };
    // SCENARIOS=low at scale 0.1: 2% of the shortest window, an async slot's 1.1 s (1.2 s, less
    // a warm-up of one 100 ms delay), is 22 ms.
    const { plan } = twoInstanceRun('', 2);
    assert.equal(Math.round(startSpread(plan, [0, 1000]).allowedMs), 22);
    assert.match(await logsOf('20261127-000003', 12), /started their slots within 12 ms of each other/);
    assert.match(
      await logsOf('20261127-000004', 1000),
      /WARNING: the load generators started their slots 1000 ms apart \(more than 22 ms\)/,
    );
  });

  it('names the runs it has when asked for one it has not', async () => {
    await assert.rejects(
      buildReport({ testid: 'nope', resultsDir: path.join(dir, 'c') }, { INFLUXDB_URL: influx.k6Url }),
      /no run nope in .*; runs there: 20261127-000004, 20261127-000003, 20261127-000002/,
    );
  });

  it('reads a k6-operator run: every load generator in instance_id, the same checks', async () => {
    await influx.write(twoInstanceRun('20261126-000001', 2, 0, 'instance_id').lines.join('\n'));
    const { out, logs } = await reportOf('20261126-000001');
    assert.deepEqual(out.instances, ['1', '2']);
    assert.equal(out.code, 0, logs);
    assert.match(logs, /from 2 load generator\(s\) \(1, 2\), 2 expected; 2 of 2 started their setup/);
    assert.match(logs, /3 of 3 slots hold samples from every instance that ran their VUs/);
    assert.match(logs, /CPU sampler: samples from instance\(s\) 1 \(expected 1 only\)/);
    assert.doesNotMatch(logs, /MISSING/);
  });
});
