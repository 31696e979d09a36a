// The k6 `scenarios` option from the slot plan: one k6 scenario per slot, plus the CPU sampler.

import { TAGS } from '../../lib/registry.ts';
import type { Plan, Slot } from './plan.ts';

/** Names of the functions suite.ts exports for the scenarios' `exec`. */
export const EXEC = { io: 'io', sampler: 'sampleStats' } as const;
export const SAMPLER_SCENARIO = 'cpu_sampler';

export interface K6Scenario {
  executor: string;
  exec: string;
  startTime: string;
  gracefulStop: string;
  tags?: Record<string, string>;
  vus?: number;
  duration?: string;
  iterations?: number;
  maxDuration?: string;
  rate?: number;
  timeUnit?: string;
  preAllocatedVUs?: number;
  maxVUs?: number;
}

/** k6 durations in whole milliseconds ("1.5s" would do too, but ms never rounds to a surprise). */
export const k6Duration = (seconds: number): string => `${Math.round(seconds * 1000)}ms`;

/** The tags every sample of a slot carries: scenario, server, model, and N in a sweep. */
export function slotTags(slot: Slot): Record<string, string> {
  const tags: Record<string, string> = {
    [TAGS.scenario]: slot.scenario,
    [TAGS.server]: slot.server,
    [TAGS.model]: slot.model,
  };
  if (slot.clients !== undefined) tags[TAGS.clients] = String(slot.clients);
  if (slot.cpuMs !== undefined) tags[TAGS.cpu] = String(slot.cpuMs);
  return tags;
}

export function slotScenario(slot: Slot): K6Scenario {
  const common = {
    exec: EXEC.io,
    startTime: k6Duration(slot.startSeconds),
    duration: k6Duration(slot.durationSeconds),
    gracefulStop: k6Duration(slot.gracefulStopSeconds),
    // Set on every sample of the slot, custom metrics included. `scenario` is our own tag:
    // options.systemTags leaves k6's out, so the value is the registry's scenario name.
    tags: slotTags(slot),
  };
  if (slot.kind === 'closed' || !slot.arrivals) {
    // Closed model: N VUs, each sending its next request when the last one answered. That
    // is exactly the theory's condition (N clients, each waiting d per request), so with W
    // sync workers the latency is the queue factor times d by Little's law (lib/theory.ts).
    return Object.assign({ executor: 'constant-vus', vus: slot.vus }, common);
  }
  // Open model: arrivals on a clock, whatever the server's state, as real traffic does.
  // The VU pool is bounded, so a server that falls behind shows as dropped iterations.
  return Object.assign(
    {
      executor: 'constant-arrival-rate',
      rate: slot.arrivals.perTimeUnit,
      timeUnit: k6Duration(slot.arrivals.timeUnitSeconds),
      preAllocatedVUs: slot.arrivals.preAllocatedVUs,
      maxVUs: slot.arrivals.maxVUs,
    },
    common,
  );
}

/**
 * One sampler for the whole run rather than one per slot: a single VU that follows the
 * plan's tick list (per-vu-iterations, one iteration per tick) keeps k6's progress display
 * and VU count small, and it reads the clock that every slot's startTime is counted from.
 */
export function samplerScenario(plan: Plan, ticks: number): K6Scenario {
  return {
    executor: 'per-vu-iterations',
    exec: EXEC.sampler,
    vus: 1,
    iterations: ticks,
    startTime: '0s',
    maxDuration: k6Duration(plan.totalSeconds + 5),
    gracefulStop: '1s',
  };
}

export function k6Scenarios(plan: Plan, ticks: number): Record<string, K6Scenario> {
  const out: Record<string, K6Scenario> = {};
  for (const slot of plan.slots) out[slot.id] = slotScenario(slot);
  out[SAMPLER_SCENARIO] = samplerScenario(plan, ticks);
  return out;
}
