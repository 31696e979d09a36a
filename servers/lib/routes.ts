// The routes, written once. Each framework file maps them onto its own routing and turns an
// HttpError into `{error}`; nothing here knows which framework calls it.

import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import type { Model, NodeTargetName } from '../../lib/registry.ts';
import { burnCpu } from './cpu-work.ts';
import {
  type IoParams,
  parseConcurrent,
  parseCpu,
  parseDelay,
  parseIoParams,
  parseStreamParams,
  type Query,
  ROUTE_PATHS,
} from './params.ts';
import type { StatsBody } from './stats.ts';
import type { UpstreamClient } from './upstream-client.ts';

/** How a server waits on the upstream: blocking its thread (sync) or not (async). */
/** `call` gives the delay the upstream drew, in seconds. */
export type Upstream =
  | { readonly model: 'sync'; call(params: IoParams): number }
  | { readonly model: 'async'; call(params: IoParams): Promise<number> };

export interface RouteDeps {
  readonly server: NodeTargetName;
  readonly upstream: Upstream;
  /** Processes that serve requests: SYNC_WORKERS on the sync server, 1 on async. */
  readonly workers: number;
  /** A cluster's workers ask their primary, so the answer may come later. */
  readonly stats: () => StatsBody | Promise<StatsBody>;
}

/** The routes that answer one JSON body; /stream answers with events (see openRelay). */
export const JSON_ROUTES = ROUTE_PATHS.filter((p) => p !== '/stream') as Exclude<
  (typeof ROUTE_PATHS)[number],
  '/stream'
>[];
export type JsonRoute = (typeof JSON_ROUTES)[number];

export type Handler = (query: Query) => Promise<object>;

export function createHandlers({ server, upstream, workers, stats }: RouteDeps): Record<JsonRoute, Handler> {
  const model: Model = upstream.model;
  return {
    '/health': async () => ({ status: 'ok', server, model, workers, pid: process.pid }),

    // With the sync upstream the await is on a plain number: the thread was already blocked for
    // the whole call, as `requests.get()` blocks a Flask view. `delay` echoes what was asked (the
    // scale of a profile); `drawnDelay` is what the upstream actually waited, so a client can
    // tell the server's own overhead from the luck of the draw.
    // `cpu` is computed before the call, on this thread: a sync worker's, or the event loop that
    // every other request of an async server waits for meanwhile.
    '/io': async (query) => {
      const params = parseIoParams(query);
      const cpu = parseCpu(query);
      const started = performance.now();
      burnCpu(cpu);
      const drawnDelay = await upstream.call(params);
      return { server, delay: params.delay, drawnDelay, elapsedMs: since(started) };
    },

    '/fanout': async (query) => {
      const delay = parseDelay(query);
      const concurrent = parseConcurrent(query);
      const params: IoParams = { delay, dist: 'fixed' };
      const started = performance.now();
      if (upstream.model === 'sync') {
        // One after another, as a sync view looping over requests.get() does: about N x delay.
        for (let i = 0; i < concurrent; i++) upstream.call(params);
      } else {
        // All at once: about one delay, whatever N.
        await Promise.all(Array.from({ length: concurrent }, () => upstream.call(params)));
      }
      return { server, delay, concurrent, elapsedMs: since(started) };
    },

    '/stats': async () => stats(),
  };
}

export const SSE_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' } as const;

/**
 * /stream on an async server: validates, opens the upstream stream (a 400, 502 or 504 is thrown
 * before any byte is sent, so the framework answers it as `{error}`), then returns what relays
 * it onto a response: events as they arrive, with backpressure (pipeline), and the upstream
 * request ended as soon as the client goes away (pipeline destroys the body, undici aborts).
 * `res` is watched from the start: a client that leaves during the first token's delay ends the
 * upstream request then, not when that token finally arrives.
 */
export async function openRelay(
  upstream: UpstreamClient,
  query: Query,
  res: ServerResponse,
): Promise<(res: ServerResponse) => void> {
  const params = parseStreamParams(query);
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.once('close', onClose);
  let body: Readable;
  try {
    body = await upstream.stream(params, gone.signal);
  } finally {
    // From here on pipeline watches both ends.
    res.off('close', onClose);
  }
  return (res) => {
    // Headers leave with the first event (as the upstream's do): time to first byte is time
    // to first token.
    res.writeHead(200, SSE_HEADERS);
    pipeline(body, res, () => {
      // A client that left, or an upstream that failed mid-stream: both ends are closed now.
    });
  };
}

function since(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
