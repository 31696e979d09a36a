// The blocking upstream client of the sync server, in-process: it must really block the thread
// (as requests.get() does), and come back with 502/504 within its bound.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { drawDelay } from '../servers/lib/delay-dist.ts';
import { HttpError } from '../servers/lib/http-error.ts';
import { createSyncUpstreamClient, type SyncUpstreamClient } from '../servers/lib/sync-upstream.ts';
import { closedPort, silentServer, useServers } from './helpers/servers.ts';

describe('sync upstream client', () => {
  // In another process: this thread is the one being blocked.
  const servers = useServers({ only: ['upstream'] });
  let silent: Awaited<ReturnType<typeof silentServer>>;
  let client: SyncUpstreamClient;
  let slowClient: SyncUpstreamClient;
  let downClient: SyncUpstreamClient;

  before(async () => {
    // A silent server in this thread is fine: the kernel accepts for it, and it never answers anyway.
    silent = await silentServer();
    client = createSyncUpstreamClient({ upstreamUrl: servers.urls.upstream, timeoutMs: 1000 });
    slowClient = createSyncUpstreamClient({ upstreamUrl: silent.url, timeoutMs: 200 });
    downClient = createSyncUpstreamClient({
      upstreamUrl: `http://127.0.0.1:${await closedPort()}`,
      timeoutMs: 1000,
    });
    await Promise.all([client.ready, slowClient.ready, downClient.ready]);
  });
  after(async () => {
    await Promise.all([client.close(), slowClient.close(), downClient.close()]);
    await silent.close();
  });

  it('blocks the calling thread for the whole delay: no timer runs meanwhile', () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    client.call({ delay: 0.2, dist: 'fixed' });
    const ms = performance.now() - started;
    clearInterval(timer);
    assert.equal(ticks, 0);
    assert.ok(ms >= 200 && ms < 450, `took ${ms.toFixed(0)} ms`);
  });

  it('calls one after another, each reply matched to its call', () => {
    const started = performance.now();
    for (let i = 0; i < 5; i++) client.call({ delay: 0.02, dist: 'fixed' });
    assert.ok(performance.now() - started >= 100);
  });

  it('returns the delay the upstream drew', () => {
    const params = { delay: 0.05, dist: 'exponential', seed: 11 } as const;
    assert.equal(client.call(params), drawDelay(params));
  });

  it('throws 504 after delay + timeout when the upstream never answers, and is usable again', () => {
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      assert.throws(
        () => slowClient.call({ delay: 0.1, dist: 'fixed' }),
        (err: unknown) => err instanceof HttpError && err.status === 504,
      );
      const ms = performance.now() - started;
      assert.ok(ms >= 300 && ms < 600, `took ${ms.toFixed(0)} ms`);
    }
  });

  it('throws 502 when the upstream is down', () => {
    assert.throws(
      () => downClient.call({ delay: 1, dist: 'fixed' }),
      (err: unknown) => err instanceof HttpError && err.status === 502 && /ECONNREFUSED/.test(err.message),
    );
  });
});
