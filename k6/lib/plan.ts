// The slot plan: when each (scenario, server) pair runs. Servers are measured one at a time
// (DESIGN.md, "What makes the comparison honest"), so every pair gets its own time slot and
// no two slots overlap. Pure: the k6 script, the runner and the tests all build the same plan.

import {
  DEFAULT_SIGMA,
  type LatencyProfile,
  LIMITS,
  type Model,
  meanDelaySeconds,
  meanServiceSeconds,
  SCENARIOS,
  type ScenarioSpec,
  STRESS_OPEN_SCENARIO,
  type StreamSpec,
  SWEEP,
} from '../../lib/registry.ts';
import { theoryLatencySeconds, theoryThroughput, workerSlots } from '../../lib/theory.ts';
import type { SuiteConfig, SuiteScenario } from './config.ts';
import { mixSlots } from './mix-plan.ts';
import type { Target } from './targets.ts';

export type SlotKind = 'closed' | 'open';

export interface Slot {
  /** k6 scenario name, e.g. `medium_express`, `stress_open_koa` (k6 allows [A-Za-z0-9_-]). */
  readonly id: string;
  /** Value of the `scenario` tag. */
  readonly scenario: SuiteScenario;
  /** The target's name: the `server` tag. */
  readonly server: string;
  readonly model: Model;
  /** W the slot is planned for (sync targets); 1 for async ones. */
  readonly workers: number;
  /** Sweep slots: N, also the `clients` tag of every sample, which tells the points apart. */
  readonly clients?: number;
  /** Mix slots: the CPU work per request c, ms (`cpu=` on /io, the `cpu_ms` tag). */
  readonly cpuMs?: number;
  /** How the upstream draws each delay; absent: exactly delaySeconds. */
  readonly profile?: LatencyProfile;
  /** Streamed answers (/stream): tokens and the time between them, time scale applied. */
  readonly stream?: StreamSpec;
  /** Mean time a request holds a worker (the delay's mean, plus the stream); delaySeconds when fixed. */
  readonly serviceSeconds?: number;
  readonly kind: SlotKind;
  readonly vus: number;
  /** The IO delay each request asks for, time scale applied. */
  readonly delaySeconds: number;
  /** One sync cycle (the queue factor times d) of the slowest sync target: its closed-loop latency by the theory. */
  readonly cycleSeconds: number;
  /** Offset from the start of the test (after setup), k6 `startTime`. */
  readonly startSeconds: number;
  /** Requests that start before startSeconds + warmupSeconds are tagged phase=warmup. */
  readonly warmupSeconds: number;
  /** k6 `duration`: no iteration starts after startSeconds + durationSeconds (the slot end). */
  readonly durationSeconds: number;
  /** k6 `gracefulStop`: time left to the requests in flight at the slot end. */
  readonly gracefulStopSeconds: number;
  /** Idle time after the graceful stop, before the next slot starts. */
  readonly gapSeconds: number;
  /** Per-request timeout passed to http.get. */
  readonly timeoutSeconds: number;
  /** Open model only: arrivals per `timeUnitSeconds`, and the VU pool that serves them. */
  readonly arrivals?: {
    perTimeUnit: number;
    timeUnitSeconds: number;
    preAllocatedVUs: number;
    maxVUs: number;
  };
}

/** A sweep point left out of the plan, and why (said in the output, kept in sweep.json). */
export interface SkippedPoint {
  readonly server: string;
  readonly clients: number;
  /** Mix points: the c left out. */
  readonly cpuMs?: number;
  readonly reason: string;
}

export interface Plan {
  readonly mode: SuiteConfig['mode'];
  /** Whether the load generator's own CPU is sampled (the runner serves it). */
  readonly selfStats: boolean;
  readonly skipped: readonly SkippedPoint[];
  readonly targets: readonly Target[];
  readonly reference: string | null;
  /** W of each sync target as planned (see SuiteConfig.workers). */
  readonly workers: Readonly<Record<string, number>>;
  readonly timeScale: number;
  readonly slots: readonly Slot[];
  /** How often the CPU sampler polls /stats. */
  readonly sampleIntervalSeconds: number;
  /** End of the last slot's graceful stop and gap: the whole run after setup. */
  readonly totalSeconds: number;
}

/** Requests that start within the slot's first cycle are warm-up (a sync server's queue is filling). */
export const WARMUP_CYCLES = 1;
/**
 * A slot lasts at least this many of its own target's cycles (max(1, N/W)·d for a sync target,
 * d for an async one), so the measured window holds several full cycles. Each slot is sized
 * from its own target: an async slot does not sit through six sync cycles it does not need.
 */
export const MIN_SLOT_CYCLES = 6;
/**
 * The time scale never shrinks a delay so far that N closed-loop clients would ask an async
 * target for more than this many requests per second. k6 and the servers share the machine:
 * on 2 cores the smoke's stress slot at 1,667 req/s (50 clients, 30 ms) measured the machine,
 * not the servers (fastify 19.3x against 25x on a busy morning), while the sweep put the
 * machine's ceiling with k6 beside the server near 1,600 req/s. 500 req/s stays well inside
 * it. Only scaled delays are raised: a scenario's own delay (db: 10 ms) is kept at scale 1.
 */
export const MAX_SCALED_DEMAND_PER_SECOND = 500;
/**
 * Nor below this delay: a request's fixed cost (two loopback hops, the event loop, k6 on the
 * same cores) does not shrink with the time scale, and at 50 ms it was a quarter of the
 * smoke's latency on a busy machine (high/koa p50 63 ms). At 100 ms it is a few percent.
 */
export const MIN_SCALED_DELAY_SECONDS = 0.1;
/**
 * Requests a closed slot's window holds at least, over all its clients (before the time scale).
 * A client completes a whole number of requests in a window, so its rate is off by up to one
 * request: 50 keeps a lone client (baseline) within about 2%.
 */
export const MIN_WINDOW_REQUESTS = 50;
/**
 * Margins and gaps are half a second at scale 1 and shrink with the time scale, but never below
 * these floors: connection set-up, scheduling and the 2-core machine's jitter do not shrink.
 * The smoke runs on the floors (its drain checks pass), so half a second is ample at scale 1.
 */
export const MARGIN_SECONDS = 0.5;
export const MIN_MARGIN_SECONDS = 0.25;
export const GAP_SECONDS = 0.5;
export const MIN_GAP_SECONDS = 0.2;
export const SAMPLE_INTERVAL_SECONDS = 1;
export const MIN_SAMPLE_INTERVAL_SECONDS = 0.25;
/** Closed model: a request slower than this many sync cycles (plus a margin) is a failure. */
export const CLOSED_TIMEOUT_CYCLES = 3;
/** Open model: a request slower than this many IO delays times out (10x what an async server needs). */
export const OPEN_TIMEOUT_DELAYS = 10;
/** Open model: the VU pool may grow to this multiple of N before arrivals are dropped. */
export const OPEN_MAX_VUS_FACTOR = 2;

/** Round to the millisecond, the resolution k6 durations are written in. */
export const ms = (seconds: number): number => Math.round(seconds * 1000) / 1000;

/** One sync cycle: the theory's latency of W sync workers under N clients (lib/theory.ts). */
export function cycleSeconds(vus: number, delaySeconds: number, syncWorkers: number): number {
  return theoryLatencySeconds(
    { model: 'sync', workers: syncWorkers },
    { clients: vus, ioSeconds: delaySeconds },
  );
}

function scaled(seconds: number, scale: number, floor: number): number {
  return Math.max(floor, seconds * scale);
}

/**
 * A scenario's delay under the time scale: shrunk with it, but never below MIN_SCALED_DELAY_SECONDS
 * or what keeps N clients' demand on an async target within MAX_SCALED_DEMAND_PER_SECOND, nor
 * raised above its own delay.
 * The theory's ratios depend on N and W only, so raising d changes no expected speedup.
 */
export function scaledDelay(
  spec: Pick<ScenarioSpec, 'vus' | 'delaySeconds' | 'profile'>,
  scale: number,
): number {
  const d = spec.delaySeconds * scale;
  if (scale >= 1) return d;
  // For a profile the demand is set by the mean delay, the delay scale by its median: same ratio.
  const mean = meanDelaySeconds(spec.delaySeconds, spec.profile) / spec.delaySeconds;
  const floor = Math.max(MIN_SCALED_DELAY_SECONDS, spec.vus / MAX_SCALED_DEMAND_PER_SECOND / mean);
  return Math.min(spec.delaySeconds, Math.max(d, floor));
}

/**
 * The slots a target is planned with: W·T for a sync target (threads count as workers, so
 * gthread's cycle is N/(W·T) delays), 1 for an async one.
 */
const plannedWorkers = (t: Target, cfg: Pick<SuiteConfig, 'workers'>): number =>
  t.model === 'sync'
    ? workerSlots({ model: 'sync', workers: cfg.workers[t.name] ?? 1, threads: t.threads })
    : 1;

/** The longest closed-loop cycle among the selected sync targets; d when none is selected. */
export function slowestCycle(vus: number, d: number, cfg: Pick<SuiteConfig, 'targets' | 'workers'>): number {
  const cycles = cfg.targets
    .filter((t) => t.model === 'sync')
    .map((t) => cycleSeconds(vus, d, plannedWorkers(t, cfg)));
  return Math.max(d, ...cycles);
}

/** Closed-model slots measure the targets in their order: sync ones (the reference) first. */
function closedSlots(spec: ScenarioSpec, cfg: SuiteConfig): Omit<Slot, 'startSeconds'>[] {
  const s = cfg.timeScale;
  const d = scaledDelay(spec, s);
  const stream = spec.stream
    ? { tokens: spec.stream.tokens, intervalSeconds: ms(spec.stream.intervalSeconds * s) }
    : undefined;
  // What one request holds its worker for, on average: the delay's mean plus the stream.
  const service = meanServiceSeconds({ delaySeconds: d, profile: spec.profile, stream });
  const cycle = slowestCycle(spec.vus, service, cfg);
  const margin = scaled(MARGIN_SECONDS, s, MIN_MARGIN_SECONDS);
  // A request that starts just before the slot end may draw a slow delay: leave it the time of
  // a 1-in-1000 draw rather than cut it off (k6 drops a request interrupted by gracefulStop).
  const slowDraw = tailSeconds(d, spec.profile) + (service - meanDelaySeconds(d, spec.profile));
  return cfg.targets.map((target) => {
    const { model, name: server } = target;
    const workers = plannedWorkers(target, cfg);
    const own = model === 'sync' ? cycleSeconds(spec.vus, service, workers) : service;
    const warmup = WARMUP_CYCLES * own;
    // A whole number of service times, and enough requests: each of the requests served at
    // once (N clients on an async target, min(N, W) workers on a sync one) completes window/d
    // of them, one more or less by its phase and the overhead's drift, so the window must hold
    // about MIN_WINDOW_REQUESTS before the rate is good to a percent or two. Scaled with the
    // time scale (at scale 1 the smoke's would add a minute it does not need).
    const atOnce = model === 'sync' ? Math.min(spec.vus, workers) : spec.vus;
    const enough = (MIN_WINDOW_REQUESTS * meanServiceSeconds(spec) * s) / atOnce;
    const windowed = Math.max(cfg.slotSeconds * s - warmup, (MIN_SLOT_CYCLES - WARMUP_CYCLES) * own, enough);
    const duration = warmup + Math.ceil(windowed / service - 1e-6) * service;
    // At the slot end the sync server still holds up to N requests, the last of which
    // answers one of its cycles later; the async server answers all of them one delay later.
    const slowest =
      model === 'sync' ? cycleSeconds(spec.vus, service, workers) + slowDraw - service : slowDraw;
    const slot: Omit<Slot, 'startSeconds'> = {
      id: `${spec.name}_${server}`,
      scenario: spec.name,
      server,
      model,
      workers,
      kind: 'closed' as const,
      vus: spec.vus,
      delaySeconds: ms(d),
      cycleSeconds: ms(cycle),
      serviceSeconds: ms(service),
      warmupSeconds: ms(warmup),
      durationSeconds: ms(duration),
      gracefulStopSeconds: ms(
        Math.max(slowest, model === 'sync' ? cycleSeconds(spec.vus, service, workers) : d) + margin,
      ),
      gapSeconds: ms(scaled(GAP_SECONDS, s, MIN_GAP_SECONDS)),
      timeoutSeconds: ms(CLOSED_TIMEOUT_CYCLES * cycle + slowDraw + margin),
    };
    if (spec.profile) Object.assign(slot, { profile: spec.profile });
    if (stream) Object.assign(slot, { stream });
    return slot;
  });
}

/** The 99.9th percentile of a profile's delay (the delay itself when fixed), capped at 60 s. */
export function tailSeconds(d: number, profile: LatencyProfile | undefined): number {
  if (!profile || profile.dist === 'fixed') return d;
  const q =
    profile.dist === 'exponential'
      ? d * Math.log(1000)
      : d * Math.exp(3.09 * (profile.sigma ?? DEFAULT_SIGMA));
  return Math.min(q, LIMITS.maxDelaySeconds);
}

/**
 * The open-model variant of stress: arrivals at the async servers' closed-loop capacity N/d
 * per second, whether or not earlier requests have answered. The sync server cannot keep up
 * (its capacity is W/d), so its VU pool fills, iterations are dropped and requests time out;
 * those figures are reported, apart from the closed-model speedups.
 *
 * Sync targets run last: a client that times out leaves its connection queued at the sync
 * server, which still serves it later (as Gunicorn would), so its backlog outlives the slot
 * and would load the machine during a following slot.
 */
function openSlots(spec: ScenarioSpec, cfg: SuiteConfig): Omit<Slot, 'startSeconds'>[] {
  const s = cfg.timeScale;
  const d = scaledDelay(spec, s);
  const cycle = slowestCycle(spec.vus, d, cfg);
  const margin = scaled(MARGIN_SECONDS, s, MIN_MARGIN_SECONDS);
  const timeout = OPEN_TIMEOUT_DELAYS * d;
  const order = [
    ...cfg.targets.filter((t) => t.model !== 'sync'),
    ...cfg.targets.filter((t) => t.model === 'sync'),
  ];
  return order.map((target) => ({
    id: `${STRESS_OPEN_SCENARIO.replace(/-/g, '_')}_${target.name}`,
    scenario: STRESS_OPEN_SCENARIO,
    server: target.name,
    model: target.model,
    workers: plannedWorkers(target, cfg),
    kind: 'open' as const,
    vus: spec.vus,
    delaySeconds: ms(d),
    cycleSeconds: ms(cycle),
    // The async server settles within one delay; one sync cycle is kept for symmetry with
    // the closed slots (and is at most a quarter of the slot).
    warmupSeconds: ms(Math.min(WARMUP_CYCLES * cycle, (cfg.slotSeconds * s) / 4)),
    durationSeconds: ms(cfg.slotSeconds * s),
    gracefulStopSeconds: ms(timeout + margin),
    gapSeconds: ms(scaled(GAP_SECONDS, s, MIN_GAP_SECONDS)),
    timeoutSeconds: ms(timeout),
    // N arrivals every d seconds is N/d per second, written so k6 gets whole numbers.
    arrivals: {
      perTimeUnit: spec.vus,
      timeUnitSeconds: ms(d),
      // All VUs up front: a VU that k6 initialises mid-slot misses its arrival, which
      // would show as a dropped iteration of the async server (k6's cost, not the server's).
      preAllocatedVUs: OPEN_MAX_VUS_FACTOR * spec.vus,
      maxVUs: OPEN_MAX_VUS_FACTOR * spec.vus,
    },
  }));
}

function scenarioSpec(name: string): ScenarioSpec {
  const spec = SCENARIOS.find((s) => s.name === name);
  if (!spec) throw new Error(`no scenario ${name} in the registry`);
  return spec;
}

/**
 * The concurrency sweep: for each N (ascending), one closed-model slot per target, each as
 * long as the longer of the sweep's slot length and six of its own cycles. A sync target is
 * measured up to the first N at which the theory puts its mean past SWEEP.syncStopDelays
 * delays (that point is measured, to show it); beyond, its curve is known (latency N·d/W,
 * throughput W/d) and measuring it would take minutes per point, so those points are
 * skipped and listed.
 */
function sweepSlots(cfg: SuiteConfig, skipped: SkippedPoint[]): Omit<Slot, 'startSeconds'>[] {
  const s = cfg.timeScale;
  const d = cfg.sweep.delaySeconds * s;
  const margin = scaled(MARGIN_SECONDS, s, MIN_MARGIN_SECONDS);
  const stopped = new Set<string>();
  const out: Omit<Slot, 'startSeconds'>[] = [];
  for (const vus of cfg.sweep.vus) {
    for (const target of cfg.targets) {
      const workers = plannedWorkers(target, cfg);
      const cycle = target.model === 'sync' ? cycleSeconds(vus, d, workers) : d;
      if (stopped.has(target.name)) {
        skipped.push({
          server: target.name,
          clients: vus,
          reason: `past ${SWEEP.syncStopDelays}× the delay at fewer clients: theory ${fmtFactor(cycle / d)}× d, ${fmtFactor(theoryThroughput({ model: 'sync', workers }, { clients: vus, ioSeconds: d }))} req/s`,
        });
        continue;
      }
      if (target.model === 'sync' && cycle / d > SWEEP.syncStopDelays) stopped.add(target.name);
      out.push({
        id: `sweep_n${vus}_${target.name}`,
        scenario: SWEEP.scenario,
        server: target.name,
        model: target.model,
        workers,
        clients: vus,
        kind: 'closed' as const,
        vus,
        delaySeconds: ms(d),
        cycleSeconds: ms(cycle),
        warmupSeconds: ms(WARMUP_CYCLES * cycle),
        durationSeconds: ms(Math.max(cfg.sweep.slotSeconds * s, MIN_SLOT_CYCLES * cycle)),
        gracefulStopSeconds: ms(cycle + margin),
        gapSeconds: ms(scaled(GAP_SECONDS, s, MIN_GAP_SECONDS)),
        // Past the async servers' knee latency grows; a timeout far above the theory's keeps
        // the slow answers measured instead of turned into errors.
        timeoutSeconds: ms(CLOSED_TIMEOUT_CYCLES * cycle + Math.max(margin, 10 * d)),
      });
    }
  }
  return out;
}

const fmtFactor = (x: number): string => (x >= 10 ? x.toFixed(0) : x.toFixed(1));

export function buildPlan(cfg: SuiteConfig): Plan {
  const unplaced: Omit<Slot, 'startSeconds'>[] = [];
  const skipped: SkippedPoint[] = [];
  if (cfg.mode === 'sweep') unplaced.push(...sweepSlots(cfg, skipped));
  else if (cfg.mode === 'mix') unplaced.push(...mixSlots(cfg, skipped));
  else {
    for (const name of cfg.scenarios) {
      if (name === STRESS_OPEN_SCENARIO) unplaced.push(...openSlots(scenarioSpec('stress'), cfg));
      else if (name !== SWEEP.scenario) unplaced.push(...closedSlots(scenarioSpec(name), cfg));
    }
  }
  // Open slots go last whatever the list order (see openSlots).
  unplaced.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'open' ? 1 : -1));
  const slots: Slot[] = [];
  // The first slot waits one gap too, so that the sampler's drain check (half a gap before
  // every slot) has a moment in which nothing runs.
  let t = unplaced[0]?.gapSeconds ?? 0;
  for (const slot of unplaced) {
    slots.push(Object.assign({ startSeconds: ms(t) }, slot));
    t = ms(t + slot.durationSeconds + slot.gracefulStopSeconds + slot.gapSeconds);
  }
  return {
    mode: cfg.mode,
    selfStats: cfg.sweep.selfStatsUrl !== undefined,
    skipped,
    targets: cfg.targets,
    reference: cfg.reference,
    workers: cfg.workers,
    timeScale: cfg.timeScale,
    slots,
    sampleIntervalSeconds: ms(scaled(SAMPLE_INTERVAL_SECONDS, cfg.timeScale, MIN_SAMPLE_INTERVAL_SECONDS)),
    totalSeconds: t,
  };
}

export const slotEnd = (slot: Slot): number => ms(slot.startSeconds + slot.durationSeconds);
export const warmupEnd = (slot: Slot): number => ms(slot.startSeconds + slot.warmupSeconds);
/** Length of the measurement window [warmup end, slot end], the denominator of throughput. */
export const windowSeconds = (slot: Slot): number => ms(slot.durationSeconds - slot.warmupSeconds);
