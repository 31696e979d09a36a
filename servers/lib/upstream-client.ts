// The non-blocking upstream client: one undici Pool with keep-alive. The async servers call it
// directly; the sync server runs the very same client on a helper thread and blocks on it
// (sync-upstream.ts), so both models wait on identical IO and differ only in how they wait.

import { Pool } from 'undici';
import { HttpError } from './http-error.ts';

export interface UpstreamClient {
  /** One GET /io?delay=S. Resolves when the upstream answered 200; rejects with HttpError 502/504. */
  call(delaySeconds: number): Promise<void>;
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
    async call(delaySeconds) {
      const budgetMs = delaySeconds * 1000 + timeoutMs;
      // One deadline for the whole exchange (connect, headers, body), cheaper to reason about
      // than undici's separate headers/body timeouts, which also tick at a coarse 1 s above 1 s.
      // Whole milliseconds: AbortSignal.timeout throws on a fraction (a delay of 0.0015 s).
      const signal = AbortSignal.timeout(Math.ceil(budgetMs));
      try {
        const res = await pool.request({
          method: 'GET',
          path: `${base}/io?delay=${decimal(delaySeconds)}`,
          signal,
        });
        const text = await res.body.text();
        if (res.statusCode !== 200) {
          throw new HttpError(502, `upstream answered ${res.statusCode}: ${text.slice(0, 200)}`);
        }
      } catch (err) {
        if (err instanceof HttpError) throw err;
        if (signal.aborted) {
          throw new HttpError(504, `upstream did not answer within ${Math.round(budgetMs)} ms`);
        }
        throw new HttpError(502, `upstream unavailable: ${describe(err)} (${url.origin})`);
      }
    },
    close: () => pool.close(),
  };
}

/**
 * The delay as the upstream reads it: plain decimal. String() writes 1e-7 for 0.0000001, which
 * the upstream (like every server here) rejects as not a decimal number, so a valid tiny delay
 * would come back as a 502.
 */
function decimal(seconds: number): string {
  const text = String(seconds);
  return text.includes('e') ? seconds.toFixed(20).replace(/\.?0+$/, '') : text;
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown[] } | null;
  // Node 20 connects with happy eyeballs and reports an AggregateError: the first inner error
  // carries the useful code.
  const inner = Array.isArray(e?.errors) ? (e.errors[0] as { code?: unknown } | undefined) : undefined;
  return String(e?.code ?? inner?.code ?? e?.message ?? err);
}
