// Request validation shared by every server (upstream included), so a bad request gets the same
// status and the same words everywhere. Bounds come from LIMITS in the registry.

import { LIMITS } from '../../lib/registry.ts';
import { HttpError } from './http-error.ts';

/** A parsed query string as the frameworks hand it over: a value is a string, or an array when repeated. */
export type Query = Readonly<Record<string, unknown>>;

export const ROUTE_PATHS = ['/health', '/io', '/fanout', '/stats'] as const;
export type RoutePath = (typeof ROUTE_PATHS)[number];

export function isRoutePath(path: string): path is RoutePath {
  return (ROUTE_PATHS as readonly string[]).includes(path);
}

/** Seconds the upstream waits. A finite number in [0, 60]; fractions allowed. */
export function parseDelay(query: Query): number {
  const { minDelaySeconds: min, maxDelaySeconds: max } = LIMITS;
  const raw = single(query, 'delay', `a number between ${min} and ${max} (seconds)`);
  const value = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new HttpError(400, `delay must be a number between ${min} and ${max}, got '${clip(raw)}'`);
  }
  return value;
}

/** Upstream calls one /fanout makes. An integer in [1, 1000]. */
export function parseConcurrent(query: Query): number {
  const { minConcurrent: min, maxConcurrent: max } = LIMITS;
  const raw = single(query, 'concurrent', `an integer between ${min} and ${max}`);
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new HttpError(400, `concurrent must be an integer between ${min} and ${max}, got '${clip(raw)}'`);
  }
  return value;
}

/** 414 for a request target (path + query) longer than LIMITS.maxUrlLength. */
export function checkTarget(target: string): void {
  if (target.length > LIMITS.maxUrlLength) {
    throw new HttpError(
      414,
      `request target must be at most ${LIMITS.maxUrlLength} characters, got ${target.length}`,
    );
  }
}

/** What a request that matched no route gets: 405 on a known path with another method, else 404. */
export function routeMiss(method: string, path: string, paths: readonly string[] = ROUTE_PATHS): HttpError {
  if (paths.includes(path)) {
    return new HttpError(405, `method ${clip(method)} is not allowed on ${path}; use GET`, {
      Allow: 'GET, HEAD',
    });
  }
  return new HttpError(404, `no route ${clip(method)} ${clip(path)}; routes are ${paths.join(', ')}`);
}

// Plain decimal notation, sign allowed so that '-1' reads as out of range rather than "not a number".
// Number() alone would also take '', ' 1', '0x10' and '1e1'.
const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;

function single(query: Query, name: string, expected: string): string {
  const raw = query[name];
  if (raw === undefined) throw new HttpError(400, `${name} is required: ${expected}`);
  if (typeof raw !== 'string') throw new HttpError(400, `${name} must be given once`);
  return raw;
}

/** Echo user input in messages without echoing a 2 KiB query back. */
function clip(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
