// results/mix.json: the mix sweep's curve per target (throughput, p50, p95 and CPU per request
// at each CPU work per request c), the theory beside every point, and where each async target's
// throughput falls below the sync reference's, measured and predicted (lib/theory.ts).

import type { Model } from '../../lib/registry.ts';
import {
  crossoverCpuSeconds,
  type TheoryTarget,
  theoryLatencySeconds,
  theoryThroughput,
} from '../../lib/theory.ts';
import type { SuiteConfig } from './config.ts';
import { serverFigures } from './figures.ts';
import { type K6SummaryData, metricValue, readSetup, testRunSeconds } from './k6-data.ts';
import type { Plan, SkippedPoint } from './plan.ts';
import { slotKeys } from './thresholds.ts';

/** The bar for the measured crossover: within ±25% of the predicted one. */
export const CROSSOVER_TOLERANCE = 0.25;

export interface MixPoint {
  readonly server: string;
  readonly model: Model;
  readonly cpuMs: number;
  readonly rps: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly avg: number | null;
  readonly errorRate: number | null;
  readonly requests: number;
  /** Server CPU in the window ÷ responses completed in it: about c plus the server's own cost. */
  readonly cpuMsPerRequest: number | null;
  readonly cpuPercent: number | null;
  /** k6's CPU (percent of one core) and the whole machine's busy share (percent) in the window; null: not measured. */
  readonly k6CpuPercent: number | null;
  readonly machineBusyPercent: number | null;
  /** The theory at this c (lib/theory.ts): throughput (req/s) and mean latency (ms). */
  readonly theoryRps: number;
  readonly theoryLatencyMs: number;
}

export interface Crossover {
  readonly server: string;
  readonly reference: string;
  /** P the theory used for this target (its /health `workers`, else 1). */
  readonly processes: number;
  /** Theory: the c (ms) past which it serves less than the reference; null: never. */
  readonly predictedMs: number | null;
  /** Measured: where its throughput falls below the reference's, interpolated on log c. */
  readonly measuredMs: number | null;
  /** `crossed` between two measured c; `below` already at the first c; `never` at no c measured. */
  readonly status: 'crossed' | 'below' | 'never';
  /** measured ÷ predicted, when both exist. */
  readonly ratio: number | null;
  /** Whether the ratio lies within 1 ± CROSSOVER_TOLERANCE (null when there is nothing to compare). */
  readonly withinTolerance: boolean | null;
  /** Its throughput ÷ the reference's at each c both were measured at. */
  readonly throughputRatios: readonly { readonly cpuMs: number; readonly ratio: number }[];
  /** Whether it served at least as many requests per second as the reference at every c measured. */
  readonly atLeastReferenceEverywhere: boolean;
}

export interface MixResult {
  readonly kind: 'mix';
  readonly clients: number;
  readonly delaySeconds: number;
  readonly cores: number | null;
  readonly timeScale: number;
  readonly reference: string | null;
  readonly targets: readonly {
    name: string;
    model: Model;
    framework: string;
    workers?: number;
    threads?: number;
    processes?: number;
  }[];
  readonly points: readonly MixPoint[];
  readonly skipped: readonly SkippedPoint[];
  readonly crossovers: readonly Crossover[];
  readonly generatedAt: string;
  readonly k6Version?: string;
  readonly testid?: string;
  readonly testRunSeconds: number | null;
}

/**
 * Where the throughput ratio target ÷ reference first drops below 1, in ms of c: linear in
 * (log c, log ratio) between the last c at or above 1 and the first below it (throughput
 * follows powers of c, 1/c past the CPU ceiling, so the log–log line is the natural one);
 * linear in c from c = 0, which has no logarithm.
 */
export function findCrossover(ratios: readonly { cpuMs: number; ratio: number }[]): {
  measuredMs: number | null;
  status: Crossover['status'];
} {
  const pts = [...ratios].filter((r) => r.ratio > 0).sort((a, b) => a.cpuMs - b.cpuMs);
  const first = pts[0];
  if (!first) return { measuredMs: null, status: 'never' };
  if (first.ratio < 1) return { measuredMs: first.cpuMs, status: 'below' };
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1];
    const b = pts[i];
    if (!a || !b || b.ratio >= 1) continue;
    const t = Math.log(a.ratio) / (Math.log(a.ratio) - Math.log(b.ratio));
    const at =
      a.cpuMs > 0
        ? Math.exp(Math.log(a.cpuMs) + t * (Math.log(b.cpuMs) - Math.log(a.cpuMs)))
        : a.cpuMs + t * (b.cpuMs - a.cpuMs);
    return { measuredMs: at, status: 'crossed' };
  }
  return { measuredMs: null, status: 'never' };
}

export interface MixInput {
  readonly data: K6SummaryData;
  readonly config: SuiteConfig;
  readonly plan: Plan;
  readonly now: Date;
}

export function buildMix({ data, config, plan, now }: MixInput): MixResult {
  const setup = readSetup(data, plan.workers);
  const cores = config.mix.cores;
  const first = plan.slots[0];
  const d = first ? first.delaySeconds : config.mix.delaySeconds;
  const n = config.mix.vus;
  // The theory of each target as /health described it: W·T sync, P async.
  const theoryOf = (name: string, model: Model): TheoryTarget =>
    model === 'sync'
      ? { model, workers: setup.workers[name] ?? 1, threads: setup.threads?.[name] }
      : { model, processes: setup.processes?.[name] ?? 1 };
  const points: MixPoint[] = [];
  for (const slot of plan.slots) {
    if (slot.cpuMs === undefined) continue;
    const f = serverFigures(data, slot, setup.workers[slot.server] ?? slot.workers);
    const load = { clients: n, ioSeconds: d, cpuSeconds: slot.cpuMs / 1000, cores };
    const theory = theoryOf(slot.server, slot.model);
    const keys = slotKeys(slot);
    points.push({
      server: slot.server,
      model: slot.model,
      cpuMs: slot.cpuMs,
      rps: f.rps,
      p50: f.p50,
      p95: f.p95,
      avg: f.avg,
      errorRate: f.errorRate,
      requests: f.requests,
      cpuMsPerRequest: f.cpuMsPerRequest,
      cpuPercent: f.cpuPercentAvg,
      k6CpuPercent: metricValue(data.metrics[keys.k6CpuPercent], 'value'),
      machineBusyPercent: metricValue(data.metrics[keys.machineBusyPercent], 'value'),
      theoryRps: theoryThroughput(theory, load),
      theoryLatencyMs: theoryLatencySeconds(theory, load) * 1000,
    });
  }
  const reference = plan.reference;
  const crossovers: Crossover[] = [];
  if (reference) {
    const refModel = plan.targets.find((t) => t.name === reference)?.model ?? 'sync';
    const refRps = new Map(points.filter((p) => p.server === reference).map((p) => [p.cpuMs, p.rps]));
    for (const t of plan.targets.filter((x) => x.model === 'async')) {
      const throughputRatios = points
        .filter((p) => p.server === t.name)
        .flatMap((p) => {
          const r = refRps.get(p.cpuMs);
          return p.rps !== null && r ? [{ cpuMs: p.cpuMs, ratio: p.rps / r }] : [];
        });
      const predicted = crossoverCpuSeconds(
        { clients: n, ioSeconds: d, cores },
        theoryOf(reference, refModel),
        theoryOf(t.name, t.model),
      );
      const predictedMs = predicted === null ? null : predicted * 1000;
      const found = findCrossover(throughputRatios);
      const ratio =
        predictedMs !== null && found.measuredMs !== null && found.status === 'crossed'
          ? found.measuredMs / predictedMs
          : null;
      crossovers.push({
        server: t.name,
        reference,
        processes: setup.processes?.[t.name] ?? 1,
        predictedMs,
        measuredMs: found.measuredMs,
        status: found.status,
        ratio,
        withinTolerance: ratio === null ? null : Math.abs(ratio - 1) <= CROSSOVER_TOLERANCE,
        throughputRatios,
        atLeastReferenceEverywhere:
          throughputRatios.length > 0 && throughputRatios.every((r) => r.ratio >= 1),
      });
    }
  }
  // When and by what it was measured, as the sweep's record says it.
  const stamp = Object.assign(
    { generatedAt: now.toISOString(), testRunSeconds: testRunSeconds(data) },
    config.testid ? { testid: config.testid } : {},
    config.k6Version ? { k6Version: config.k6Version } : {},
  );
  const result: MixResult = {
    kind: 'mix',
    clients: n,
    delaySeconds: d,
    cores: cores ?? null,
    timeScale: config.timeScale,
    reference,
    targets: plan.targets.map((t) => {
      const info = { name: t.name, model: t.model, framework: t.framework };
      const th = theoryOf(t.name, t.model);
      if (th.model === 'async') return Object.assign(info, { processes: th.processes });
      return Object.assign(info, { workers: th.workers }, th.threads ? { threads: th.threads } : {});
    }),
    points,
    skipped: plan.skipped,
    crossovers,
    generatedAt: stamp.generatedAt,
    testRunSeconds: stamp.testRunSeconds,
  };
  return Object.assign(result, stamp);
}
