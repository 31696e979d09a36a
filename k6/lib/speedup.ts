// Speedup maths and the speedup check. The check cannot be a k6 threshold: it is a ratio
// between two slots' figures, which k6 only knows at the very end, so handleSummary
// computes it and the runner turns a failure into a non-zero exit.

import { recommendationFor } from '../../lib/registry.ts';

/** The measured speedup must be at least this fraction of the theory's... */
export const SPEEDUP_MIN_FRACTION = 0.8;
/** ...and at most this multiple: above it the sync server is slower than W workers allow. */
export const SPEEDUP_MAX_FRACTION = 1.25;
/** What the full run is held to (issue 3): informational, shown beside every figure. */
export const FIDELITY_SPEEDUP_TOLERANCE = 0.1;
export const FIDELITY_P50_TOLERANCE = 0.05;

/**
 * Latency speedup: the sync server's mean latency over the async server's. The mean, not the
 * median: by Little's law a closed loop's mean latency is exactly N·d/W, while with N/W =
 * 2.5 every single request waits 2 or 3 delays, so the median snaps to one of them.
 */
export function latencySpeedup(syncAvgMs: number | null, asyncAvgMs: number | null): number | null {
  if (syncAvgMs === null || asyncAvgMs === null || !(asyncAvgMs > 0)) return null;
  return syncAvgMs / asyncAvgMs;
}

/** Throughput speedup: requests per second of the async server over the sync server's. */
export function throughputSpeedup(syncRps: number | null, asyncRps: number | null): number | null {
  if (syncRps === null || asyncRps === null || !(syncRps > 0)) return null;
  return asyncRps / syncRps;
}

export interface SpeedupVerdict {
  readonly ok: boolean;
  /** e.g. `latency speedup 3.1x < 0.80 × theory 5.0x`. */
  readonly reason: string;
}

export const fmtX = (x: number): string => `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}x`;

export function judgeSpeedup(
  kind: 'latency' | 'throughput',
  measured: number | null,
  theory: number,
): SpeedupVerdict {
  if (measured === null || !Number.isFinite(measured)) {
    return { ok: false, reason: `${kind} speedup not measured (no data)` };
  }
  const low = SPEEDUP_MIN_FRACTION * theory;
  const high = SPEEDUP_MAX_FRACTION * theory;
  if (measured < low) {
    return {
      ok: false,
      reason: `${kind} speedup ${fmtX(measured)} < ${SPEEDUP_MIN_FRACTION.toFixed(2)} × theory ${fmtX(theory)}`,
    };
  }
  if (measured > high) {
    return {
      ok: false,
      reason: `${kind} speedup ${fmtX(measured)} > ${SPEEDUP_MAX_FRACTION.toFixed(2)} × theory ${fmtX(theory)}`,
    };
  }
  return {
    ok: true,
    reason: `${kind} speedup ${fmtX(measured)} within [${SPEEDUP_MIN_FRACTION}, ${SPEEDUP_MAX_FRACTION}] × theory ${fmtX(theory)}`,
  };
}

export interface SpeedupStats {
  readonly average: number | null;
  readonly max: number | null;
  readonly recommendation: string;
}

/** Average and maximum over every (scenario, async server) pair that has a figure. */
export function aggregate(speedups: readonly (number | null)[]): SpeedupStats {
  const values = speedups.filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return { average: null, max: null, recommendation: 'unknown' };
  const average = values.reduce((a, b) => a + b, 0) / values.length;
  return { average, max: Math.max(...values), recommendation: recommendationFor(average) };
}
