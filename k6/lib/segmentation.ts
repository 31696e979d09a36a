// What execution segments do to the slot plan. k6 gives each of n equal segments of the
// sequence 0,1/n,...,1 its share of every scenario's VUs by striping: VU j goes to segment
// j mod n. So a slot of N VUs has floor(N/n) or ceil(N/n) on each process, the first
// segments taking the remainder; a 1-VU slot (baseline, the CPU sampler) runs on the first
// process only. Every process starts each slot at the same offset from its own start, and
// all are resumed together, so the slots still do not overlap.

import type { Plan, Slot } from './plan.ts';

export function splitVus(vus: number, instances: number): number[] {
  return Array.from(
    { length: instances },
    (_, i) => Math.floor(vus / instances) + (i < vus % instances ? 1 : 0),
  );
}

/** 1-based instances that run VUs of this slot (for an open slot: of its VU pool). */
export function instancesWithVus(slot: Pick<Slot, 'vus' | 'arrivals'>, instances: number): number[] {
  const vus = slot.arrivals ? slot.arrivals.preAllocatedVUs : slot.vus;
  return splitVus(vus, instances)
    .map((n, i) => (n > 0 ? i + 1 : 0))
    .filter((i) => i > 0);
}

/** The CPU sampler is one VU: it runs on the first instance only, so server CPU is read once. */
export const SAMPLER_INSTANCE = 1;

/** Slots some instance runs no VU of, e.g. `baseline_express: instance 1 only`. */
export function partialSlots(plan: Plan, instances: number): string[] {
  return plan.slots
    .filter((s) => instancesWithVus(s, instances).length < instances)
    .map((s) => `${s.id}: instance ${instancesWithVus(s, instances).join(', ')} only`);
}

/** Past this share of the shortest measurement window, instances' slots overlap only in part. */
export const START_SPREAD_MAX_FRACTION = 0.02;

/**
 * How far apart the instances started their slots, from the time each wrote its run_info point
 * (the end of its setup(), from which its slots count), against what the plan can take: when
 * one starts late, a slot's VUs are not all running at once at its edges, and a sync target
 * then looks faster than it is.
 */
export function startSpread(
  plan: Plan,
  startedAtMs: readonly number[],
): { readonly spreadMs: number; readonly allowedMs: number; readonly ok: boolean } {
  const spreadMs = startedAtMs.length > 1 ? Math.max(...startedAtMs) - Math.min(...startedAtMs) : 0;
  const shortest = Math.min(...plan.slots.map((s) => s.durationSeconds - s.warmupSeconds));
  const allowedMs = START_SPREAD_MAX_FRACTION * shortest * 1000;
  return { spreadMs, allowedMs, ok: spreadMs <= allowedMs };
}
