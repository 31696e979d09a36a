// The syntax of a TARGETS value, shared by the parser of entries (targets.ts) and of a
// black-box target's request (black-box.ts): the variable's name, percent-encoded values and
// whole numbers.

export const TARGETS_ENV = 'TARGETS';

/**
 * `,` separates entries and `;` options, so a body or a header value is percent-decoded as in
 * a URL: `,` is written %2C, `;` %3B and a literal % as %25. The runner passes bodies read
 * from files to k6 percent-encoded, so every byte (newlines, a trailing space) arrives.
 */
export function unescapeValue(v: string, what: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    throw new Error(`${what} has a '%' that starts no %XX escape: write a literal % as %25 (or use a file)`);
  }
}
export const escapeValue = (v: string): string => encodeURIComponent(v);

export function positiveInt(raw: string, what: string): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1)) throw new Error(`${what} must be a whole number of at least 1, got '${raw}'`);
  return n;
}
