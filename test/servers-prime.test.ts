// The warm-up before k6 starts (scripts/prime.ts): every contract target serves its requests at
// no delay, in as many lanes as it has slots, and a target that fails them refuses the run in one
// line naming it.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Target } from '../k6/lib/targets.ts';
import { PRIME_PER_SLOT, primeTarget } from '../scripts/prime.ts';
import { closedPort, request, useServers, waitFor } from './helpers/servers.ts';

const target = (name: string, url: string, model: Target['model'] = 'sync'): Target => ({
  name,
  url,
  statsUrl: url,
  model,
  framework: name,
  builtin: true,
});

describe('warming up the targets before k6 starts', () => {
  const servers = useServers({ syncWorkers: 2, only: ['upstream', 'express', 'koa'] });

  const served = async (url: string) => (await request(`${url}/stats`)).body.served as number;

  it('sends PRIME_PER_SLOT requests in each of W lanes to a sync target, every one answered', async () => {
    const url = servers.urls.express;
    const before = await served(url);
    const sent = await primeTarget(target('express', url), 2);
    assert.equal(sent, 2 * PRIME_PER_SLOT);
    // The arbiter counts a request once its connection has closed.
    await waitFor(
      async () => ((await served(url)) >= before + sent ? true : undefined),
      5000,
      'express counting them',
    );
    assert.equal(await served(url), before + sent);
  });

  it('uses two lanes at least, so each process of an async cluster gets its share', async () => {
    const url = servers.urls.koa;
    const before = await served(url);
    const sent = await primeTarget(target('koa', url, 'async'), 1);
    assert.equal(sent, 2 * PRIME_PER_SLOT);
    await waitFor(
      async () => ((await served(url)) >= before + sent ? true : undefined),
      5000,
      'koa counting them',
    );
  });

  it('refuses in one line a target whose /io fails, naming it and the status', async () => {
    const failing = http.createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"error":"upstream down"}');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const { port } = failing.address() as AddressInfo;
    try {
      await assert.rejects(
        primeTarget(target('mine', `http://127.0.0.1:${port}`), 2),
        /^Error: mine: warming up with GET \/io\?delay=0 failed \(503\)$/,
      );
    } finally {
      await new Promise((resolve) => failing.close(resolve));
    }
  });

  it('refuses a target that stopped listening, with the reason', async () => {
    const port = await closedPort();
    await assert.rejects(
      primeTarget(target('gone', `http://127.0.0.1:${port}`), 1),
      /^Error: gone: warming up with GET \/io\?delay=0 failed \(ECONNREFUSED\)$/,
    );
  });
});
