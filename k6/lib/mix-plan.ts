// The mix sweep's slots (MODE=mix, npm run k6:mix): N clients and the IO delay d fixed, the CPU
// work per request c swept, one closed-model slot per (c, target), each sized from its own
// theoretical cycle (lib/theory.ts, CPU terms included), as the concurrency sweep's are.
// buildPlan (plan.ts) places them; plan.ts's constants are read inside functions only, as the
// two modules import each other.

import { LIMITS, MIX } from '../../lib/registry.ts';
import { type TheoryTarget, theoryLatencySeconds, theoryThroughput } from '../../lib/theory.ts';
import type { SuiteConfig } from './config.ts';
import {
  CLOSED_TIMEOUT_CYCLES,
  GAP_SECONDS,
  MARGIN_SECONDS,
  MIN_GAP_SECONDS,
  MIN_MARGIN_SECONDS,
  MIN_SLOT_CYCLES,
  type SkippedPoint,
  type Slot,
  scaledDelay,
  WARMUP_CYCLES,
} from './plan.ts';
import type { Target } from './targets.ts';

export interface MixConfig {
  /** N: closed-loop clients, the same in every slot. */
  readonly vus: number;
  /** d before the time scale, seconds. */
  readonly delaySeconds: number;
  /** The c of each point, ms, ascending (before the time scale). */
  readonly cpuMs: readonly number[];
  /** Slot length before the time scale; a slot is never shorter than six of its own cycles. */
  readonly slotSeconds: number;
  /** K: the cores the theory assumes the targets share (the runner passes the machine's); absent: unbounded. */
  readonly cores: number | undefined;
}

/** MIX_CPU_MS: decimals of ms within the servers' `cpu` bounds; unset, the registry's list. */
export function parseCpuMs(raw: string | undefined, name: string): number[] {
  if (raw === undefined || raw.trim() === '') return MIX.cpuMs.slice();
  const values = raw.split(',').map((s) => s.trim());
  const bad = values.filter(
    (v) => !/^\d+(\.\d+)?$/.test(v) || Number(v) < LIMITS.minCpuMs || Number(v) > LIMITS.maxCpuMs,
  );
  if (bad.length > 0) {
    throw new Error(
      `${name} must list ms of CPU from ${LIMITS.minCpuMs} to ${LIMITS.maxCpuMs}, got "${raw}"`,
    );
  }
  return [...new Set(values.map(Number))].sort((a, b) => a - b);
}

const ms = (seconds: number): number => Math.round(seconds * 1000) / 1000;
const scaled = (seconds: number, scale: number, floor: number): number => Math.max(floor, seconds * scale);

/** k6 scenario ids allow [A-Za-z0-9_-]: c = 0.5 ms is `c0p5`. */
export const mixSlotId = (cpuMs: number, server: string): string =>
  `${MIX.scenario}_c${String(cpuMs).replace('.', 'p')}_${server}`;

/**
 * What the plan knows of a target before /health answers: a sync target's W·T as configured,
 * an async one as one process (the slowest, so no slot is too short; the results' theory uses
 * the P that /health reports).
 */
export function plannedTheoryTarget(t: Target, cfg: Pick<SuiteConfig, 'workers'>): TheoryTarget {
  return t.model === 'sync'
    ? { model: 'sync', workers: cfg.workers[t.name] ?? 1, threads: t.threads }
    : { model: 'async', processes: 1 };
}

/**
 * The time scale shrinks d (within scaledDelay's floors) and c alike, so c/d, and with it the
 * crossover's place among the points, stays where it was.
 */
export function mixLoad(cfg: Pick<SuiteConfig, 'mix' | 'timeScale'>): { d: number; cpuScale: number } {
  const m = cfg.mix;
  const d = scaledDelay({ vus: m.vus, delaySeconds: m.delaySeconds }, cfg.timeScale);
  return { d, cpuScale: d / m.delaySeconds };
}

export function mixSlots(cfg: SuiteConfig, skipped: SkippedPoint[]): Omit<Slot, 'startSeconds'>[] {
  const s = cfg.timeScale;
  const m = cfg.mix;
  const { d, cpuScale } = mixLoad(cfg);
  const margin = scaled(MARGIN_SECONDS, s, MIN_MARGIN_SECONDS);
  const longest = MIX.maxSlotSeconds * s;
  const out: Omit<Slot, 'startSeconds'>[] = [];
  for (const rawC of m.cpuMs) {
    const cpuMs = Math.round(rawC * cpuScale * 1000) / 1000;
    const load = { clients: m.vus, ioSeconds: d, cpuSeconds: cpuMs / 1000, cores: m.cores };
    for (const target of cfg.targets) {
      const theory = plannedTheoryTarget(target, cfg);
      const cycle = theoryLatencySeconds(theory, load);
      if (MIN_SLOT_CYCLES * cycle > longest) {
        // Its curve there is the theory's (CPU-bound); measuring it would take minutes.
        skipped.push({
          server: target.name,
          clients: m.vus,
          cpuMs,
          reason: `theory ${theoryThroughput(theory, load).toFixed(1)} req/s: ${MIN_SLOT_CYCLES} cycles of ${cycle.toFixed(1)} s pass ${Math.round(longest)} s`,
        });
        continue;
      }
      out.push({
        id: mixSlotId(cpuMs, target.name),
        scenario: MIX.scenario,
        server: target.name,
        model: target.model,
        workers: target.model === 'sync' ? (cfg.workers[target.name] ?? 1) : 1,
        clients: m.vus,
        cpuMs,
        kind: 'closed' as const,
        vus: m.vus,
        delaySeconds: ms(d),
        serviceSeconds: ms(d + cpuMs / 1000),
        cycleSeconds: ms(cycle),
        warmupSeconds: ms(WARMUP_CYCLES * cycle),
        durationSeconds: ms(Math.max(m.slotSeconds * s, MIN_SLOT_CYCLES * cycle)),
        // The backlog at the slot end (N requests) is served within one cycle by the theory; its
        // CPU work stretches when k6 and the upstream take cores too (a smoke on a busy 2-core
        // machine left express's backlog of 200 ms requests into the next slot), so two.
        gracefulStopSeconds: ms(2 * cycle + margin),
        gapSeconds: ms(scaled(GAP_SECONDS, s, MIN_GAP_SECONDS)),
        // Twice the suite's cycles: one event loop serving 20 CPU-bound requests on a crowded
        // machine let a few wait past 3 cycles + 1 s (koa at c = 50-200 ms, p95 up to 1.6
        // cycles), and a timed-out request is lost from the throughput while the server still
        // computes it.
        timeoutSeconds: ms(2 * CLOSED_TIMEOUT_CYCLES * cycle + Math.max(margin, 10 * d)),
      });
    }
  }
  return out;
}
