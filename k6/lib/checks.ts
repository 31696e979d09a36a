// Checks, the third stage of the results pipeline: the k6 thresholds' verdicts, the speedup
// check against the theory, the fidelity notes, and the one rule that turns them into an exit
// code (the runner and `npm run report` alike).

import type { ServerFigures, SpeedupFigures } from './figures.ts';
import { type K6SummaryData, metricValue as value } from './k6-data.ts';
import type { Plan } from './plan.ts';
import { FIDELITY_P50_TOLERANCE, FIDELITY_SPEEDUP_TOLERANCE, fmtX, judgeSpeedup } from './speedup.ts';
import type { ThresholdSpec } from './thresholds.ts';

export type CheckKind = 'threshold' | 'speedup' | 'fidelity';

export interface Check {
  readonly kind: CheckKind;
  readonly name: string;
  readonly ok: boolean;
  readonly message: string;
  readonly scenario?: string;
  readonly server?: string;
  readonly metric?: string;
  readonly expression?: string;
}

const fmtMs = (v: number | null): string => (v === null ? 'n/a' : `${Math.round(v)} ms`);

/** The aggregate a threshold expression tests (`p(95)<300` -> `p(95)`), to quote its value. */
function aggregateOf(expression: string): string {
  const match = /^\s*([a-z]+(?:\([\d.]+\))?)/.exec(expression);
  return match?.[1] ?? expression;
}

export function thresholdChecks(data: K6SummaryData, plan: Plan, specs: readonly ThresholdSpec[]): Check[] {
  const slots = new Map(plan.slots.map((s) => [s.id, s]));
  return specs
    .filter((spec) => spec.claim)
    .map((spec) => {
      const slot = slots.get(spec.slot);
      const metric = data.metrics[spec.metric];
      const verdict = metric?.thresholds?.[spec.expression];
      // A submetric without samples is absent from data.metrics: k6 evaluates it on zeros,
      // which fails `count>0` and passes the upper bounds.
      const ok = verdict ? verdict.ok : spec.expression !== 'count>0';
      const agg = aggregateOf(spec.expression);
      const observed = value(metric, agg === 'p(50)' ? 'med' : agg);
      const where = slot ? `${slot.scenario}/${slot.server}` : spec.slot;
      const base = spec.metric.split('{')[0];
      const shown = observed === null ? 'no samples' : `${agg}=${+observed.toFixed(4)}`;
      return {
        kind: 'threshold' as const,
        name: `${where}: ${base} ${spec.expression}`,
        ok,
        message: `${ok ? 'ok  ' : 'FAIL'} ${where}: ${base} ${spec.expression} (${shown}; ${spec.description})`,
        scenario: slot?.scenario,
        server: slot?.server,
        metric: spec.metric,
        expression: spec.expression,
      };
    });
}

/** One target against the reference in one scenario: what the checks are about. */
export interface Comparison {
  readonly scenario: string;
  readonly reference: string;
  readonly server: string;
  readonly ref: ServerFigures;
  readonly fig: ServerFigures;
  readonly speedup: SpeedupFigures;
  /** Variable IO (drawn delays, streams): reported against the theory, not held to it. */
  readonly variable: boolean;
  /** The scenario's IO delay, seconds (the p50 note compares with it). */
  readonly delaySeconds: number;
}

/** The speedup checks (latency and throughput) and the fidelity notes of one comparison. */
export function speedupChecks(c: Comparison): Check[] {
  const { scenario, reference, server: name, ref, fig, variable } = c;
  const expected = c.speedup.theory;
  const checks: Check[] = [];
  const where = `${scenario}/${name}`;
  const figures =
    `${reference} avg ${fmtMs(ref.avg)}, ${name} avg ${fmtMs(fig.avg)}; ` +
    `${reference} ${ref.rps === null ? 'n/a' : ref.rps.toFixed(1)} req/s, ` +
    `${name} ${fig.rps === null ? 'n/a' : fig.rps.toFixed(1)} req/s`;
  for (const [kind, measured] of [
    ['latency', c.speedup.latency],
    ['throughput', c.speedup.throughput],
  ] as const) {
    const verdict = judgeSpeedup(kind, measured, expected);
    checks.push({
      // Variable IO is reported, not held: with draws of a few ms (db) the per-request cost
      // of the servers and of k6 is of the same order as the IO, so the theory is a bound
      // rather than a prediction; the fixed-delay scenarios carry the claim.
      kind: variable ? 'fidelity' : 'speedup',
      name: `${where}: ${kind} speedup vs theory`,
      ok: verdict.ok,
      message: `${verdict.ok ? 'ok  ' : variable ? 'off ' : 'FAIL'} ${where}: ${verdict.reason} (${figures})`,
      scenario,
      server: name,
    });
    // The full run's fidelity target, stricter than the pass/fail check.
    const ratio = measured === null ? null : measured / expected;
    const close = ratio !== null && Math.abs(ratio - 1) <= FIDELITY_SPEEDUP_TOLERANCE;
    if (!variable)
      checks.push({
        kind: 'fidelity',
        name: `${where}: ${kind} speedup within ±${FIDELITY_SPEEDUP_TOLERANCE * 100}% of theory`,
        ok: close,
        message: `${close ? 'ok  ' : 'off '} ${where}: ${kind} speedup ${measured === null ? 'n/a' : fmtX(measured)} is ${ratio === null ? 'n/a' : `${(ratio * 100).toFixed(1)}%`} of theory ${fmtX(expected)}`,
        scenario,
        server: name,
      });
  }
  if (fig.p50OverDelay !== null) {
    const close = Math.abs(fig.p50OverDelay - 1) <= FIDELITY_P50_TOLERANCE;
    checks.push({
      kind: 'fidelity',
      name: `${where}: p50 within ±${FIDELITY_P50_TOLERANCE * 100}% of the delay`,
      ok: close,
      message: `${close ? 'ok  ' : 'off '} ${where}: p50 ${fmtMs(fig.p50)} is ${(fig.p50OverDelay * 100).toFixed(1)}% of the ${Math.round(c.delaySeconds * 1000)} ms delay`,
      scenario,
      server: name,
    });
  }
  return checks;
}

/** The checks that fail a run (the runner exits non-zero on any of these). */
export const failures = (summary: { readonly checks: readonly Check[] }): Check[] =>
  summary.checks.filter((c) => !c.ok && c.kind !== 'fidelity');

/** Fidelity notes inform; every other check must pass. */
export const passed = (checks: readonly Check[]): boolean =>
  checks.every((c) => c.ok || c.kind === 'fidelity');

/** Exit codes: k6's own for failed thresholds, and the runner's for a failed speedup check. */
export const EXIT = { ok: 0, speedup: 1, thresholds: 99 } as const;

/**
 * The run's exit code: a failed speedup check is 1 (k6 cannot know it: it is a ratio between
 * slots), otherwise k6's own exit code when k6 ran, or 99 when a threshold failed (what k6
 * exits with) for a summary rebuilt from InfluxDB.
 */
export function exitCode(summary: { readonly checks: readonly Check[] }, k6Exit?: number): number {
  const failed = failures(summary);
  if (failed.some((c) => c.kind === 'speedup')) return EXIT.speedup;
  if (k6Exit !== undefined) return k6Exit;
  return failed.length > 0 ? EXIT.thresholds : EXIT.ok;
}
