// The measured request of a slot: the contract's /io (or /stream) URL, or the request a
// black-box target declared. Pure, so Node tests check exactly what k6 sends.
//
// With a latency profile each request carries a seed: the n-th request of a slot (k6's
// iteration number within the slot) asks for draw n, so every target of a scenario faces the
// same sequence of delays, and a rerun the same as the last.

import type { Slot } from './plan.ts';
import type { Target } from './targets.ts';

/** Plain decimal notation (the servers reject `1e-7`). */
export function decimal(x: number): string {
  const text = String(x);
  return text.includes('e') ? x.toFixed(12).replace(/\.?0+$/, '') : text;
}

export function requestPath(
  slot: Pick<Slot, 'delaySeconds' | 'profile' | 'stream' | 'cpuMs'>,
  seed: number,
): string {
  const params: string[] = [];
  if (slot.stream) {
    params.push(`tokens=${slot.stream.tokens}`, `interval=${decimal(slot.stream.intervalSeconds)}`);
  }
  params.push(`delay=${decimal(slot.delaySeconds)}`);
  if (slot.cpuMs) params.push(`cpu=${decimal(slot.cpuMs)}`);
  if (slot.profile && slot.profile.dist !== 'fixed') {
    params.push(`dist=${slot.profile.dist}`);
    if (slot.profile.sigma !== undefined) params.push(`sigma=${decimal(slot.profile.sigma)}`);
    params.push(`seed=${seed % 4294967296}`);
  }
  return `${slot.stream ? '/stream' : '/io'}?${params.join('&')}`;
}

/** Server-sent events in a streamed body: one `data:` line per token. */
export function countEvents(body: string | null | undefined): number {
  if (!body) return 0;
  let n = 0;
  for (const line of body.split('\n')) if (line.startsWith('data:')) n++;
  return n;
}

/** A black-box target's request as k6 sends it: the same in every slot of that target. */
export interface DeclaredRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The declared request of every black-box target, by name. Throws (in k6's init context, so
 * the run stops before its first slot) when a body or headers file was never read: only the
 * runner can read files, plain `k6 run` needs them inline.
 */
export function declaredRequests(targets: readonly Target[]): Record<string, DeclaredRequest> {
  const out: Record<string, DeclaredRequest> = {};
  for (const t of targets) {
    const req = t.request;
    if (!req) continue;
    const file =
      req.bodyFile !== undefined
        ? `body=@${req.bodyFile}`
        : req.headersFile !== undefined
          ? `headers=@${req.headersFile}`
          : null;
    if (file) {
      throw new Error(
        `${t.name}: ${file} is read by the runner (npm run k6:*); with plain k6 run give it inline (body=..., header=Name: value)`,
      );
    }
    const headers: Record<string, string> = {};
    // A repeated header is one field with its values joined (RFC 9110, 5.3).
    for (const [name, value] of req.headers) {
      const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
      headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
    }
    // The declared body is JSON unless a header says otherwise.
    if (req.body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json';
    }
    out[t.name] = { method: req.method, path: req.path, body: req.body ?? null, headers };
  }
  return out;
}

/** A measured request succeeded: the contract's /io answers 200, a black-box request any 2xx. */
export const answered = (status: number): boolean => status >= 200 && status < 300;

/** The golden ratio's fraction: multiples of it spread any run of consecutive ids evenly over [0, 1). */
const SPREAD = 0.6180339887498949;

/**
 * How long a VU waits before its first request of a closed slot: a share of one delay, spread
 * evenly over the VUs. k6 starts a slot's N VUs at once, and with fixed delays they would
 * then send, and be answered, in bursts of N for the whole slot: the server and k6 drain each
 * burst one request at a time, so the last of the N waits for the others' CPU, a cost of the
 * load generator's start and not of the server (real clients do not arrive in lock-step).
 * The wait falls inside the warm-up (a slot's warm-up is at least one delay), and with the
 * window a whole number of delays every VU still completes the same count in it.
 */
export function firstRequestOffsetSeconds(vuId: number, delaySeconds: number): number {
  const share = (vuId * SPREAD) % 1;
  return Math.round(share * delaySeconds * 1000) / 1000;
}
