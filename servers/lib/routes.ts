// The four routes, written once. Each framework file maps them onto its own routing and turns an
// HttpError into `{error}`; nothing here knows which framework calls it.

import type { Model, NodeTargetName } from '../../lib/registry.ts';
import { parseConcurrent, parseDelay, type Query, type RoutePath } from './params.ts';
import type { StatsBody } from './stats.ts';

/** How a server waits on the upstream: blocking its thread (sync) or not (async). */
export type Upstream =
  | { readonly model: 'sync'; call(delaySeconds: number): void }
  | { readonly model: 'async'; call(delaySeconds: number): Promise<void> };

export interface RouteDeps {
  readonly server: NodeTargetName;
  readonly upstream: Upstream;
  /** Processes that serve requests: SYNC_WORKERS on the sync server, 1 on async. */
  readonly workers: number;
  readonly stats: () => StatsBody;
}

export type Handler = (query: Query) => Promise<object>;

export function createHandlers({ server, upstream, workers, stats }: RouteDeps): Record<RoutePath, Handler> {
  const model: Model = upstream.model;
  return {
    '/health': async () => ({ status: 'ok', server, model, workers, pid: process.pid }),

    // With the sync upstream the await is on undefined: the thread was already blocked for the
    // whole call, as `requests.get()` blocks a Flask view.
    '/io': async (query) => {
      const delay = parseDelay(query);
      const started = performance.now();
      await upstream.call(delay);
      return { server, delay, elapsedMs: since(started) };
    },

    '/fanout': async (query) => {
      const delay = parseDelay(query);
      const concurrent = parseConcurrent(query);
      const started = performance.now();
      if (upstream.model === 'sync') {
        // One after another, as a sync view looping over requests.get() does: about N x delay.
        for (let i = 0; i < concurrent; i++) upstream.call(delay);
      } else {
        // All at once: about one delay, whatever N.
        await Promise.all(Array.from({ length: concurrent }, () => upstream.call(delay)));
      }
      return { server, delay, concurrent, elapsedMs: since(started) };
    },

    '/stats': async () => stats(),
  };
}

function since(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
