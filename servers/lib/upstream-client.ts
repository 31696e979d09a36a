// The non-blocking upstream client: one undici Pool with keep-alive. The async servers call it
// directly; the sync server runs the very same client on a helper thread and blocks on it
// (sync-upstream.ts), so both models wait on identical IO and differ only in how they wait.

import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { longestDelay } from './delay-dist.ts';
import { HttpError } from './http-error.ts';
import { type IoParams, ioQuery, type StreamParams, streamQuery } from './params.ts';

export interface UpstreamClient {
  /**
   * One GET /io (delay and profile passed on). Resolves on a 200 with the delay the upstream drew
   * (seconds); rejects with HttpError 502/504.
   */
  call(params: IoParams): Promise<number>;
  /**
   * One GET /stream: resolves with the event stream once the upstream answered 200 (rejects with
   * HttpError 502/504 before that). Destroying the body, or `signal`, ends the upstream request.
   */
  stream(params: StreamParams, signal?: AbortSignal): Promise<Readable>;
  close(): Promise<void>;
}

export interface UpstreamClientOptions {
  readonly upstreamUrl: string;
  /** Allowed beyond the requested delay before the call gives up with 504. */
  readonly timeoutMs: number;
}

export function createUpstreamClient({ upstreamUrl, timeoutMs }: UpstreamClientOptions): UpstreamClient {
  const url = new URL(upstreamUrl);
  const base = url.pathname.replace(/\/$/, '');
  const pool = new Pool(url.origin, {
    // Unbounded: in the async model every waiting request holds its own connection, so a
    // 1000-wide /fanout opens 1000 sockets at once instead of queueing inside the client (a
    // bounded pool would quietly turn the async server into a partly sequential one).
    connections: null,
    pipelining: 1,
    // Idle sockets stay open for reuse; the upstream keeps them 65 s, so it never closes one
    // under us first. undici also honours the upstream's `Keep-Alive: timeout` hint.
    keepAliveTimeout: 60_000,
    connect: { timeout: Math.min(timeoutMs, 10_000) },
  });

  return {
    async call(params) {
      const budgetMs = longestDelay(params) * 1000 + timeoutMs;
      // One deadline for the whole exchange (connect, headers, body), cheaper to reason about
      // than undici's separate headers/body timeouts, which also tick at a coarse 1 s above 1 s.
      // Whole milliseconds: AbortSignal.timeout throws on a fraction (a delay of 0.0015 s).
      const signal = AbortSignal.timeout(Math.ceil(budgetMs));
      try {
        const res = await pool.request({
          method: 'GET',
          path: `${base}/io?${ioQuery(params)}`,
          signal,
        });
        const text = await res.body.text();
        if (res.statusCode !== 200) {
          throw new HttpError(502, `upstream answered ${res.statusCode}: ${text.slice(0, 200)}`);
        }
        return drawnDelay(text, params.delay);
      } catch (err) {
        if (err instanceof HttpError) throw err;
        if (signal.aborted) {
          throw new HttpError(504, `upstream did not answer within ${Math.round(budgetMs)} ms`);
        }
        throw new HttpError(502, `upstream unavailable: ${describe(err)} (${url.origin})`);
      }
    },
    async stream(params, signal) {
      // Until the first byte: the first token's longest delay plus the allowance. Between
      // events: the interval plus the allowance (undici's bodyTimeout, reset by every chunk).
      const headersMs = longestDelay(params) * 1000 + timeoutMs;
      const idleMs = params.interval * 1000 + timeoutMs;
      try {
        const res = await pool.request({
          method: 'GET',
          path: `${base}/stream?${streamQuery(params)}`,
          signal,
          headersTimeout: Math.ceil(headersMs),
          bodyTimeout: Math.ceil(Math.max(idleMs, headersMs)),
        });
        if (res.statusCode !== 200) {
          const text = await res.body.text();
          throw new HttpError(502, `upstream answered ${res.statusCode}: ${text.slice(0, 200)}`);
        }
        return res.body as unknown as Readable;
      } catch (err) {
        if (err instanceof HttpError) throw err;
        const code = (err as { code?: string }).code;
        if (code === 'UND_ERR_HEADERS_TIMEOUT') {
          throw new HttpError(504, `upstream did not start the stream within ${Math.round(headersMs)} ms`);
        }
        throw new HttpError(502, `upstream unavailable: ${describe(err)} (${url.origin})`);
      }
    },
    close: () => pool.close(),
  };
}

/**
 * The upstream says which delay it drew (`{"delay": 0.42}`). An upstream that does not (one a
 * user points UPSTREAM_URL at) waited the delay asked for, as far as anyone can tell.
 */
function drawnDelay(text: string, asked: number): number {
  try {
    const { delay } = JSON.parse(text) as { delay?: unknown };
    return typeof delay === 'number' && Number.isFinite(delay) ? delay : asked;
  } catch {
    return asked;
  }
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown[] } | null;
  // Node 20 connects with happy eyeballs and reports an AggregateError: the first inner error
  // carries the useful code.
  const inner = Array.isArray(e?.errors) ? (e.errors[0] as { code?: unknown } | undefined) : undefined;
  return String(e?.code ?? inner?.code ?? e?.message ?? err);
}
