// Before k6 starts, every target with the contract routes serves some requests at no delay.
// A fresh Node process compiles its request path (V8's tiers) over its first few dozen requests,
// and each process of a cluster does so on its own: express (a primary and two workers) spent
// 8.6 ms of CPU per request over its first 40 requests and 3.7 over the next 40, measured both
// from its /stats and from /proc. Unprimed, that one-time cost fell into the first slot of the
// run: express's baseline showed 13.8 ms per request where the slot after it showed 4.8.
//
// A black-box target is not primed: its declared request is the user's, and may cost money
// (a real API behind it) or change data. Its first slot carries its warm-up; docs/targets.md says so.

import type { Target } from '../k6/lib/targets.ts';
import { describe } from './contract.ts';

/** Requests per process (per concurrent slot of the target): enough for V8 to tier up. */
export const PRIME_PER_SLOT = 50;
/** At most this many at once, so a 32-worker target is not primed by 32 × 50 requests at once. */
const MAX_CONCURRENT = 16;
const TIMEOUT_MS = 10_000;

/**
 * `slots` requests at a time (a sync target's W·T; at least two, so that each process of an
 * async cluster, handed connections in turn, gets its share), PRIME_PER_SLOT each, of
 * `GET /io?delay=0`. Resolves with the number sent; rejects with one line naming the target
 * when one does not answer 200.
 */
export async function primeTarget(target: Target, slots: number): Promise<number> {
  const concurrent = Math.max(2, Math.min(MAX_CONCURRENT, slots));
  const url = `${target.url}/io?delay=0`;
  const one = async (): Promise<void> => {
    let status: number | string;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      await res.arrayBuffer();
      status = res.status;
    } catch (err) {
      status = describe(err);
    }
    if (status !== 200) throw new Error(`${target.name}: warming up with GET /io?delay=0 failed (${status})`);
  };
  const lane = async (): Promise<void> => {
    for (let i = 0; i < PRIME_PER_SLOT; i++) await one();
  };
  await Promise.all(Array.from({ length: concurrent }, lane));
  return concurrent * PRIME_PER_SLOT;
}
