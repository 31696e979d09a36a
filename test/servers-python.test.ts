// The seed's own stack as targets: Flask on Gunicorn's sync workers and Quart on Hypercorn.
// The route contract is checked with every other target (servers-routes, -profiles, -stream);
// here, what is Python's own: the sync/async behaviour, flask's /stats on Gunicorn's arbiter
// while every worker is blocked, and the one line a user gets when a package is missing.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PYTHON_TARGET_NAMES, pythonProblem, startServers } from '../servers/launch.ts';
import { concurrently, fanout, io, request, useServers, waitFor } from './helpers/servers.ts';

const MISSING = pythonProblem(PYTHON_TARGET_NAMES);

describe('flask and quart', { skip: MISSING ?? false }, () => {
  const servers = useServers<'upstream' | 'flask' | 'quart'>({
    syncWorkers: 1,
    only: ['upstream', 'flask', 'quart'],
  });

  it('flask (W = 1) serves 3 concurrent /io one after another; quart all at once', async () => {
    const sync = await concurrently(io(servers.urls.flask, 0.3), 3);
    assert.ok(sync.ms >= 890 && sync.ms < 1300, `flask took ${sync.ms.toFixed(0)} ms`);
    const async = await concurrently(io(servers.urls.quart, 0.3), 3);
    assert.ok(async.ms >= 295 && async.ms < 500, `quart took ${async.ms.toFixed(0)} ms`);
  });

  it('/fanout of 5 × 0.2 s: about 1 s on flask, about 0.2 s on quart', async () => {
    const f = await request(fanout(servers.urls.flask, 0.2, 5));
    assert.ok(f.ms >= 995 && f.ms < 1400, `flask ${f.ms.toFixed(0)} ms`);
    const q = await request(fanout(servers.urls.quart, 0.2, 5));
    assert.ok(q.ms >= 195 && q.ms < 450, `quart ${q.ms.toFixed(0)} ms`);
  });

  it('flask answers /stats on its stats URL while its only worker is blocked, counting every process', async () => {
    const statsUrl = servers.statsUrls.flask;
    assert.ok(statsUrl && statsUrl !== servers.urls.flask, `stats URL ${statsUrl}`);
    const before = (await request(`${statsUrl}/stats`)).body;
    const busy = request(io(servers.urls.flask, 1));
    const queued = request(io(servers.urls.flask, 0.1));
    const during = await waitFor(
      async () => {
        const s = (await request(`${statsUrl}/stats`, { timeoutMs: 500 })).body;
        return (s.inFlight as number) >= 1 && (s.queued as number) >= 1 ? s : undefined;
      },
      900,
      'flask busy with one queued',
    );
    assert.equal(during.workers, 1);
    await Promise.all([busy, queued]);
    const after = await waitFor(
      async () => {
        const s = (await request(`${statsUrl}/stats`)).body;
        return s.inFlight === 0 && s.queued === 0 ? s : undefined;
      },
      2000,
      'flask idle',
    );
    assert.ok((after.served as number) >= (before.served as number) + 2);
    // Arbiter + worker: more than one process's memory, and CPU that only grows.
    assert.ok((after.rssBytes as number) > 40_000_000);
    assert.ok((after.cpuSeconds as number) >= (before.cpuSeconds as number));
  });

  it('a dead upstream gets 502 from both, and flask’s worker is free again', async () => {
    const running = await startServers({
      only: ['flask', 'quart'],
      ports: { flask: 0, quart: 0 },
      upstreamUrl: 'http://127.0.0.1:9',
      syncWorkers: 1,
      quiet: true,
    });
    try {
      for (const name of ['flask', 'quart'] as const) {
        const r = await request(io(running.urls[name], 0.1));
        assert.equal(r.status, 502, name);
        assert.match(String(r.body.error), /upstream unavailable/);
      }
      assert.equal((await request(`${running.urls.flask}/health`)).status, 200);
    } finally {
      await running.stop();
    }
  });
});

describe('without the Python packages', () => {
  it('names the missing Debian packages in one line before anything starts', async () => {
    // An interpreter that sees no site packages: Debian's python3 with -S -I.
    const dir = mkdtempSync(path.join(tmpdir(), 'io-bench-python-'));
    const bare = path.join(dir, 'python3');
    writeFileSync(bare, '#!/bin/sh\nexec /usr/bin/python3 -S -I "$@"\n');
    chmodSync(bare, 0o755);
    const previous = process.env.PYTHON;
    process.env.PYTHON = bare;
    try {
      assert.equal(
        pythonProblem(['flask']),
        `flask cannot start: ${bare} lacks flask, gunicorn, requests; install them with: sudo apt-get install python3-flask gunicorn python3-requests`,
      );
      await assert.rejects(
        startServers({ only: ['quart'], ports: { quart: 0 } }),
        /sudo apt-get install python3-quart python3-hypercorn python3-httpx/,
      );
    } finally {
      if (previous === undefined) delete process.env.PYTHON;
      else process.env.PYTHON = previous;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
