// Threads count as workers: a sync target's T (gthread) travels from TARGETS (the runner fills it
// from /health) to the slot plan, which plans W·T slots.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readConfig } from '../k6/lib/config.ts';
import { buildPlan, cycleSeconds } from '../k6/lib/plan.ts';
import { formatTargets, parseTargets } from '../k6/lib/targets.ts';

describe('threads of a sync target', () => {
  it('reads threads= and writes it back for k6', () => {
    const [gthread] = parseTargets('flask-gthread=http://127.0.0.1:8008;workers=2;threads=4', {});
    assert.equal(gthread?.threads, 4);
    assert.equal(gthread?.workers, 2);
    assert.match(
      formatTargets(parseTargets('flask-gthread=http://127.0.0.1:8008;threads=4', {})),
      /;threads=4/,
    );
  });

  it('refuses threads= on an async target and a threads count below 1', () => {
    assert.throws(
      () => parseTargets('koa=http://127.0.0.1:8003;threads=4', {}),
      /threads= only applies to a sync target \('koa'\)/,
    );
    assert.throws(
      () => parseTargets('flask-gthread=http://127.0.0.1:8008;threads=0', {}),
      /threads of 'flask-gthread'/,
    );
  });

  it('plans W·T slots: gthread 2 × 4 cycles through 50 clients in 50/8 delays', () => {
    const cfg = readConfig({
      TARGETS: 'flask,flask-gthread=http://127.0.0.1:8008;workers=2;threads=4',
      SYNC_WORKERS: '2',
      SCENARIOS: 'stress',
    });
    const slots = buildPlan(cfg).slots.filter((s) => s.kind === 'closed');
    const [flask, gthread] = [
      slots.find((s) => s.server === 'flask'),
      slots.find((s) => s.server === 'flask-gthread'),
    ];
    assert.equal(gthread?.workers, 8);
    assert.equal(flask?.workers, 2);
    assert.ok(
      gthread && flask && gthread.durationSeconds < flask.durationSeconds,
      'gthread needs no more time than flask',
    );
    assert.equal(cycleSeconds(50, 0.3, 8), (50 / 8) * 0.3);
  });
});
