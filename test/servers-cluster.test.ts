// fastify-cluster, async on every core: its route contract is checked with every other target
// (servers-routes, -failures, -stream, -concurrency); here, what is its own: P processes on one
// port, and a /stats that counts all of them, answered while every process has requests waiting.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { processCpuSeconds } from '../scripts/self-stats.ts';
import { concurrently, io, request, useServers, waitFor } from './helpers/servers.ts';

const P = 2;

describe('fastify-cluster', () => {
  const servers = useServers<'upstream' | 'fastify-cluster'>({
    only: ['upstream', 'fastify-cluster'],
    env: { ASYNC_PROCESSES: String(P) },
  });
  const url = () => servers.urls['fastify-cluster'];

  it('serves from P processes on one port', async () => {
    const pids = new Set<number>();
    await waitFor(
      async () => {
        pids.add((await request(`${url()}/health`)).body.pid as number);
        return pids.size === P ? true : undefined;
      },
      5000,
      `${P} processes answering`,
    );
    assert.deepEqual(new Set(childrenOf(servers.pids['fastify-cluster'])), pids);
  });

  it('answers /stats while 20 requests wait, summing every process', async () => {
    const busy = concurrently(io(url(), 1), 20);
    const during = await waitFor(
      async () => {
        const s = (await request(`${url()}/stats`, { timeoutMs: 500 })).body;
        return s.inFlight === 20 ? s : undefined;
      },
      900,
      '20 in flight, counted over both processes',
    );
    assert.deepEqual([during.workers, during.model, during.queued], [P, 'async', 0]);
    await busy;
    // Every process's own CPU and memory, read before /stats: CPU only grows, so /stats (read
    // later, of the same processes) must be at least their sum.
    const pids = [servers.pids['fastify-cluster'], ...childrenOf(servers.pids['fastify-cluster'])];
    const cpu = pids.reduce((sum, pid) => sum + (processCpuSeconds(pid) ?? Number.NaN), 0);
    const rss = pids.reduce((sum, pid) => sum + rssOf(pid), 0);
    const after = await waitFor(
      async () => {
        const s = (await request(`${url()}/stats`)).body;
        return s.inFlight === 0 ? s : undefined;
      },
      2000,
      'idle',
    );
    assert.equal(pids.length, P + 1, 'the primary and P workers');
    // /proc counts in clock ticks (10 ms), process.cpuUsage in microseconds.
    assert.ok((after.cpuSeconds as number) >= cpu - 0.01 * pids.length, `${after.cpuSeconds} s vs ${cpu} s`);
    assert.ok(Math.abs((after.rssBytes as number) - rss) < 0.25 * rss, `${after.rssBytes} vs ${rss} bytes`);
    assert.ok((after.served as number) >= (during.served as number) + 20);
  });
});

function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  return text.split(/\s+/).filter(Boolean).map(Number);
}

function rssOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;
}
