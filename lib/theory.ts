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
  /**
   * Async: the connections its IO goes through (a database pool of P). A request waits for a
   * free connection as one waits for a sync worker, so P bounds it as W does. Default: none.
   */
  readonly pool?: number;
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

/** W·T for a sync target (threads count as workers); P for an async one behind a pool, else unbounded. */
export function workerSlots(target: TheoryTarget): number {
  if (target.model !== 'sync') return target.pool ?? Number.POSITIVE_INFINITY;
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
  return Math.min(slots, (cpuCapacityCores(target, load.cores) * serviceSeconds(load)) / c);
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
 * queue factors, as d + c is the same for both. A black-box target waits the IO it makes, not
 * the IO the scenario asks for: `targetLoad` carries its measured d (IO seconds per request),
 * and the ratio of the two services joins the queue factors. With a pool of P behind an async
 * target and c = 0 this is min(N, P)/W for N >= W.
 */
export function expectedSpeedup(
  load: TheoryLoad,
  reference: TheoryTarget,
  target: TheoryTarget,
  targetLoad: TheoryLoad = load,
): number {
  const queues =
    queueFactor(load.clients, effectiveSlots(reference, load)) /
    queueFactor(targetLoad.clients, effectiveSlots(target, targetLoad));
  return targetLoad === load ? queues : (queues * serviceSeconds(load)) / serviceSeconds(targetLoad);
}

/** What an async target should reach against W sync workers: max(1, N/W). */
export function asyncSpeedup(clients: number, syncWorkers: number): number {
  if (!(syncWorkers >= 1)) throw new RangeError(`syncWorkers must be >= 1, got ${syncWorkers}`);
  return queueFactor(clients, syncWorkers);
}

/**
 * The cores a target can keep busy: min(P, K) for P async processes (min(W·T, K) for a sync
 * target), P (W·T) when K is not known. Its throughput stops following the theory once its CPU
 * per request times its throughput reaches this.
 */
export function cpuCapacityCores(target: TheoryTarget, cores?: number): number {
  const computing = target.model === 'sync' ? workerSlots(target) : (target.processes ?? 1);
  return Math.min(computing, cores ?? Number.POSITIVE_INFINITY);
}

/** The throughput at which c CPU-seconds per request fill `capacityCores`: min(P, K)/c requests/s. */
export function cpuCeilingRps(cpuSecondsPerRequest: number, capacityCores: number): number {
  if (!(cpuSecondsPerRequest > 0)) return Number.POSITIVE_INFINITY;
  return capacityCores / cpuSecondsPerRequest;
}

/**
 * How many sync workers of T threads serve N clients at about the IO delay: the queue factor is
 * 1 once W·T ≥ N, so ⌈N/T⌉.
 */
export function workersToServe(clients: number, threads = 1): number {
  if (!(threads >= 1)) throw new RangeError(`threads must be >= 1, got ${threads}`);
  return Math.ceil(clients / threads);
}

/**
 * The CPU work per request c, seconds, past which `target` (async) serves fewer requests per
 * second than `reference` (sync) at N clients and IO delay d; null when it never does. With
 * a = min(P, K) computing async and s = min(W·T, K) sync, each side serves
 * min(slots, compute·(d + c)/c)/(d + c): the async side falls below the sync side's
 * min(N, W·T) exactly when a·(1 + d/c) < min(N, W·T), i.e. c > a·d/(min(N, W·T) − a), and
 * only if a < s (else the sync side is CPU-bound first). With P = 1: d/(W − 1).
 */
export function crossoverCpuSeconds(
  load: Omit<TheoryLoad, 'cpuSeconds'>,
  reference: TheoryTarget,
  target: TheoryTarget,
): number | null {
  if (reference.model !== 'sync' || target.model !== 'async') return null;
  // A pool behind the async target would bound it at every c, not only past one: not this question.
  if (target.pool !== undefined) return null;
  const a = cpuCapacityCores(target, load.cores);
  const s = cpuCapacityCores(reference, load.cores);
  const served = Math.min(load.clients, workerSlots(reference));
  if (!(a < s) || !(a < served)) return null;
  return (a * load.ioSeconds) / (served - a);
}
