// The decision block on synthetic figures: memory, CPU ceilings, what N clients take, and the
// option that meets the SLO (k6/lib/cost.ts, option.ts, decision.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readConfig } from '../k6/lib/config.ts';
import { type CostScenario, type CostTarget, cpuCeilings, whatItTakes } from '../k6/lib/cost.ts';
import { buildDecision } from '../k6/lib/decision.ts';
import type { ServerFigures } from '../k6/lib/figures.ts';
import { metUpTo, optionLabel, recommendOption, scenarioOption } from '../k6/lib/option.ts';
import { renderDecisionText } from '../k6/lib/render-decision.ts';

const MiB = 1024 * 1024;
const fig = (p95: number, cpuMs: number, rps: number, rssMiB: number, errorRate = 0): ServerFigures =>
  ({ p95, cpuMsPerRequest: cpuMs, rps, rssBytesMax: rssMiB * MiB, errorRate }) as unknown as ServerFigures;

const targets: CostTarget[] = [
  { name: 'flask', model: 'sync', workers: 2 },
  { name: 'flask-gthread', model: 'sync', workers: 2, threads: 4 },
  { name: 'koa', model: 'async' },
  { name: 'fastify-cluster', model: 'async', processes: 2 },
];
// d = 0.1 s: SLO 200 ms. gthread (8 slots) keeps up to N = 5, flask (2) only at N = 1.
const scenario = (name: string, vus: number, servers: Record<string, ServerFigures>): CostScenario => ({
  name,
  vus,
  meanServiceSeconds: 0.1,
  servers,
});
const scenarios = [
  scenario('baseline', 1, {
    flask: fig(101, 3, 10, 60),
    'flask-gthread': fig(102, 2.5, 10, 70),
    koa: fig(101, 1, 10, 50),
    'fastify-cluster': fig(101, 1.2, 10, 110),
  }),
  scenario('low', 5, {
    flask: fig(300, 3, 17, 60),
    'flask-gthread': fig(105, 2.5, 48, 70),
    koa: fig(102, 1, 49, 50),
    'fastify-cluster': fig(102, 1.2, 49, 110),
  }),
  scenario('stress', 50, {
    flask: fig(2600, 3, 20, 60),
    'flask-gthread': fig(700, 2.5, 78, 70),
    koa: fig(130, 1.9, 430, 55),
    'fastify-cluster': fig(110, 1.1, 460, 120),
  }),
];

describe('the option that meets the SLO', () => {
  it('names a target with its size', () => {
    assert.equal(optionLabel(targets[1] as CostTarget), 'flask-gthread (2 × 4 threads)');
    assert.equal(optionLabel(targets[0] as CostTarget), 'flask (2 workers)');
    assert.equal(optionLabel(targets[3] as CostTarget), 'fastify-cluster (2 processes)');
  });

  it('defaults the SLO to 2 × the delay and orders the targets meeting it by CPU per request, then RSS', () => {
    const o = scenarioOption(targets, scenarios[1] as CostScenario);
    assert.equal(o.sloP95Ms, 200);
    assert.deepEqual(o.meeting, ['koa', 'fastify-cluster', 'flask-gthread']);
    assert.equal(o.cheapest, 'koa');
    assert.equal(scenarioOption(targets, scenarios[1] as CostScenario, 100).cheapest, null);
  });

  it('breaks a CPU tie on RSS and drops a target with errors', () => {
    const s = scenario('x', 1, {
      a: fig(50, 1, 10, 90),
      b: fig(50, 1, 10, 40),
      c: fig(10, 0.5, 10, 10, 0.05),
    });
    const abc: CostTarget[] = ['a', 'b', 'c'].map((name) => ({ name, model: 'async' }));
    assert.deepEqual(scenarioOption(abc, s).meeting, ['b', 'a']);
  });

  it('finds the largest N up to which a target meets the SLO at every smaller N', () => {
    const options = scenarios.map((s) => scenarioOption(targets, s));
    assert.equal(metUpTo('flask-gthread', options), 5);
    assert.equal(metUpTo('flask', options), 1);
    assert.equal(metUpTo('koa', options), 50);
  });

  it('says up to which N the sync option is enough and which targets meet it above', () => {
    const r = recommendOption(targets, scenarios, []);
    assert.deepEqual(r.sync, { server: 'flask-gthread', upToVus: 5 });
    assert.match(
      r.text,
      /^SLO p95 ≤ 2 × d: flask-gthread \(2 × 4 threads\) meets the SLO up to N = 5; above, only koa and fastify-cluster \(2 processes\) do/,
    );
    assert.match(
      r.text,
      /cheapest meeting it \(CPU per request, then RSS\): baseline koa, low koa, stress fastify-cluster/,
    );
  });

  it('says when no sync target meets the SLO, and when async gains nothing because it is CPU-bound', () => {
    const slow = scenarios.map((s) =>
      scenario(s.name, s.vus, { flask: fig(5000, 3, 1, 60), koa: fig(5000, 9, 111, 50) }),
    );
    const two = targets.filter((t) => t.name === 'flask' || t.name === 'koa');
    const ceilings = cpuCeilings(two, slow);
    const r = recommendOption(two, slow, ceilings);
    assert.match(r.text, /no sync target meets the SLO at any measured N/);
    assert.match(r.text, /CPU-bound at N = 50 \(stress\): async gains nothing there \(koa at 111 req\/s\)/);
  });
});

describe('cost figures', () => {
  it('names the CPU ceiling where CPU per request × throughput fills the cores the target can use', () => {
    const c = cpuCeilings(targets, scenarios);
    assert.deepEqual(
      c.map((x) => [x.scenario, x.server, Math.round(x.ceilingRps)]),
      [['stress', 'koa', 526]],
    );
    assert.match(
      c[0]?.text ?? '',
      /^koa: CPU-bound at 526 req\/s in stress \(1\.90 ms CPU per request × 430 req\/s = 0\.82 of 1 core\)/,
    );
  });

  it('sizes each sync target to N clients at about d, at its measured RSS per worker', () => {
    const w = whatItTakes(targets, scenarios[2] as CostScenario);
    assert.deepEqual(
      w.sync.map((s) => [
        s.server,
        s.workersNeeded,
        (s.rssPerWorkerBytes ?? 0) / MiB,
        (s.rssNeededBytes ?? 0) / MiB,
      ]),
      [
        ['flask', 50, 30, 1500],
        ['flask-gthread', 13, 35, 455],
      ],
    );
    assert.deepEqual(
      w.async.map((a) => [a.server, a.processes, (a.rssPerProcessBytes ?? 0) / MiB]),
      [
        ['koa', 1, 55],
        ['fastify-cluster', 2, 60],
      ],
    );
  });

  it('renders memory, what stress takes and the option in the terminal', () => {
    const text = renderDecisionText(buildDecision(targets, scenarios, null));
    assert.match(text, /stress \(N=50\)\s+60 MiB\s+70 MiB\s+55 MiB\s+120 MiB/);
    assert.match(text, /flask-gthread\s+13 workers × 4 threads\s+2 × 4\s+35 MiB\s+455 MiB/);
    assert.match(text, /^Option: SLO p95/m);
  });
});

describe('SLO_P95_MS', () => {
  it('holds every scenario to the p95 given, else to 2 × its delay', () => {
    assert.equal(readConfig({}).sloP95Ms, null);
    assert.equal(readConfig({ SLO_P95_MS: '250' }).sloP95Ms, 250);
    assert.throws(
      () => readConfig({ SLO_P95_MS: 'fast' }),
      /SLO_P95_MS must be a positive number, got "fast"/,
    );
    const r = recommendOption(targets, scenarios, [], 120);
    assert.match(r.text, /^SLO p95 ≤ 120 ms: /);
    assert.deepEqual(
      r.scenarios.map((o) => o.sloP95Ms),
      [120, 120, 120],
    );
  });
});
