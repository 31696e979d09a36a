// The sync server's primary: how it reads request heads, answers /stats itself, queues the rest
// and forgets clients that left. Raw sockets, to control exactly which bytes arrive when.

import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { io, request, useServers, waitFor } from './helpers/servers.ts';

/** Opens a raw connection, writes `parts` with `gapMs` between them, resolves with everything read. */
function raw(url: string, parts: string[], gapMs = 0): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.on('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0 && gapMs) await new Promise((r) => setTimeout(r, gapMs));
        socket.write(part);
      }
    });
  });
}

const statusOf = (response: string) => Number(response.split(' ')[1]);
const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));

describe('express primary (the arbiter), W = 1', () => {
  const servers = useServers({ only: ['upstream', 'express'], syncWorkers: 1 });
  const stats = async () => (await request(`${servers.urls.express}/stats`)).body;

  it('serves a request whose head arrives in pieces', async () => {
    const response = await raw(
      servers.urls.express,
      ['GET /io?delay=0.05 HT', 'TP/1.1\r\nHost: test\r\n', 'X-Late: yes\r\n', '\r\n'],
      40,
    );
    assert.equal(statusOf(response), 200);
    assert.equal(bodyOf(response).delay, 0.05);
  });

  it('answers /stats itself, from the primary, not from a worker', async () => {
    const health = (await request(`${servers.urls.express}/health`)).body;
    const body = await stats();
    assert.equal(body.pid, servers.pids.express);
    assert.notEqual(body.pid, health.pid);
  });

  it('answers an oversized request line with 414 and oversized headers with 431, as JSON', async () => {
    const longLine = await raw(servers.urls.express, [
      `GET /io?delay=0&pad=${'x'.repeat(20_000)} HTTP/1.1\r\n`,
    ]);
    assert.equal(statusOf(longLine), 414);
    assert.match(bodyOf(longLine).error, /request target must be at most 2048 characters/);
    const bigHead = await raw(servers.urls.express, [
      'GET /health HTTP/1.1\r\nHost: test\r\n',
      `X-Big: ${'y'.repeat(20_000)}\r\n\r\n`,
    ]);
    assert.equal(statusOf(bigHead), 431);
  });

  it('lets the worker answer a malformed request with 400 {error}, and stays usable', async () => {
    const response = await raw(servers.urls.express, ['NOT HTTP AT ALL\r\n\r\n']);
    assert.equal(statusOf(response), 400);
    assert.match(bodyOf(response).error, /malformed request/);
    assert.equal((await request(`${servers.urls.express}/health`)).status, 200);
  });

  it('drops queued connections whose clients left, so the next client does not wait for them', async () => {
    const hold = request(io(servers.urls.express, 0.4));
    await waitFor(async () => ((await stats()).inFlight === 1 ? true : undefined), 2000, 'the worker busy');
    const { hostname, port } = new URL(servers.urls.express);
    const leavers = Array.from({ length: 20 }, () => {
      const socket = net.connect(Number(port), hostname, () =>
        socket.write('GET /io?delay=0.4 HTTP/1.1\r\nHost: t\r\n\r\n'),
      );
      socket.on('error', () => {});
      return socket;
    });
    await waitFor(async () => ((await stats()).queued === 20 ? true : undefined), 2000, '20 queued');
    for (const socket of leavers) socket.destroy();
    await waitFor(async () => ((await stats()).queued === 0 ? true : undefined), 2000, 'the queue to drain');
    const next = request(io(servers.urls.express, 0.05));
    assert.equal((await hold).status, 200);
    const reply = await next;
    assert.equal(reply.status, 200);
    // Behind the held request only: 20 abandoned requests of 0.4 s would have added 8 s.
    assert.ok(reply.ms < 700, `took ${reply.ms.toFixed(0)} ms`);
  });

  it('serves queued connections in arrival order (one FIFO queue, like a shared backlog)', async () => {
    const hold = request(io(servers.urls.express, 0.3));
    await waitFor(async () => ((await stats()).inFlight === 1 ? true : undefined), 2000, 'the worker busy');
    const finished: number[] = [];
    const queued: Promise<void>[] = [];
    // Each one joins the queue before the next is sent: the order is the arrival order by
    // construction, however slowly the machine runs.
    for (const i of [0, 1, 2, 3]) {
      queued.push(request(io(servers.urls.express, 0.02)).then(() => void finished.push(i)));
      await waitFor(
        async () => ((await stats()).queued === i + 1 ? true : undefined),
        2000,
        `${i + 1} queued`,
      );
    }
    await Promise.all([hold, ...queued]);
    assert.deepEqual(finished, [0, 1, 2, 3]);
  });
});
