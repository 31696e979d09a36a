// The upstream's side of a slot: the profile the suite sets, the IO usage it reads back (from
// k6's data and rebuilt from samples alike), IO per request in the summary, the theory of a
// black-box target from its measured IO, and pool=P.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readConfig } from '../k6/lib/config.ts';
import { summaryDataFromSamples } from '../k6/lib/from-samples.ts';
import {
  ioFigures,
  ioUsageKeys,
  ioUsageSpecs,
  parseUsage,
  profileBody,
  usagePath,
} from '../k6/lib/io-usage.ts';
import { buildPlan, type Slot } from '../k6/lib/plan.ts';
import { renderReport } from '../k6/lib/report.ts';
import { runEnv } from '../k6/lib/run-info.ts';
import { buildSummary, type K6Metric, type K6SummaryData } from '../k6/lib/summary.ts';
import { renderTable } from '../k6/lib/table.ts';
import { formatTargets, parseTargets } from '../k6/lib/targets.ts';
import { p95BoundMs, slotKeys, thresholdSpecs } from '../k6/lib/thresholds.ts';
import { asyncSpeedup, expectedSpeedup, theoryLatencySeconds } from '../lib/theory.ts';

const UPSTREAM = 'http://127.0.0.1:8001';
const GW = 'gw=http://127.0.0.1:9002;model=async;path=/ask;method=POST;body={"question":"hi"}';

function slotOf(plan: { slots: readonly Slot[] }, id: string): Slot {
  const s = plan.slots.find((x) => x.id === id);
  assert.ok(s, id);
  return s;
}

describe('the profile a slot sets on the upstream', () => {
  const plan = buildPlan(
    readConfig({ SCENARIOS: 'medium,llm,stream', TIME_SCALE: '0.5', SYNC_WORKERS: '2' }),
  );

  it('is the slot’s scaled delay, its drawn profile from seed 0, and its stream', () => {
    const medium = slotOf(plan, 'medium_koa');
    assert.deepEqual(profileBody(medium), { slot: 'medium_koa', delay: medium.delaySeconds, seed: 0 });
    assert.deepEqual(profileBody(slotOf(plan, 'llm_koa')), {
      slot: 'llm_koa',
      delay: 0.4,
      seed: 0,
      dist: 'lognormal',
      sigma: 0.6,
    });
    const stream = profileBody(slotOf(plan, 'stream_koa'));
    assert.equal(stream.tokens, 50);
    assert.equal(stream.interval, 0.01);
    assert.equal(usagePath('a/b c'), '/profile/usage?slot=a%2Fb%20c');
  });

  it('reads the usage answer, and nothing else', () => {
    assert.deepEqual(parseUsage({ slot: 's', calls: 3, ioSeconds: 1.5, abandoned: 0, inFlight: 0 }), {
      calls: 3,
      ioSeconds: 1.5,
      inFlight: 0,
    });
    assert.equal(parseUsage({ calls: '3', ioSeconds: 1, inFlight: 0 }), null);
    assert.equal(parseUsage(null), null);
  });
});

describe('IO usage in the summary', () => {
  const env = {
    TARGETS: `express,koa,${GW}`,
    SCENARIOS: 'medium',
    SYNC_WORKERS: '2',
    UPSTREAM_URL: UPSTREAM,
  };
  const config = readConfig(env);
  const plan = buildPlan(config);
  const specs = [...thresholdSpecs(plan), ...ioUsageSpecs(plan, config.upstreamUrl)];
  const d = slotOf(plan, 'medium_koa').delaySeconds;
  // Per slot: requests sent, and the IO calls and seconds the upstream served; gw makes two calls
  // of d per request, so its theory is twice koa's latency.
  const usage: Record<string, [number, number, number]> = {
    express: [100, 100, 100 * d],
    koa: [1000, 1000, 1000 * d],
    gw: [500, 1000, 1000 * d],
  };
  const latencyMs: Record<string, number> = { express: 5000, koa: 500, gw: 1000 };
  const metrics: Record<string, K6Metric> = {};
  for (const slot of plan.slots.filter((s) => s.scenario === 'medium')) {
    const k = slotKeys(slot);
    const io = ioUsageKeys(slot);
    const [requests, calls, seconds] = usage[slot.server] ?? [0, 0, 0];
    const avg = latencyMs[slot.server] ?? 0;
    metrics[k.duration] = { type: 'trend', values: { avg, med: avg, 'p(95)': avg, count: requests } };
    metrics[k.completed] = { type: 'counter', values: { count: requests } };
    metrics[k.failed] = { type: 'rate', values: { rate: 0, passes: 0, fails: requests } };
    metrics[io.calls] = { type: 'counter', values: { count: calls } };
    metrics[io.seconds] = { type: 'counter', values: { count: seconds } };
  }
  const data: K6SummaryData = { metrics, setup_data: { workers: { express: 2 } } };
  const summary = buildSummary({ data, config, plan, specs, now: new Date(0) });
  const medium = summary.scenarios[0];

  it('reports IO calls and seconds per request for every target', () => {
    assert.equal(medium?.servers.koa?.ioCallsPerRequest, 1);
    assert.equal(medium?.servers.gw?.ioCallsPerRequest, 2);
    assert.ok(Math.abs((medium?.servers.gw?.ioSecondsPerRequest ?? 0) - 2 * d) < 1e-9);
  });

  it('holds a black-box target to the IO it measured, a contract target to the scenario’s', () => {
    const theory = asyncSpeedup(slotOf(plan, 'medium_koa').vus, 2);
    assert.equal(medium?.speedup.koa?.theory, theory);
    assert.ok(Math.abs((medium?.speedup.gw?.theory ?? 0) - theory / 2) < 1e-9);
    assert.ok(Math.abs((medium?.servers.gw?.theoryMeanMs ?? 0) - 2 * d * 1000) < 1e-6);
  });

  it('shows them in the table and the report, and a CPU nobody reads as not measured', () => {
    const table = renderTable(summary);
    assert.match(table, /IO per request, from the upstream/);
    assert.match(table, /medium\s+gw\s+2\.00\s/);
    const html = renderReport(summary);
    assert.match(html, /<h2>IO per request<\/h2>/);
    assert.equal(summary.targets.find((t) => t.name === 'gw')?.cpuMeasuredBy, 'not measured');
    assert.match(html, /<td>gw<\/td>[\s\S]*?<td>not measured<\/td>/);
  });

  it('adds no field and no probe to a run that knows no upstream', () => {
    assert.deepEqual(ioUsageSpecs(plan, undefined), []);
    // k6's data of such a run holds no usage submetric: the figures have no IO fields.
    const metricsWithoutIo = Object.fromEntries(
      Object.entries(metrics).filter(([k]) => !k.startsWith('upstream_io')),
    );
    const bare = buildSummary({
      data: { metrics: metricsWithoutIo, setup_data: data.setup_data },
      config: readConfig(Object.assign({}, env, { UPSTREAM_URL: '' })),
      plan,
      specs: thresholdSpecs(plan),
      now: new Date(0),
    });
    assert.ok(bare.scenarios[0]?.servers.koa);
    assert.ok(!('ioCallsPerRequest' in (bare.scenarios[0]?.servers.koa ?? {})));
    assert.ok(!('ioCallsPerRequest' in (bare.scenarios[0]?.servers.gw ?? {})));
  });

  it('rebuilds the same figures from the samples, the upstream known from run_info', async () => {
    const again = readConfig(runEnv(config, 1));
    assert.equal(again.upstreamUrl, UPSTREAM);
    const samples = (metric: string, tags: Readonly<Record<string, string>>) => {
      const key = Object.keys(metrics).find(
        (k) => k.startsWith(`${metric}{`) && Object.entries(tags).every(([t, v]) => k.includes(`${t}:${v}`)),
      );
      const m = key ? metrics[key] : undefined;
      if (!m) return Promise.resolve([]);
      if (m.type === 'rate') return Promise.resolve(Array.from({ length: m.values.fails ?? 0 }, () => 0));
      return Promise.resolve([m.values.count ?? 0]);
    };
    const rebuilt = await summaryDataFromSamples(specs, samples, data.setup_data);
    const gw = slotOf(plan, 'medium_gw');
    assert.deepEqual(ioFigures(rebuilt.data, gw), ioFigures(data, gw));
    assert.equal(ioFigures(rebuilt.data, gw)?.ioCallsPerRequest, 2);
  });
});

describe('pool=P: an async target whose IO goes through P connections', () => {
  const report = (pool: number) =>
    `report-p${pool}=http://127.0.0.1:9005;model=async;pool=${pool};path=/report`;

  it('is read, written back for k6, and refused in one line when wrong', () => {
    const [p5] = parseTargets(report(5), {});
    assert.equal(p5?.pool, 5);
    assert.match(formatTargets(parseTargets(report(5), {})), /;pool=5/);
    assert.equal(parseTargets('koa=http://127.0.0.1:8003;pool=10', {})[0]?.pool, 10);
    for (const [entry, error] of [
      ['db=http://h:1;model=sync;workers=2;pool=5', /pool= only applies to an async target \('db'\)/],
      [
        'db=http://h:1;model=async;pool=0',
        /pool of 'db' must be a whole number of connections from 1 to 100000, got '0'/,
      ],
      ['db=http://h:1;model=async;pool=2.5', /got '2.5'/],
      ['db=http://h:1;model=async;pool=', /pool of 'db' must be/],
      ['db=http://h:1;model=async;pool=5;pool=6', /pool= is given twice in 'db'/],
    ] as const) {
      assert.throws(
        () => parseTargets(entry, {}),
        (err: Error) => error.test(err.message) && !err.message.includes('\n'),
      );
    }
  });

  it('caps the theory at min(N, P)/W against W sync workers', () => {
    const load = { clients: 50, ioSeconds: 0.3 };
    const sync = { model: 'sync' as const, workers: 2 };
    assert.equal(expectedSpeedup(load, sync, { model: 'async', pool: 5 }), 5 / 2);
    assert.equal(expectedSpeedup(load, sync, { model: 'async', pool: 50 }), 50 / 2);
    assert.equal(expectedSpeedup(load, sync, { model: 'async', pool: 500 }), 50 / 2);
    assert.equal(theoryLatencySeconds({ model: 'async', pool: 5 }, load), 3);
  });

  it('bounds its p95 as a sync target of P workers, and gives its speedup in the summary', () => {
    const slot = { model: 'async' as const, vus: 50, delaySeconds: 0.3 };
    assert.equal(p95BoundMs(slot, 1, 5), p95BoundMs(Object.assign({}, slot, { model: 'sync' as const }), 5));
    assert.equal(p95BoundMs(slot, 1), Math.round(1.25 * 300 + 50));
    const config = readConfig({
      TARGETS: `flask=http://127.0.0.1:8005;workers=2,${report(5)}`,
      SCENARIOS: 'stress',
    });
    const plan = buildPlan(config);
    const metrics: Record<string, K6Metric> = {};
    for (const s of plan.slots.filter((x) => x.kind === 'closed')) {
      const k = slotKeys(s);
      const avg = s.server === 'flask' ? 7500 : 3000;
      metrics[k.duration] = { type: 'trend', values: { avg, med: avg, count: 100 } };
      metrics[k.completed] = { type: 'counter', values: { count: 100 } };
    }
    const summary = buildSummary({
      data: { metrics },
      config,
      plan,
      specs: thresholdSpecs(plan),
      now: new Date(0),
    });
    const stress = summary.scenarios[0];
    assert.equal(stress?.speedup['report-p5']?.theory, 2.5);
    assert.equal(stress?.speedup['report-p5']?.latency, 2.5);
    assert.equal(stress?.servers['report-p5']?.theoryMeanMs, 3000);
    // Its p50 is N/P delays by design: not held to the delay as an ideal async target's is.
    assert.equal(stress?.servers['report-p5']?.p50OverDelay, null);
    assert.ok(!summary.checks.some((c) => c.server === 'report-p5' && /p50 within/.test(c.name)));
    assert.equal(summary.targets.find((t) => t.name === 'report-p5')?.pool, 5);
  });
});
