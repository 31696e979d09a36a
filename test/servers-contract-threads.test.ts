// The contract check reads a sync target's T from /health (threads count as workers), against
// a contract target served in-process.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { parseTargets, type Target } from '../k6/lib/targets.ts';
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

describe('the contract check of a threaded sync target', () => {
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
