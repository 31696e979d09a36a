// The upstream's side of a slot: the IO profile the suite sets on it before the slot starts
// (so a black-box target, whose calls name no delay, waits exactly what a contract target is
// asked for), and the IO it served during the slot (its /profile/usage), turned into per-request
// figures. Pure: k6 sends what profileBody() says and emits what usagePoints() says, and the
// summary (from k6's data or rebuilt from InfluxDB) reads the same submetrics back.

import { METRICS } from '../../lib/registry.ts';
import { type TheoryLoad, type TheoryTarget, theoryLatencySeconds } from '../../lib/theory.ts';
import type { ServerFigures } from './figures.ts';
import { type K6SummaryData, metricValue as value } from './k6-data.ts';
import type { Plan, Slot } from './plan.ts';
import { slotKeys, type ThresholdSpec } from './thresholds.ts';

/** The upstream's profile routes (docs/servers.md). */
export const PROFILE_PATH = '/profile';
export const usagePath = (slotId: string): string => `/profile/usage?slot=${encodeURIComponent(slotId)}`;

/** The body of `PUT /profile` for a slot: its scaled delay, latency profile and stream shape. */
export function profileBody(
  slot: Pick<Slot, 'id' | 'delaySeconds' | 'profile' | 'stream'>,
): Record<string, string | number> {
  // Draw n of the slot uses seed n, as the n-th /io request of a contract target asks.
  const body: Record<string, string | number> = { slot: slot.id, delay: slot.delaySeconds, seed: 0 };
  if (slot.profile && slot.profile.dist !== 'fixed') {
    body.dist = slot.profile.dist;
    if (slot.profile.sigma !== undefined) body.sigma = slot.profile.sigma;
  }
  if (slot.stream) {
    body.tokens = slot.stream.tokens;
    body.interval = slot.stream.intervalSeconds;
  }
  return body;
}

export interface Usage {
  readonly calls: number;
  readonly ioSeconds: number;
  readonly inFlight: number;
}

/** `GET /profile/usage?slot=ID`'s answer, or null when it is not one. */
export function parseUsage(body: unknown): Usage | null {
  const u = body as Partial<Record<keyof Usage, unknown>> | null;
  if (!u || typeof u !== 'object') return null;
  const { calls, ioSeconds, inFlight } = u;
  if (typeof calls !== 'number' || typeof ioSeconds !== 'number' || typeof inFlight !== 'number') return null;
  return { calls, ioSeconds, inFlight };
}

/** The submetrics a slot's usage is read back from: the slot's own tag filter (slotKeys'). */
export function ioUsageKeys(slot: Parameters<typeof slotKeys>[0]): {
  readonly calls: string;
  readonly seconds: string;
} {
  const where = slotKeys(slot).completed.slice(METRICS.ioCompleted.length);
  return { calls: `${METRICS.upstreamIoCalls}${where}`, seconds: `${METRICS.upstreamIoSeconds}${where}` };
}

/**
 * Probes that make k6 keep each slot's usage apart for the summary (see thresholds.ts), and the
 * rebuild read it from InfluxDB. Only when the run knows its upstream: without samples k6 would
 * report zeros, and "no IO" is a figure, not an absence.
 */
export function ioUsageSpecs(plan: Pick<Plan, 'slots'>, upstreamUrl: string | undefined): ThresholdSpec[] {
  if (!upstreamUrl) return [];
  return plan.slots.flatMap((slot) => {
    const keys = ioUsageKeys(slot);
    return [
      {
        slot: slot.id,
        metric: keys.calls,
        expression: 'count>=0',
        claim: false,
        description: 'upstream IO calls (reported)',
      },
      {
        slot: slot.id,
        metric: keys.seconds,
        expression: 'count>=0',
        claim: false,
        description: 'upstream IO seconds (reported)',
      },
    ];
  });
}

export interface IoFigures {
  /** IO calls the upstream answered in full per request the target was sent (the whole slot). */
  readonly ioCallsPerRequest: number;
  /** Seconds of IO those calls waited, per request: what the target actually waited on. */
  readonly ioSecondsPerRequest: number;
}

/**
 * A slot's IO per request, or null when its usage was not read. The denominator is every
 * request of the slot (warm-up and graceful stop included), as the upstream counts every call
 * of it: the samples of http_req_failed, passes and fails.
 */
export function ioFigures(data: K6SummaryData, slot: Slot): IoFigures | null {
  const keys = ioUsageKeys(slot);
  const calls = value(data.metrics[keys.calls], 'count');
  const seconds = value(data.metrics[keys.seconds], 'count');
  const failed = data.metrics[slotKeys(slot).failed];
  const requests = (value(failed, 'passes') ?? 0) + (value(failed, 'fails') ?? 0);
  if (calls === null || seconds === null || !(requests > 0)) return null;
  return { ioCallsPerRequest: calls / requests, ioSecondsPerRequest: seconds / requests };
}

/** A target as far as its measured IO is concerned. */
export interface IoTarget extends TheoryTarget {
  /** A black-box target waits the IO it makes, not the IO the scenario names. */
  readonly blackBox: boolean;
}

/**
 * The load the theory holds a target to: the scenario's, or for a black-box target whose IO
 * went through the upstream its measured IO seconds per request (the same object when
 * unchanged, so expectedSpeedup stays the plain ratio of queue factors).
 */
export function ioLoad(load: TheoryLoad, fig: ServerFigures | undefined, target: IoTarget): TheoryLoad {
  const d = fig?.ioSecondsPerRequest;
  if (!target.blackBox || !fig?.ioCallsPerRequest || d === undefined || !(d > 0)) return load;
  return Object.assign({}, load, { ioSeconds: d });
}

/**
 * The loads a comparison holds the reference and a target to: when either is a black-box
 * target, each by the IO it measured (both waited on the same upstream, so like is compared
 * with like); else the scenario's, unchanged.
 */
export function comparedLoads(
  load: TheoryLoad,
  reference: { readonly fig: ServerFigures | undefined; readonly target: IoTarget },
  compared: { readonly fig: ServerFigures | undefined; readonly target: IoTarget },
): { readonly reference: TheoryLoad; readonly target: TheoryLoad } {
  const measured = reference.target.blackBox || compared.target.blackBox;
  const as = (t: IoTarget) => Object.assign({}, t, { blackBox: measured });
  return {
    reference: ioLoad(load, reference.fig, as(reference.target)),
    target: ioLoad(load, compared.fig, as(compared.target)),
  };
}

/**
 * A slot's figures with its IO per request, when read; and, for a black-box target or one
 * behind a pool, the theory's mean latency from the load and slots it really has.
 */
export function withIo(fig: ServerFigures, data: K6SummaryData, slot: Slot, target: IoTarget): ServerFigures {
  const io = ioFigures(data, slot);
  const out = io ? Object.assign({}, fig, io) : fig;
  const load = { clients: slot.vus, ioSeconds: slot.serviceSeconds ?? slot.delaySeconds };
  const own = ioLoad(load, out, target);
  if (own === load && target.pool === undefined) return out;
  const theoryMeanMs = theoryLatencySeconds(target, own) * 1000;
  // Behind a pool a request waits for a connection: its p50 is not the delay's, by design.
  return Object.assign({}, out, { theoryMeanMs }, target.pool === undefined ? {} : { p50OverDelay: null });
}
