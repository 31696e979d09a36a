// Streamed answers (server-sent events, an LLM token stream): every target relays events as
// they arrive, not all at the end; a client that leaves mid-stream frees a sync worker and
// ends the upstream stream (the upstream's own /stats proves it); a dead upstream is a 502
// before any event.

import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { TARGETS, type TargetName } from '../lib/registry.ts';
import { PYTHON_TARGET_NAMES, pythonProblem, type ServiceName, startServers } from '../servers/launch.ts';
import { closedPort, NODE_SERVERS, request, useServers, waitFor } from './helpers/servers.ts';

const PYTHON_MISSING = pythonProblem(PYTHON_TARGET_NAMES);
const TESTED: TargetName[] = [...NODE_SERVERS, ...(PYTHON_MISSING ? [] : PYTHON_TARGET_NAMES)];

interface Streamed {
  status: number;
  contentType: string;
  /** ms since the request was sent, one per `data:` event */
  arrivals: number[];
  events: string[];
}

/** Reads a stream event by event; `leaveAfter` closes the connection after that many events. */
function readStream(url: string, leaveAfter?: number): Promise<Streamed> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      const out: Streamed = {
        status: res.statusCode ?? 0,
        contentType: String(res.headers['content-type']),
        arrivals: [],
        events: [],
      };
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!event.startsWith('data:')) continue;
          out.events.push(event);
          out.arrivals.push(performance.now() - started);
          if (leaveAfter !== undefined && out.events.length >= leaveAfter) {
            req.destroy();
            resolve(out);
          }
        }
      });
      res.on('end', () => resolve(out));
      res.on('error', () => resolve(out));
    });
    req.on('error', (err) => (leaveAfter !== undefined ? undefined : reject(err)));
    req.setTimeout(20_000, () => req.destroy(new Error(`no end from ${url}`)));
  });
}

describe('streams through every target', () => {
  const servers = useServers<ServiceName>({ syncWorkers: 1, only: ['upstream', ...TESTED] });
  if (PYTHON_MISSING) it.skip(`flask and quart: ${PYTHON_MISSING}`);
  const statsOf = async (name: TargetName) =>
    (await request(`${servers.statsUrls[name] ?? servers.urls[name]}/stats`)).body;

  for (const name of ['upstream', ...TESTED] as ServiceName[]) {
    it(`${name}: events arrive spaced by the interval, the first after the delay`, async () => {
      const s = await readStream(`${servers.urls[name]}/stream?tokens=5&interval=0.1&delay=0.2`);
      assert.equal(s.status, 200);
      assert.match(s.contentType, /^text\/event-stream/);
      assert.deepEqual(
        s.events,
        [1, 2, 3, 4, 5].map((i) => `data: {"token":${i},"of":5}`),
      );
      // Time to first token about the delay; then one event per interval, not a burst at the end.
      const [first = 0] = s.arrivals;
      assert.ok(first >= 195 && first < 400, `first token after ${first.toFixed(0)} ms`);
      // Spread over the four intervals rather than bunched at the end; the median gap near the
      // interval (a single late event on a busy machine shortens the gap after it, not the rest).
      const gaps = s.arrivals.slice(1).map((t, i) => t - (s.arrivals[i] as number));
      const span = (s.arrivals[4] as number) - first;
      assert.ok(span >= 300 && span < 700, `${name}: events spread over ${span.toFixed(0)} ms`);
      const median = [...gaps].sort((x, y) => x - y)[2] as number;
      assert.ok(median > 70 && median < 250, `${name}: gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
    });
  }

  for (const name of TESTED) {
    it(`${name}: a client that leaves mid-stream ends the upstream stream and frees the server`, async () => {
      const s = await readStream(`${servers.urls[name]}/stream?tokens=200&interval=0.05`, 3);
      assert.equal(s.events.length, 3);
      await waitFor(
        async () =>
          (await request(`${servers.urls.upstream}/stats`)).body.streamsOpen === 0 ? true : undefined,
        3000,
        `${name}: the upstream stream closed`,
      );
      await waitFor(
        async () => ((await statsOf(name)).inFlight === 0 ? true : undefined),
        3000,
        `${name}: nothing in flight`,
      );
      // With one sync worker, the next request is served at once: the worker is free.
      const next = await request(`${servers.urls[name]}/io?delay=0`);
      assert.equal(next.status, 200);
      assert.ok(next.ms < 500, `${name}: next request took ${next.ms.toFixed(0)} ms`);
      if (TARGETS[name].model === 'sync') assert.equal((await statsOf(name)).workers, 1);
    });
  }

  // The Node targets: an async one notices at once (it watches the client while it waits for the
  // first token); a sync worker, like Gunicorn's, is blocked until the first token and notices
  // the client is gone when it writes it.
  for (const name of NODE_SERVERS) {
    it(`${name}: a client that leaves before the first token ends the upstream stream`, async () => {
      const DELAY = 1.5;
      const upstreamStreams = async () => (await request(`${servers.urls.upstream}/stats`)).body.streamsOpen;
      const req = http.get(`${servers.urls[name]}/stream?tokens=3&interval=0.01&delay=${DELAY}`, {
        agent: false,
      });
      req.on('error', () => {});
      const sent = performance.now();
      await waitFor(async () => ((await upstreamStreams()) === 1 ? true : undefined), 1000, 'the stream');
      req.destroy();
      const bound = TARGETS[name].model === 'sync' ? DELAY * 1000 + 1000 : 1000;
      await waitFor(
        async () => ((await upstreamStreams()) === 0 ? true : undefined),
        bound,
        `${name}: the upstream stream closed`,
      );
      if (TARGETS[name].model === 'async') {
        const ms = performance.now() - sent;
        assert.ok(
          ms < DELAY * 1000,
          `${name}: upstream stream open ${ms.toFixed(0)} ms, past the first token`,
        );
      }
      await waitFor(
        async () => ((await statsOf(name)).inFlight === 0 ? true : undefined),
        1000,
        `${name}: nothing in flight`,
      );
      const next = await request(`${servers.urls[name]}/io?delay=0`);
      assert.equal(next.status, 200);
      assert.ok(next.ms < 500, `${name}: next request took ${next.ms.toFixed(0)} ms`);
    });
  }
});

describe('a stream whose upstream is down', () => {
  for (const name of TESTED) {
    it(`${name}: 502 with {error} before any event, and the server stays up`, async () => {
      const running = await startServers({
        only: [name],
        ports: { [name]: 0 },
        upstreamUrl: `http://127.0.0.1:${await closedPort()}`,
        syncWorkers: 1,
        quiet: true,
      });
      try {
        const reply = await request(`${running.urls[name]}/stream?tokens=3&interval=0.01`);
        assert.equal(reply.status, 502);
        assert.match(String((reply.body as { error?: string }).error), /upstream unavailable/);
        assert.equal((await request(`${running.urls[name]}/health`)).status, 200);
      } finally {
        await running.stop();
      }
    });
  }
});
