// The upstream's latency profiles: a request's delay drawn from a distribution whose scale is
// the `delay` it asked for. With a seed the draw is a pure function of the parameters, so two
// servers sent the same seeds face identical delays and a rerun faces the same as the last.

import { DEFAULT_SIGMA, LIMITS } from '../../lib/registry.ts';
import type { IoParams } from './params.ts';

/** splitmix32: a seed -> a well-mixed 32-bit value; consecutive seeds give unrelated draws. */
function mix32(seed: number): number {
  let z = (seed + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A uniform in (0, 1), never exactly 0 or 1 (both would be infinite in the inverse CDFs). */
export function uniformFromSeed(seed: number): number {
  return (mix32(seed) + 0.5) / 4294967296;
}

// Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9).
const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

export function normalQuantile(p: number): number {
  const [a0, a1, a2, a3, a4, a5] = A as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = B as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = C as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = D as [number, number, number, number];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return (
      -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/**
 * The delay at quantile `q` of a profile (its inverse CDF), in seconds: `delay` when fixed;
 * -delay·ln(1-q) for exponential (mean `delay`); delay·e^(sigma·Φ⁻¹(q)) for lognormal (median
 * `delay`). Clamped to LIMITS.maxDelaySeconds, as the draws are. Also what a client expects a
 * percentile to be: quantileDelay(p, 0.99) is the p99 of the delays it will be sent.
 */
export function quantileDelay(p: Pick<IoParams, 'delay' | 'dist' | 'sigma'>, q: number): number {
  if (p.dist === 'fixed') return p.delay;
  const value =
    p.dist === 'exponential'
      ? -p.delay * Math.log(1 - q)
      : p.delay * Math.exp((p.sigma ?? DEFAULT_SIGMA) * normalQuantile(q));
  return Math.min(value, LIMITS.maxDelaySeconds);
}

/**
 * The delay to wait, in seconds, drawn from the profile: with a seed, the quantile at
 * uniformFromSeed(seed) (a pure function of the parameters); without, at a Math.random() one.
 */
export function drawDelay(p: IoParams, random: () => number = Math.random): number {
  if (p.dist === 'fixed') return p.delay;
  const u = p.seed === undefined ? Math.min(Math.max(random(), 1e-12), 1 - 1e-12) : uniformFromSeed(p.seed);
  return quantileDelay(p, u);
}

/**
 * The longest a server may have to wait for one draw: the delay itself when fixed, else the
 * clamp (60 s). A server cannot know the drawn delay before the answer, so its timeout budget
 * must allow any draw; a 504 then still means the upstream failed, not that it drew high.
 */
export function longestDelay(p: Pick<IoParams, 'delay' | 'dist'>): number {
  return p.dist === 'fixed' ? p.delay : LIMITS.maxDelaySeconds;
}
