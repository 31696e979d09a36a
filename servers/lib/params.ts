// Request validation shared by every server (upstream included), so a bad request gets the same
// status and the same words everywhere. Bounds come from LIMITS in the registry.

import { DISTRIBUTIONS, type Distribution, LIMITS } from '../../lib/registry.ts';
import { HttpError } from './http-error.ts';

/** A parsed query string as the frameworks hand it over: a value is a string, or an array when repeated. */
export type Query = Readonly<Record<string, unknown>>;

export const ROUTE_PATHS = ['/health', '/io', '/fanout', '/stats', '/stream'] as const;
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

/** How one upstream wait is drawn: `delay` is exact, or the scale of a distribution. */
export interface IoParams {
  readonly delay: number;
  readonly dist: Distribution;
  /** Lognormal shape; given only when the request named it. */
  readonly sigma?: number;
  /** Picks the draw; absent: a random one. */
  readonly seed?: number;
}

export interface StreamParams extends IoParams {
  readonly tokens: number;
  readonly interval: number;
}

/** /io's parameters: delay (required), dist, sigma, seed (optional). */
export function parseIoParams(query: Query): IoParams {
  return withProfile(query, parseDelay(query));
}

/** /stream's: tokens and interval (required), and the first token's delay (default 0) with its profile. */
export function parseStreamParams(query: Query): StreamParams {
  const { minTokens, maxTokens, minIntervalSeconds: lo, maxIntervalSeconds: hi } = LIMITS;
  const rawTokens = single(query, 'tokens', `an integer between ${minTokens} and ${maxTokens}`);
  const tokens = /^\d+$/.test(rawTokens) ? Number(rawTokens) : Number.NaN;
  if (!(tokens >= minTokens && tokens <= maxTokens)) {
    throw new HttpError(
      400,
      `tokens must be an integer between ${minTokens} and ${maxTokens}, got '${clip(rawTokens)}'`,
    );
  }
  const interval = decimalIn(query, 'interval', lo, hi, '(seconds)');
  const delay = query.delay === undefined ? 0 : parseDelay(query);
  return Object.assign(withProfile(query, delay), { tokens, interval });
}

/**
 * /io's `cpu`: milliseconds of computation before the upstream call (cpu-work.ts). Optional,
 * 0 when absent; fractions allowed.
 */
export function parseCpu(query: Query): number {
  if (query.cpu === undefined) return 0;
  return decimalIn(query, 'cpu', LIMITS.minCpuMs, LIMITS.maxCpuMs, '(milliseconds)');
}

function withProfile(query: Query, delay: number): IoParams {
  const out: { delay: number; dist: Distribution; sigma?: number; seed?: number } = { delay, dist: 'fixed' };
  if (query.dist !== undefined) {
    const raw = single(query, 'dist', DISTRIBUTIONS.join(', '));
    if (!(DISTRIBUTIONS as readonly string[]).includes(raw)) {
      throw new HttpError(400, `dist must be one of ${DISTRIBUTIONS.join(', ')}, got '${clip(raw)}'`);
    }
    out.dist = raw as Distribution;
  }
  if (query.sigma !== undefined) out.sigma = decimalIn(query, 'sigma', LIMITS.minSigma, LIMITS.maxSigma, '');
  if (query.seed !== undefined) {
    const raw = single(query, 'seed', `an integer between 0 and ${LIMITS.maxSeed}`);
    const seed = /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(seed >= 0 && seed <= LIMITS.maxSeed)) {
      throw new HttpError(400, `seed must be an integer between 0 and ${LIMITS.maxSeed}, got '${clip(raw)}'`);
    }
    out.seed = seed;
  }
  return out;
}

function decimalIn(query: Query, name: string, min: number, max: number, unit: string): number {
  const raw = single(query, name, `a number between ${min} and ${max}${unit ? ` ${unit}` : ''}`);
  const value = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new HttpError(400, `${name} must be a number between ${min} and ${max}, got '${clip(raw)}'`);
  }
  return value;
}

/** The query that asks the upstream for the same draw (parameters passed through unchanged). */
export function ioQuery(p: IoParams): string {
  const parts = [`delay=${decimal(p.delay)}`];
  if (p.dist !== 'fixed') parts.push(`dist=${p.dist}`);
  if (p.sigma !== undefined) parts.push(`sigma=${decimal(p.sigma)}`);
  if (p.seed !== undefined) parts.push(`seed=${p.seed}`);
  return parts.join('&');
}

export function streamQuery(p: StreamParams): string {
  return `tokens=${p.tokens}&interval=${decimal(p.interval)}&${ioQuery(p)}`;
}

/**
 * A number as the servers read it: plain decimal. String() writes 1e-7 for 0.0000001, which
 * every server rejects as not a decimal number, so a valid tiny value would come back a 502.
 */
export function decimal(x: number): string {
  const text = String(x);
  return text.includes('e') ? x.toFixed(20).replace(/\.?0+$/, '') : text;
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
