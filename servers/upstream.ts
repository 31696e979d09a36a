// The IO being waited on: GET /io?delay=S answers {delay} after S seconds. Plain node:http and
// a timer per request, no framework, so it costs next to nothing per waiting request and is never
// the bottleneck (`npm run bench:upstream` shows thousands of concurrent waits adding a few ms).
//
//   node --import tsx servers/upstream.ts      (UPSTREAM_PORT, default 8001; HOST)

import http from 'node:http';
import { handleClientErrors, pathOf, queryOf, SERVER_OPTIONS, sendError, sendJson } from './lib/http.ts';
import { checkTarget, parseDelay, routeMiss } from './lib/params.ts';
import { isMain, runServer } from './lib/serve.ts';

const PATHS = ['/health', '/io'];

export function createUpstreamServer(): http.Server {
  const server = http.createServer(SERVER_OPTIONS, (req, res) => {
    try {
      checkTarget(req.url ?? '');
      const path = pathOf(req);
      if (req.method !== 'GET' && req.method !== 'HEAD') throw routeMiss(req.method ?? '', path, PATHS);
      if (path === '/health')
        return sendJson(res, 200, { status: 'ok', server: 'upstream', pid: process.pid });
      if (path !== '/io') throw routeMiss(req.method, path, PATHS);
      const query = queryOf(req.url ?? '');
      const delay = parseDelay(query);
      const timer = setTimeout(() => sendJson(res, 200, { delay }), delay * 1000);
      // A client that gives up (a timed-out server, an aborted bench) frees its timer at once.
      res.once('close', () => clearTimeout(timer));
    } catch (err) {
      sendError(res, err);
    }
  });
  // Longer than any client pool keeps an idle socket (undici: 60 s), so the upstream never closes
  // a pooled connection just as a client reuses it. headersTimeout must exceed it (Node's rule).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // No cap on requests per connection; the timers are the only per-request state.
  server.maxRequestsPerSocket = 0;
  return handleClientErrors(server);
}

if (isMain(import.meta.url)) {
  await runServer('upstream', () => ({ server: createUpstreamServer(), model: 'async' }));
}
