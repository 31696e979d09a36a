// The theory every measurement is held against (DESIGN.md), in one place: the plan sizes its
// slots from it, the thresholds bound latencies with it, the summary and the sweep print it
// beside the measurement, the report and the dashboards quote it. Pure and free of Node
// built-ins: k6 bundles it too.
//
// A closed loop of N clients, each sending one request after the other; a request waits d on
// its IO and computes c on a core (K cores in all). A target serves `slots` requests at once
// (its effective concurrency), and every term of the theory follows from that one figure:
// - sync: W workers, each with T threads (threads count as workers: gthread is W·T), and no
//   more than min(W·T, K) of them can compute at once, so its capacity is
//   min(W·T/(d+c), min(W·T, K)/c) requests/s;
// - async: P processes, any number of requests waiting on IO each, so only the CPU bounds it:
//   min(N/(d+c), min(P, K)/c).
// With c = 0 (the default) the slots are W·T and unbounded: sync latency max(1, N/W)·d, async
// d, speedup max(1, N/W). A new term (a new kind of cost) changes `slots` and `serviceSeconds`
// only.

import type { Model } from './registry.ts';

/** The theory's queue factor as the pages print it. */
export const QUEUE_FACTOR_TEXT = 'max(1, N/W)';

/** What a target is, as far as the theory is concerned. */
export interface TheoryTarget {
  readonly model: Model;
  /** Sync: processes that each serve one request (thread) at a time. Default 1. */
  readonly workers?: number;
  /** Sync: threads per worker, each serving one request. Default 1. */
  readonly threads?: number;
  /** Async: event-loop processes. Default 1. */
  readonly processes?: number;
}

/** What each client asks of it. */
export interface TheoryLoad {
  /** N: concurrent clients, closed loop. */
  readonly clients: number;
  /** d: what one request waits on its IO (the mean, when drawn), seconds. */
  readonly ioSeconds: number;
  /** c: CPU time one request computes, seconds. Default 0. */
  readonly cpuSeconds?: number;
  /** K: cores the target may use. Default: as many as it wants. */
  readonly cores?: number;
}

/** max(1, N/W): how many rounds of service a closed loop of N clients waits on W slots. */
export function queueFactor(clients: number, slots: number): number {
  return Math.max(1, clients / slots);
}

/** W·T for a sync target (threads count as workers); unbounded for an async one. */
export function workerSlots(target: TheoryTarget): number {
  if (target.model !== 'sync') return Number.POSITIVE_INFINITY;
  return (target.workers ?? 1) * (target.threads ?? 1);
}

/** d + c: how long one request holds its slot. */
export const serviceSeconds = (load: TheoryLoad): number => load.ioSeconds + (load.cpuSeconds ?? 0);

/**
 * The requests a target serves at once: its worker slots, or fewer when the CPU saturates
 * first (at most min(slots, K) — min(P, K) for async — compute at a time, each for c of its
 * d + c).
 */
export function effectiveSlots(target: TheoryTarget, load: TheoryLoad): number {
  const slots = workerSlots(target);
  const c = load.cpuSeconds ?? 0;
  if (!(c > 0)) return slots;
  const computing = target.model === 'sync' ? slots : (target.processes ?? 1);
  const cores = Math.min(computing, load.cores ?? Number.POSITIVE_INFINITY);
  return Math.min(slots, (cores * serviceSeconds(load)) / c);
}

/** The closed loop's mean latency, seconds: max(1, N/slots)·(d + c). */
export function theoryLatencySeconds(target: TheoryTarget, load: TheoryLoad): number {
  return queueFactor(load.clients, effectiveSlots(target, load)) * serviceSeconds(load);
}

/** The closed loop's throughput, requests/s: min(N, slots)/(d + c). */
export function theoryThroughput(target: TheoryTarget, load: TheoryLoad): number {
  return Math.min(load.clients, effectiveSlots(target, load)) / serviceSeconds(load);
}

/**
 * How much faster `target` should be than `reference` under the same load, in latency and in
 * throughput alike (a closed loop's throughput is N over its latency): the ratio of their
 * queue factors, as d + c is the same for both.
 */
export function expectedSpeedup(load: TheoryLoad, reference: TheoryTarget, target: TheoryTarget): number {
  return (
    queueFactor(load.clients, effectiveSlots(reference, load)) /
    queueFactor(load.clients, effectiveSlots(target, load))
  );
}

/** What an async target should reach against W sync workers: max(1, N/W). */
export function asyncSpeedup(clients: number, syncWorkers: number): number {
  if (!(syncWorkers >= 1)) throw new RangeError(`syncWorkers must be >= 1, got ${syncWorkers}`);
  return queueFactor(clients, syncWorkers);
}
