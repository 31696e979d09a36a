// The IO being waited on: GET /io?delay=S answers {delay} after S seconds (or after a delay
// drawn from a latency profile: dist, sigma, seed), GET /stream sends server-sent events on a
// clock. Plain node:http and a timer per request, no framework, so it costs next to nothing
// per waiting request and is never the bottleneck (`npm run bench:upstream` shows thousands
// of concurrent waits adding a few ms).
//
//   node --import tsx servers/upstream.ts      (UPSTREAM_PORT, default 8001; HOST)

import http from 'node:http';
import { drawDelay } from './lib/delay-dist.ts';
import { handleClientErrors, pathOf, queryOf, SERVER_OPTIONS, sendError, sendJson } from './lib/http.ts';
import { checkTarget, parseIoParams, parseStreamParams, routeMiss } from './lib/params.ts';
import { isMain, runServer } from './lib/serve.ts';

const PATHS = ['/health', '/io', '/stream', '/stats'];

/** What the upstream's /stats counts: a test proves with it that no relayed stream leaks. */
export interface UpstreamStats {
  inFlight: number;
  streamsOpen: number;
  served: number;
}

export function createUpstreamServer(): http.Server {
  const counts: UpstreamStats = { inFlight: 0, streamsOpen: 0, served: 0 };
  const server = http.createServer(SERVER_OPTIONS, (req, res) => {
    try {
      checkTarget(req.url ?? '');
      const path = pathOf(req);
      if (req.method !== 'GET' && req.method !== 'HEAD') throw routeMiss(req.method ?? '', path, PATHS);
      if (path === '/health')
        return sendJson(res, 200, { status: 'ok', server: 'upstream', pid: process.pid });
      if (path === '/stats') return sendJson(res, 200, { server: 'upstream', pid: process.pid, ...counts });
      const query = queryOf(req.url ?? '');
      if (path === '/io') {
        const delay = drawDelay(parseIoParams(query));
        track(res, counts, 'inFlight');
        const timer = setTimeout(() => sendJson(res, 200, { delay }), delay * 1000);
        // A client that gives up (a timed-out server, an aborted bench) frees its timer at once.
        res.once('close', () => clearTimeout(timer));
        return;
      }
      if (path === '/stream') return stream(res, parseStreamParams(query), counts);
      throw routeMiss(req.method, path, PATHS);
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

function track(res: http.ServerResponse, counts: UpstreamStats, key: 'inFlight' | 'streamsOpen'): void {
  counts[key]++;
  res.once('finish', () => counts.served++);
  res.once('close', () => counts[key]--);
}

/** T events, the first after the drawn delay, then one every `interval`; stops when the client goes. */
function stream(
  res: http.ServerResponse,
  p: ReturnType<typeof parseStreamParams>,
  counts: UpstreamStats,
): void {
  track(res, counts, 'streamsOpen');
  // The headers leave with the first event: a client's time to first byte is its time to
  // first token (what k6's timings.waiting measures), as with an LLM API that answers late.
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    sent++;
    res.write(`data: {"token":${sent},"of":${p.tokens}}\n\n`);
    if (sent >= p.tokens) res.end();
    else timer = setTimeout(next, p.interval * 1000);
  };
  timer = setTimeout(next, drawDelay(p) * 1000);
  res.once('close', () => clearTimeout(timer));
}

if (isMain(import.meta.url)) {
  await runServer('upstream', () => ({ server: createUpstreamServer(), model: 'async' }));
}
