// results/sweep.json: the concurrency sweep's curve per target (latency, throughput, CPU and
// the load generator's own CPU at each N), the theory beside every point, each async
// target's knee, and which points the load generator itself limited.

import type { Model } from '../../lib/registry.ts';
import { expectedSpeedup, theoryLatencySeconds, theoryThroughput } from '../../lib/theory.ts';
import type { SuiteConfig } from './config.ts';
import { serverFigures } from './figures.ts';
import { type K6SummaryData, readSetup, testRunSeconds } from './k6-data.ts';
import type { Plan, SkippedPoint } from './plan.ts';
import { slotKeys } from './thresholds.ts';

/** An async target leaves ideal where its median passes this multiple of the delay... */
export const KNEE_LATENCY_FACTOR = 1.1;
/** ...or its throughput falls below this share of N/d. */
export const KNEE_THROUGHPUT_FACTOR = 0.9;
/**
 * A point is generator-bound when less than a quarter of the machine's CPU was idle in the
 * window and k6 used at least as much of it as the server did: the clients then competed
 * with the server for the last of the CPU, so a knee there cannot be put down to the server.
 * Measured here on 2 cores at d = 0.3 s (docs/k6.md, "The concurrency sweep"): up to
 * N = 500 the machine stays at or under about 55% busy with k6 below 60% of a core; at
 * N = 1000 it is 75-89% busy with k6 at 66-98% of a core, as much as or more than the
 * server (62-70%), and the upstream takes the rest.
 */
export const SATURATED_MACHINE_BUSY_PERCENT = 75;

export interface SweepPoint {
  readonly server: string;
  readonly model: Model;
  readonly clients: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly avg: number | null;
  readonly rps: number | null;
  readonly errorRate: number | null;
  readonly requests: number;
  readonly cpuMsPerRequest: number | null;
  /** The server's mean CPU during the slot, percent of one core. */
  readonly cpuPercent: number | null;
  readonly rssBytesMax: number | null;
  /** The load generator's CPU in the window, percent of one core (null: not measured). */
  readonly k6CpuPercent: number | null;
  /** The whole machine's busy CPU in the window, percent of all cores. */
  readonly machineBusyPercent: number | null;
  readonly generatorBound: boolean;
  /** The theory at this point: latency (ms) and throughput (req/s). */
  readonly theoryLatencyMs: number;
  readonly theoryRps: number;
  /** Reference mean ÷ this target's mean, at this N (null for the reference or without one). */
  readonly speedup: number | null;
  /** The theory's speedup of an async target over the reference at this N (lib/theory.ts). */
  readonly theorySpeedup: number | null;
}

export interface Knee {
  readonly clients: number;
  /** Which condition it met first. */
  readonly reason: string;
  readonly cpuPercent: number | null;
  readonly k6CpuPercent: number | null;
  /** True when the load generator, not the server, was the limit at this point. */
  readonly generatorBound: boolean;
}

export interface SweepResult {
  readonly kind: 'sweep';
  readonly delaySeconds: number;
  readonly timeScale: number;
  readonly reference: string | null;
  readonly targets: readonly { name: string; model: Model; framework: string; workers?: number }[];
  readonly points: readonly SweepPoint[];
  readonly skipped: readonly SkippedPoint[];
  /** Per async target: the first N past ideal, or null when it stayed ideal throughout. */
  readonly knees: Readonly<Record<string, Knee | null>>;
  readonly generatedAt: string;
  readonly k6Version?: string;
  readonly testid?: string;
  readonly testRunSeconds: number | null;
}

const value = (data: K6SummaryData, key: string): number | null => {
  const v = data.metrics[key]?.values.value;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

/** The saturation rule (see SATURATED_MACHINE_BUSY_PERCENT). */
export function isGeneratorBound(p: {
  machineBusyPercent: number | null;
  k6CpuPercent: number | null;
  cpuPercent: number | null;
}): boolean {
  if (p.machineBusyPercent === null || p.k6CpuPercent === null) return false;
  return p.machineBusyPercent >= SATURATED_MACHINE_BUSY_PERCENT && p.k6CpuPercent >= (p.cpuPercent ?? 0);
}

/** The first point of an async target past ideal: p50 > 1.1·d or throughput < 0.9·N/d. */
export function findKnee(points: readonly SweepPoint[], delaySeconds: number): Knee | null {
  const d = delaySeconds * 1000;
  for (const p of [...points].sort((a, b) => a.clients - b.clients)) {
    const slow = p.p50 !== null && p.p50 > KNEE_LATENCY_FACTOR * d;
    const ideal = theoryThroughput({ model: 'async' }, { clients: p.clients, ioSeconds: delaySeconds });
    const short = p.rps !== null && p.rps < KNEE_THROUGHPUT_FACTOR * ideal;
    if (!slow && !short) continue;
    const reasons: string[] = [];
    if (slow) reasons.push(`p50 ${Math.round(p.p50 ?? 0)} ms > ${KNEE_LATENCY_FACTOR}·d`);
    if (short)
      reasons.push(
        `${Math.round(p.rps ?? 0)} req/s < ${KNEE_THROUGHPUT_FACTOR}·N/d = ${Math.round((KNEE_THROUGHPUT_FACTOR * p.clients) / delaySeconds)}`,
      );
    return {
      clients: p.clients,
      reason: reasons.join('; '),
      cpuPercent: p.cpuPercent,
      k6CpuPercent: p.k6CpuPercent,
      generatorBound: p.generatorBound,
    };
  }
  return null;
}

export interface SweepInput {
  readonly data: K6SummaryData;
  readonly config: SuiteConfig;
  readonly plan: Plan;
  readonly now: Date;
}

export function buildSweep({ data, config, plan, now }: SweepInput): SweepResult {
  const { workers } = readSetup(data, plan.workers);
  const reference = plan.reference;
  const refW = reference ? (workers[reference] ?? 1) : null;
  const first = plan.slots[0];
  const d = first ? first.delaySeconds : config.sweep.delaySeconds * config.timeScale;
  const points: SweepPoint[] = [];
  const refAvg: Record<number, number | null> = {};
  for (const slot of plan.slots) {
    if (slot.clients === undefined) continue;
    const n = slot.clients;
    const w = slot.model === 'sync' ? (workers[slot.server] ?? slot.workers) : 1;
    const f = serverFigures(data, slot, w);
    const k = slotKeys(slot);
    const load = {
      machineBusyPercent: value(data, k.machineBusyPercent),
      k6CpuPercent: value(data, k.k6CpuPercent),
      cpuPercent: f.cpuPercentAvg,
    };
    if (slot.server === reference) refAvg[n] = f.avg;
    const target = { model: slot.model, workers: w };
    const theoryLoad = { clients: n, ioSeconds: d };
    points.push({
      server: slot.server,
      model: slot.model,
      clients: n,
      p50: f.p50,
      p95: f.p95,
      p99: f.p99,
      avg: f.avg,
      rps: f.rps,
      errorRate: f.errorRate,
      requests: f.requests,
      cpuMsPerRequest: f.cpuMsPerRequest,
      cpuPercent: f.cpuPercentAvg,
      rssBytesMax: f.rssBytesMax,
      k6CpuPercent: load.k6CpuPercent,
      machineBusyPercent: load.machineBusyPercent,
      generatorBound: isGeneratorBound(load),
      theoryLatencyMs: theoryLatencySeconds(target, theoryLoad) * 1000,
      theoryRps: theoryThroughput(target, theoryLoad),
      speedup: null,
      theorySpeedup:
        slot.model === 'async' && refW !== null
          ? expectedSpeedup(theoryLoad, { model: 'sync', workers: refW }, target)
          : null,
    });
  }
  const withSpeedup = points.map((p) => {
    const ref = refAvg[p.clients];
    if (p.server === reference || ref === undefined || ref === null || !(p.avg && p.avg > 0)) return p;
    return Object.assign({}, p, { speedup: ref / p.avg });
  });
  const knees: Record<string, Knee | null> = {};
  for (const t of plan.targets) {
    if (t.model !== 'async') continue;
    knees[t.name] = findKnee(
      withSpeedup.filter((p) => p.server === t.name),
      d,
    );
  }
  const result: SweepResult = {
    kind: 'sweep',
    delaySeconds: d,
    timeScale: config.timeScale,
    reference,
    targets: plan.targets.map((t) => {
      const info = { name: t.name, model: t.model, framework: t.framework };
      return t.model === 'sync' ? Object.assign(info, { workers: workers[t.name] ?? 1 }) : info;
    }),
    points: withSpeedup,
    skipped: plan.skipped,
    knees,
    generatedAt: now.toISOString(),
    testRunSeconds: testRunSeconds(data),
  };
  if (config.testid) Object.assign(result, { testid: config.testid });
  return config.k6Version ? Object.assign(result, { k6Version: config.k6Version }) : result;
}
