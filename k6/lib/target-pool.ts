// `pool=P` in a TARGETS entry: an async target whose IO goes through P connections (a database
// pool, an HTTP client's connection limit). P requests wait on IO at once and the rest wait for
// a connection, so the theory caps it as W caps a sync target (lib/theory.ts, workerSlots).

import type { Target } from './targets.ts';

/** The largest pool accepted: beyond it no closed loop of the suite could tell it from none. */
export const MAX_POOL = 100_000;

/** The target with its pool, or the one-line refusal of a bad `pool=`. */
export function withPool(target: Target, raw: string | undefined, envName: string): Target {
  if (raw === undefined) return target;
  if (target.model !== 'async') {
    throw new Error(
      `${envName}: pool= only applies to an async target ('${target.name}'); a sync target's pool is its workers=`,
    );
  }
  const pool = Number(raw);
  if (!/^\d+$/.test(raw) || !(pool >= 1) || pool > MAX_POOL) {
    throw new Error(
      `${envName}: pool of '${target.name}' must be a whole number of connections from 1 to ${MAX_POOL}, got '${raw}'`,
    );
  }
  return Object.assign({}, target, { pool });
}
