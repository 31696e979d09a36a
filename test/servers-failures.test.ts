// An upstream that is down or too slow gets a 502/504 within a bounded time, and the sync worker
// is free again; a worker that dies is replaced.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  closedPort,
  io,
  NODE_SERVERS,
  request,
  silentServer,
  useServers,
  waitFor,
} from './helpers/servers.ts';

describe('upstream down', () => {
  let upstreamUrl = '';
  before(async () => {
    upstreamUrl = `http://127.0.0.1:${await closedPort()}`;
  });
  const servers = useServers({
    only: [...NODE_SERVERS],
    syncWorkers: 1,
    get upstreamUrl() {
      return upstreamUrl;
    },
  });

  for (const name of NODE_SERVERS) {
    it(`${name} answers 502 at once and keeps serving`, async () => {
      for (const path of ['/io?delay=1', '/fanout?delay=1&concurrent=5']) {
        const { status, body, ms } = await request(`${servers.urls[name]}${path}`);
        assert.equal(status, 502);
        assert.match(String(body.error), /^upstream unavailable: ECONNREFUSED/);
        assert.ok(ms < 1000, `${path} took ${ms.toFixed(0)} ms`);
      }
      assert.equal((await request(`${servers.urls[name]}/health`)).status, 200);
    });
  }
});

describe('upstream too slow (UPSTREAM_TIMEOUT_MS=300, an upstream that never answers)', () => {
  const TIMEOUT_MS = 300;
  let silent: Awaited<ReturnType<typeof silentServer>> | undefined;
  before(async () => {
    silent = await silentServer();
  });
  after(() => silent?.close());
  const servers = useServers({
    only: [...NODE_SERVERS],
    syncWorkers: 1,
    env: { UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) },
    get upstreamUrl() {
      return silent?.url;
    },
  });

  for (const name of NODE_SERVERS) {
    it(`${name} answers 504 within delay + timeout, and the next request is served`, async () => {
      for (const delay of [0, 0.2]) {
        const budget = delay * 1000 + TIMEOUT_MS;
        const { status, body, ms } = await request(io(servers.urls[name], delay));
        assert.equal(status, 504);
        assert.equal(body.error, `upstream did not answer within ${budget} ms`);
        assert.ok(
          ms >= budget - 2 && ms < budget + 400,
          `took ${ms.toFixed(0)} ms for a ${budget} ms budget`,
        );
      }
      // On express (one worker) this proves the worker is free again, not stuck on the lost call.
      const health = await request(`${servers.urls[name]}/health`);
      assert.equal(health.status, 200);
      assert.ok(health.ms < 200);
    });
  }
});

describe('a dead express worker', () => {
  const W = 2;
  const servers = useServers({ only: ['upstream', 'express'], syncWorkers: W });
  const health = async () => (await request(`${servers.urls.express}/health`)).body.pid as number;
  /** Idle workers are used in turn, so W sequential /health calls meet every idle worker. */
  const workerPids = async () => {
    const pids = new Set<number>();
    for (let i = 0; i < 2 * W; i++) pids.add(await health());
    return pids;
  };

  it('is replaced: its request fails, /health keeps answering, and the pool is back to W', async () => {
    const before = await workerPids();
    assert.equal(before.size, W);
    const statsBefore = (await request(`${servers.urls.express}/stats`)).body;

    const held = request(io(servers.urls.express, 2)).then(
      (r) => r.status,
      (err: Error) => err.message,
    );
    await waitFor(
      async () => ((await request(`${servers.urls.express}/stats`)).body.inFlight === 1 ? true : undefined),
      2000,
      'a busy worker',
    );
    const idlePid = await health();
    const busyPid = [...before].find((pid) => pid !== idlePid) as number;
    process.kill(busyPid, 'SIGKILL');

    // The held connection dies with its worker (as with a Gunicorn worker killed mid-request).
    assert.match(String(await held), /socket hang up|ECONNRESET/);
    assert.equal(await health(), idlePid);
    const after = await waitFor(
      async () => {
        const pids = await workerPids();
        return pids.size === W && !pids.has(busyPid) ? pids : undefined;
      },
      10_000,
      'a replacement worker',
    );
    assert.ok(after.has(idlePid));

    // The worker that answered the last /health reports itself idle when that connection
    // closes, a moment after the client has the answer: the pool settles, nothing stays busy.
    const statsAfter = await waitFor(
      async () => {
        const body = (await request(`${servers.urls.express}/stats`)).body;
        return body.inFlight === 0 ? body : undefined;
      },
      2000,
      'no request in flight',
    );
    assert.ok(
      (statsAfter.cpuSeconds as number) >= (statsBefore.cpuSeconds as number),
      'CPU seconds never go back',
    );
    assert.ok((statsAfter.served as number) >= (statsBefore.served as number), 'served never goes back');
  });
});
