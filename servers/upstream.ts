// The IO being waited on. GET /io?delay=S answers {delay} after S seconds (or after a delay drawn
// from a latency profile: dist, sigma, seed), GET /stream sends server-sent events on a clock:
// what the contract targets call, naming the IO they want. Beside them the APIs real services
// call, so an unchanged app is pointed here by its base URL: OpenAI's POST /v1/chat/completions
// and GET /v1/models, and any other path; those name no delay and get the current IO profile,
// which the suite sets per slot (PUT /profile) and whose calls are counted per slot
// (GET /profile/usage). Plain node:http and a timer per request, no framework, so it costs next
// to nothing per waiting request and is never the bottleneck (`npm run bench:upstream` shows
// thousands of concurrent waits adding a few ms).
//
//   node --import tsx servers/upstream.ts      (UPSTREAM_PORT, default 8001; HOST)

import http from 'node:http';
import { drawDelay } from './lib/delay-dist.ts';
import { emitOnClock } from './lib/event-clock.ts';
import { handleClientErrors, pathOf, queryOf, SERVER_OPTIONS, sendError, sendJson } from './lib/http.ts';
import { IoLedger } from './lib/io-ledger.ts';
import { CHAT_PATH, chatCompletions, MODELS_PATH, models, sendOpenAiError } from './lib/openai-routes.ts';
import { checkTarget, parseIoParams, parseStreamParams, routeMiss } from './lib/params.ts';
import { PROFILE_PATHS, profileRoute } from './lib/profile-routes.ts';
import { isMain, runServer } from './lib/serve.ts';

/** The upstream's own routes, GET only; every path not named here or below is an "external API". */
const PATHS = ['/health', '/io', '/stream', '/stats'];

export type { UpstreamStats } from './lib/io-ledger.ts';

export function createUpstreamServer(): http.Server {
  const ledger = new IoLedger();
  const server = http.createServer(SERVER_OPTIONS, async (req, res) => {
    const path = pathOf(req);
    const openAi = path === CHAT_PATH || path === MODELS_PATH;
    try {
      checkTarget(req.url ?? '');
      if (PATHS.includes(path)) return own(req, res, path, ledger);
      if (path === CHAT_PATH) return await chatCompletions(req, res, ledger);
      if (path === MODELS_PATH) return models(req, res);
      if (PROFILE_PATHS.includes(path)) return await profileRoute(req, res, path, ledger);
      return anyPath(req, res, path, ledger);
    } catch (err) {
      if (openAi) sendOpenAiError(res, err);
      else sendError(res, err);
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

/** /health, /stats, and the waits a caller names: /io and /stream. */
function own(req: http.IncomingMessage, res: http.ServerResponse, path: string, ledger: IoLedger) {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw routeMiss(req.method ?? '', path, PATHS);
  if (path === '/health') return sendJson(res, 200, { status: 'ok', server: 'upstream', pid: process.pid });
  if (path === '/stats') return sendJson(res, 200, { server: 'upstream', pid: process.pid, ...ledger.stats });
  const query = queryOf(req.url ?? '');
  if (path === '/io') {
    const delay = drawDelay(parseIoParams(query));
    ledger.count(res, 'inFlight', { delay, streamSeconds: 0 });
    const timer = setTimeout(() => sendJson(res, 200, { delay }), delay * 1000);
    // A client that gives up (a timed-out server, an aborted bench) frees its timer at once.
    res.once('close', () => clearTimeout(timer));
    return;
  }
  const p = parseStreamParams(query);
  const delay = drawDelay(p);
  ledger.count(res, 'streamsOpen', { delay, streamSeconds: (p.tokens - 1) * p.interval });
  // The headers leave with the first event: a client's time to first byte is its time to
  // first token (what k6's timings.waiting measures), as with an LLM API that answers late.
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  const clock = { delay, count: p.tokens, interval: p.interval };
  emitOnClock(res, clock, (n) => `data: {"token":${n},"of":${p.tokens}}\n\n`);
}

/**
 * Any other path, any method: a generic "external API" call, answered after the profile's delay
 * once its body (read and dropped) has arrived. The query is the caller's API's, not ours, so a
 * `delay` in it means nothing here.
 */
function anyPath(req: http.IncomingMessage, res: http.ServerResponse, path: string, ledger: IoLedger) {
  req.resume();
  req.once('end', () => {
    if (res.destroyed) return;
    const { delay } = ledger.draw();
    ledger.count(res, 'inFlight', { delay, streamSeconds: 0 });
    const answer = () => sendJson(res, 200, { delay, method: req.method, path });
    const timer = setTimeout(answer, delay * 1000);
    res.once('close', () => clearTimeout(timer));
  });
}

if (isMain(import.meta.url)) {
  await runServer('upstream', () => ({ server: createUpstreamServer(), model: 'async' }));
}
