// The upstream's current IO profile: what a call that names no delay waits (an OpenAI-style
// chat completion, any other path). The suite sets it at every slot start with PUT /profile, so
// a service that cannot be told a delay (a black-box target) faces the IO that a contract target
// is asked for in the same scenario.

import type { Distribution } from '../../lib/registry.ts';
import { HttpError } from './http-error.ts';
import { decimal, type IoParams, parseDelay, parseStreamParams } from './params.ts';

export interface IoProfile {
  /** The slot the calls are counted under (GET /profile/usage?slot=ID). */
  readonly slot: string;
  /** Seconds to the answer (the first token of a stream): exact, or the scale of `dist`. */
  readonly delay: number;
  readonly dist: Distribution;
  readonly sigma?: number;
  /** Draw n of the slot uses seed + n, as the k6 suite sends seed n with its n-th request. */
  readonly seed?: number;
  /** Tokens of a chat completion, and the seconds between two of them. */
  readonly tokens: number;
  readonly interval: number;
}

/** Until a profile is set: answers at once, a short completion. */
export const DEFAULT_PROFILE: IoProfile = {
  slot: 'default',
  delay: 0,
  dist: 'fixed',
  tokens: 16,
  interval: 0,
};

const FIELDS = ['slot', 'delay', 'dist', 'sigma', 'seed', 'tokens', 'interval'];
const SLOT = /^[\x21-\x7e][\x20-\x7e]{0,199}$/;

/** A PUT /profile body -> the profile; a 400 naming the field otherwise. */
export function parseProfile(body: unknown): IoProfile {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, `the profile must be a JSON object with fields ${FIELDS.join(', ')}`);
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => !FIELDS.includes(key));
  if (unknown !== undefined) {
    throw new HttpError(400, `unknown profile field '${clip(unknown)}'; fields are ${FIELDS.join(', ')}`);
  }
  const { slot } = fields;
  if (typeof slot !== 'string' || !SLOT.test(slot)) {
    throw new HttpError(
      400,
      `slot must be a string of 1 to 200 printable ASCII characters, got ${clip(JSON.stringify(slot) ?? 'nothing')}`,
    );
  }
  // The very validators of the /io and /stream queries, so a profile is refused in the same
  // words: a JSON number is read as its decimal text; any other JSON value keeps its quotes and
  // fails as "not a number" rather than being coerced ("0.5" is not 0.5).
  const query: Record<string, string> = { tokens: String(DEFAULT_PROFILE.tokens), interval: '0' };
  for (const name of FIELDS.slice(1)) {
    const value = fields[name];
    if (value === undefined) continue;
    query[name] =
      typeof value === 'number'
        ? decimal(value)
        : typeof value === 'string' && name === 'dist'
          ? value
          : JSON.stringify(value);
  }
  parseDelay(query); // required here; /stream would default it to 0
  return { slot, ...parseStreamParams(query) };
}

/** The parameters of the n-th draw (0-based) of a slot under this profile. */
export function nthDraw(p: IoProfile, n: number): IoParams {
  const draw: { delay: number; dist: Distribution; sigma?: number; seed?: number } = {
    delay: p.delay,
    dist: p.dist,
  };
  if (p.sigma !== undefined) draw.sigma = p.sigma;
  if (p.seed !== undefined) draw.seed = (p.seed + n) % 4294967296;
  return draw;
}

function clip(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
