// k6 thresholds per slot. They do two jobs: the claims (error rate, p95 bounded by the
// theory, requests completed, sync server drained) fail the run with k6's exit code 99; and
// every submetric the summary needs must carry a threshold, because that is what makes k6
// keep it apart and hand it to handleSummary. The latter are "probes": always true.

import { METRICS, REQUEST_NAMES, TAGS } from '../../lib/registry.ts';
import { queueFactor } from '../../lib/theory.ts';
import type { Plan, Slot } from './plan.ts';

/** Metrics the suite adds beside the registry's, used by the k6 script only. */
export const SUITE_METRICS = {
  /** Rate: at each slot start, 1 when the sync server had nothing in flight or queued. */
  syncDrained: 'sync_drained',
} as const;

/** k6's error code for a request that hit its timeout. */
export const TIMEOUT_ERROR_CODE = '1050';

/** `metric{k:v,...}` in a fixed key order: the same string names the submetric everywhere. */
export function submetric(metric: string, tags: Readonly<Record<string, string>>): string {
  const parts = Object.keys(tags).map((k) => `${k}:${tags[k]}`);
  return `${metric}{${parts.join(',')}}`;
}

export interface SlotKeys {
  /** http_req_duration of the /io requests that started in the measurement window. */
  readonly duration: string;
  /** http_req_failed of every /io request of the slot. */
  readonly failed: string;
  readonly requests: string;
  readonly timeouts: string;
  readonly completed: string;
  readonly cpuSeconds: string;
  readonly cpuPercent: string;
  readonly rssBytes: string;
  readonly inFlight: string;
  readonly drained: string;
  readonly k6CpuPercent: string;
  readonly machineBusyPercent: string;
  /** Streams: time to first token of the requests that started in the window, and tokens received. */
  readonly ttft: string;
  readonly tokens: string;
}

/** The `name` tag of a slot's measured requests: the route it calls. */
export const measuredRoute = (slot: Pick<Slot, 'stream'>): string =>
  slot.stream ? REQUEST_NAMES.stream : REQUEST_NAMES.io;

export function slotKeys(slot: Pick<Slot, 'scenario' | 'server' | 'clients' | 'cpuMs' | 'stream'>): SlotKeys {
  const where: Record<string, string> = { [TAGS.scenario]: slot.scenario, [TAGS.server]: slot.server };
  if (slot.clients !== undefined) where[TAGS.clients] = String(slot.clients);
  if (slot.cpuMs !== undefined) where[TAGS.cpu] = String(slot.cpuMs);
  const io = Object.assign({}, where, { [TAGS.name]: measuredRoute(slot) });
  return {
    duration: submetric(METRICS.httpReqDuration, Object.assign({}, where, { [TAGS.phase]: 'measure' })),
    failed: submetric(METRICS.httpReqFailed, io),
    requests: submetric(METRICS.httpReqs, io),
    timeouts: submetric(METRICS.httpReqs, Object.assign({}, io, { error_code: TIMEOUT_ERROR_CODE })),
    completed: submetric(METRICS.ioCompleted, where),
    cpuSeconds: submetric(METRICS.serverCpuSeconds, where),
    cpuPercent: submetric(METRICS.serverCpuPercent, where),
    rssBytes: submetric(METRICS.serverRssBytes, where),
    inFlight: submetric(METRICS.serverInFlight, where),
    drained: submetric(SUITE_METRICS.syncDrained, where),
    k6CpuPercent: submetric(METRICS.sweepK6CpuPercent, where),
    machineBusyPercent: submetric(METRICS.sweepMachineBusyPercent, where),
    ttft: submetric(METRICS.streamTtft, Object.assign({}, where, { [TAGS.phase]: 'measure' })),
    tokens: submetric(METRICS.streamTokens, where),
  };
}

/** Fractions and allowances of the latency bounds (see p95BoundMs). */
export const ASYNC_P95_FACTOR = 1.25;
export const SYNC_P95_FACTOR = 1.25;
export const OVERHEAD_ALLOWANCE_MS = 50;
/** The error rate a slot may have; above it the claim fails. */
export const MAX_ERROR_RATE = 0.01;

/**
 * Upper bound of a closed slot's p95 latency, from the theory:
 * - async: every request waits the delay d, so p95 < 1.25·d + 50 ms;
 * - sync: a request waits for the N/W requests ahead of it, so p95 < 1.25·ceil(queue factor)·d
 *   + 50 ms. The ceiling: with N/W = 2.5, requests wait two or three delays (the mean is
 *   2.5·d by Little's law), so the p95 is three.
 * The 25% scales with the time scale; the 50 ms does not, because it is the fixed cost of a
 * request (two loopback HTTP hops, the event loop, k6 itself on the same 2 cores), which
 * does not shrink when the delays do. A sync server that got faster (stopped queuing) passes
 * this bound but fails the speedup check; an async server that queues fails both.
 */
export function p95BoundMs(
  slot: Pick<Slot, 'model' | 'vus' | 'delaySeconds'>,
  syncWorkers: number,
  pool?: number,
): number {
  const d = slot.delaySeconds * 1000;
  // An async target behind a pool of P queues for a connection as a sync one does for a worker.
  const bound =
    slot.model === 'async' && pool === undefined
      ? ASYNC_P95_FACTOR * d
      : SYNC_P95_FACTOR * Math.ceil(queueFactor(slot.vus, pool ?? syncWorkers)) * d;
  return Math.round(bound + OVERHEAD_ALLOWANCE_MS);
}

export interface ThresholdObject {
  threshold: string;
  abortOnFail?: boolean;
  delayAbortEval?: string;
}
export type Thresholds = Record<string, (string | ThresholdObject)[]>;

export interface ThresholdSpec {
  readonly slot: string;
  readonly metric: string;
  readonly expression: string;
  /** A claim fails the run; a probe only makes k6 keep the submetric for the summary. */
  readonly claim: boolean;
  readonly description: string;
  readonly abortOnFail?: boolean;
  readonly delayAbortEvalSeconds?: number;
}

const seconds = (s: number): string => `${Math.round(s * 1000)}ms`;

export function thresholdSpecs(plan: Plan): ThresholdSpec[] {
  const specs: ThresholdSpec[] = [];
  const hasSync = plan.targets.some((t) => t.model === 'sync');
  // A black-box target whose CPU is not measured has no stats samples: without a probe its
  // CPU figures are null (said "not measured"), where a probe of nothing would read 0.
  const unmeasured = new Set(plan.targets.filter((t) => t.statsUrl === '').map((t) => t.name));
  for (const slot of plan.slots) {
    const keys = slotKeys(slot);
    const add = (metric: string, expression: string, claim: boolean, description: string, extra = {}) =>
      specs.push(Object.assign({ slot: slot.id, metric, expression, claim, description }, extra));
    if (slot.clients !== undefined) {
      // A sweep point is a measurement, not a claim: finding where an async server stops
      // being ideal is its purpose. Only the fairness condition (sync drained) is held.
      add(keys.failed, 'rate>=0', false, 'error rate (reported)');
      add(keys.duration, 'max>=0', false, 'latency (reported)');
      add(keys.completed, 'count>=0', false, 'completed (reported)');
      if (hasSync) add(keys.drained, 'rate==1', true, 'sync servers drained when the slot started');
      if (plan.selfStats) {
        add(keys.k6CpuPercent, 'value>=0', false, 'load generator CPU (reported)');
        add(keys.machineBusyPercent, 'value>=0', false, 'machine CPU busy (reported)');
      }
    } else if (slot.kind === 'closed') {
      const bound = p95BoundMs(slot, slot.workers, plan.targets.find((t) => t.name === slot.server)?.pool);
      add(
        keys.failed,
        `rate<${MAX_ERROR_RATE}`,
        true,
        `fewer than ${MAX_ERROR_RATE * 100}% of /io requests fail`,
        {
          // A server that fails half a slot's requests is broken: stop rather than measure on.
          abortOnFail: true,
          delayAbortEvalSeconds: slot.startSeconds + slot.durationSeconds / 2,
        },
      );
      if (slot.profile || slot.stream) {
        // Variable delays have no single bound; the speedup check holds their mean to the theory.
        add(keys.duration, 'max>=0', false, 'latency (reported)');
      } else {
        add(keys.duration, `p(95)<${bound}`, true, `p95 latency within the theory's bound (${bound} ms)`);
      }
      if (slot.stream) {
        add(keys.ttft, 'max>=0', false, 'time to first token (reported)');
        add(keys.tokens, 'count>=0', false, 'tokens received (reported)');
      }
      add(keys.completed, 'count>0', true, 'requests completed in the measurement window');
      // Only with a sync target to check: k6 would judge an empty rate as 0.
      if (hasSync) add(keys.drained, 'rate==1', true, 'sync servers drained when the slot started');
    } else {
      // The open model is reported beside the claim, not part of it: the sync server is
      // expected to fall behind here.
      add(keys.failed, 'rate>=0', false, 'error rate (reported)');
      add(keys.duration, 'max>=0', false, 'latency (reported)');
      add(keys.completed, 'count>=0', false, 'completed (reported)');
      if (hasSync) add(keys.drained, 'rate>=0', false, 'sync servers drained at slot start (reported)');
      add(keys.requests, 'count>=0', false, 'requests sent (reported)');
      add(keys.timeouts, 'count>=0', false, 'requests timed out (reported)');
    }
    if (unmeasured.has(slot.server)) continue;
    add(keys.cpuSeconds, 'count>=0', false, 'server CPU seconds (reported)');
    add(keys.cpuPercent, 'max>=0', false, 'server CPU percent (reported)');
    add(keys.rssBytes, 'max>=0', false, 'server RSS (reported)');
    add(keys.inFlight, 'max>=0', false, 'server requests in flight (reported)');
  }
  return specs;
}

export function k6Thresholds(specs: readonly ThresholdSpec[]): Thresholds {
  const out: Thresholds = {};
  for (const spec of specs) {
    const list = out[spec.metric] || [];
    out[spec.metric] = list;
    if (spec.abortOnFail) {
      const t: ThresholdObject = { threshold: spec.expression, abortOnFail: true };
      if (spec.delayAbortEvalSeconds !== undefined) t.delayAbortEval = seconds(spec.delayAbortEvalSeconds);
      list.push(t);
    } else {
      list.push(spec.expression);
    }
  }
  return out;
}
