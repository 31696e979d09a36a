// Threads count as workers: a sync target's T (gthread) travels from TARGETS (the runner fills it
// from /health) to the slot plan, which plans W·T slots.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { readConfig } from '../k6/lib/config.ts';
import { buildPlan, cycleSeconds } from '../k6/lib/plan.ts';
import { formatTargets, parseTargets, type Target } from '../k6/lib/targets.ts';
import { checkContract } from '../scripts/contract.ts';

/** A contract target in-process whose /health says `health`. */
async function fakeTarget(health: unknown): Promise<{ url: string; close: () => void }> {
  const server = createServer((req, res) => {
    const body = req.url === '/health' ? health : req.url === '/stats' ? { cpuSeconds: 0, rssBytes: 1 } : {};
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

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

  it('reads T from /health before k6 starts, and refuses a T that is not a whole number', async () => {
    const good = await fakeTarget({ status: 'ok', model: 'sync', workers: 2, threads: 4 });
    const bad = await fakeTarget({ status: 'ok', model: 'sync', workers: 2, threads: 'four' });
    try {
      const [t] = parseTargets(`flask-gthread=${good.url};stats=${good.url}`, {});
      assert.deepEqual(await checkContract(t as Target), { workers: 2, threads: 4 });
      const [b] = parseTargets(`flask-gthread=${bad.url};stats=${bad.url}`, {});
      await assert.rejects(
        checkContract(b as Target),
        /has "threads" "four": it must be a whole number >= 1/,
      );
    } finally {
      good.close();
      bad.close();
    }
  });
});
