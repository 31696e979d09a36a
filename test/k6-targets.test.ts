import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readConfig } from '../k6/lib/config.ts';
import { buildPlan } from '../k6/lib/plan.ts';
import { formatTargets, parseTargets, pickReference } from '../k6/lib/targets.ts';
import { thresholdSpecs } from '../k6/lib/thresholds.ts';
import { expectedSpeedup } from '../lib/theory.ts';

describe('targets', () => {
  it('defaults to express, koa and fastify at their registry ports', () => {
    assert.deepEqual(
      parseTargets(undefined).map((t) => [t.name, t.model, t.url, t.builtin]),
      [
        ['express', 'sync', 'http://127.0.0.1:8002', true],
        ['koa', 'async', 'http://127.0.0.1:8003', true],
        ['fastify', 'async', 'http://127.0.0.1:8004', true],
      ],
    );
  });

  it('orders sync targets first and gives flask its separate stats URL', () => {
    const targets = parseTargets('quart,koa,flask,express', { FLASK_STATS_URL: 'http://gunicorn:9015/' });
    assert.deepEqual(
      targets.map((t) => t.name),
      ['express', 'flask', 'koa', 'quart'],
    );
    const flask = targets.find((t) => t.name === 'flask');
    assert.equal(flask?.url, 'http://127.0.0.1:8005');
    assert.equal(flask?.statsUrl, 'http://gunicorn:9015');
  });

  describe('when a user names their own server', () => {
    it('takes name=url;model=... entries, with workers and a stats URL for sync ones', () => {
      const [express, legacy, koa, mine] = parseTargets(
        'express,koa,mine=http://127.0.0.1:9000/;model=async,legacy=http://127.0.0.1:9100;model=sync;workers=4;stats=http://127.0.0.1:9101',
      );
      assert.equal(express?.name, 'express');
      assert.equal(koa?.name, 'koa');
      assert.deepEqual(mine, {
        name: 'mine',
        url: 'http://127.0.0.1:9000',
        statsUrl: 'http://127.0.0.1:9000',
        model: 'async',
        framework: 'mine: user target (async)',
        builtin: false,
      });
      assert.equal(legacy?.model, 'sync');
      assert.equal(legacy?.workers, 4);
      assert.equal(legacy?.statsUrl, 'http://127.0.0.1:9101');
    });

    it('refuses an entry that cannot be measured, saying what is wrong', () => {
      assert.throws(() => parseTargets('express,nginx'), /unknown target 'nginx'; built-in: express, flask/);
      assert.throws(
        () => parseTargets('mine=http://127.0.0.1:9000'),
        /'mine' needs model=sync or model=async/,
      );
      assert.throws(() => parseTargets('mine=localhost:9000;model=async'), /must be an http\(s\) URL/);
      assert.throws(
        () => parseTargets('mine=http://h:1;model=async;workers=2'),
        /only applies to a sync target/,
      );
      assert.throws(() => parseTargets('mine=http://h:1;model=sync;workers=0'), /workers of 'mine' must be/);
      assert.throws(() => parseTargets('mine=http://h:1;model=async;color=red'), /'color=red' in 'mine'/);
      assert.throws(() => parseTargets('koa,koa'), /'koa' is named twice/);
      assert.throws(() => parseTargets('My_Server=http://h:1;model=async'), /not a usable target name/);
    });

    it('round-trips through formatTargets, which the runner passes to k6', () => {
      const raw = 'express=http://127.0.0.1:41000;workers=2,mine=http://127.0.0.1:9000;model=async';
      const targets = parseTargets(raw);
      assert.deepEqual(parseTargets(formatTargets(targets)), targets);
    });
  });

  describe('reference', () => {
    it('is express by default, REFERENCE when given, none without a sync target', () => {
      assert.equal(pickReference(parseTargets('express,flask,koa'), undefined), 'express');
      assert.equal(pickReference(parseTargets('express,flask,koa'), 'flask'), 'flask');
      assert.equal(pickReference(parseTargets('flask,quart'), undefined), 'flask');
      assert.equal(pickReference(parseTargets('koa,fastify,control'), undefined), null);
      assert.throws(
        () => pickReference(parseTargets('express,koa'), 'flask'),
        /REFERENCE=flask is not among/,
      );
      assert.throws(() => pickReference(parseTargets('express,koa'), 'koa'), /must be a sync target/);
    });
  });

  it('plans every sync target with its own W and the slot length of the slowest', () => {
    const cfg = readConfig({
      TARGETS: 'express=http://127.0.0.1:8002;workers=4,flask,koa',
      SYNC_WORKERS: '1',
      SCENARIOS: 'medium',
    });
    assert.deepEqual(cfg.workers, { express: 4, flask: 1 });
    const plan = buildPlan(cfg);
    assert.deepEqual(
      plan.slots.map((s) => [s.server, s.workers, s.gracefulStopSeconds]),
      [
        // One cycle (or delay) and the half-second margin of scale 1.
        ['express', 4, 2.5 + 0.5],
        ['flask', 1, 10 + 0.5],
        ['koa', 1, 1 + 0.5],
      ],
    );
    // The p95 bound of each sync slot follows its own W: ceil(10/4)·1 s vs 10·1 s.
    const bounds = thresholdSpecs(plan).filter((s) => s.metric.startsWith('http_req_duration'));
    assert.deepEqual(
      bounds.map((b) => b.expression),
      ['p(95)<3800', 'p(95)<12550', 'p(95)<1300'],
    );
  });

  it('leaves out the drain threshold when no sync target is selected', () => {
    const plan = buildPlan(readConfig({ TARGETS: 'koa,control', SCENARIOS: 'low' }));
    assert.equal(plan.reference, null);
    assert.ok(thresholdSpecs(plan).every((s) => !s.metric.startsWith('sync_drained')));
  });

  it('expects max(1, N/W_ref) of an async target and W/W_ref-like ratios of a sync one', () => {
    const W2 = { model: 'sync' as const, workers: 2 };
    assert.equal(expectedSpeedup({ clients: 20, ioSeconds: 1 }, W2, { model: 'async' }), 10);
    assert.equal(expectedSpeedup({ clients: 20, ioSeconds: 1 }, W2, { model: 'sync', workers: 2 }), 1);
    assert.equal(expectedSpeedup({ clients: 20, ioSeconds: 1 }, W2, { model: 'sync', workers: 4 }), 2);
    assert.equal(expectedSpeedup({ clients: 1, ioSeconds: 1 }, W2, { model: 'sync', workers: 4 }), 1);
  });
});
