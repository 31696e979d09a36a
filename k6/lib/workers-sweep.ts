// The worker sweep (issue 16, "Memory and cost"): the sync targets measured at W = 1, 2, 4 ...
// workers under one scenario's N clients, each W in a run of its own (see scripts/k6-workers.ts),
// gathered here into results/workers.json: latency, throughput, CPU and RSS against W beside the
// theory, how many workers it takes to reach the async latency, and where more stop helping.
// Pure: it reads the summaries of the runs.

import { theoryLatencySeconds, theoryThroughput } from '../../lib/theory.ts';
import type { ScenarioLoad } from './cost.ts';
import type { Summary } from './summary.ts';

/** W = 1, 2, 4, 8, 16, 32 unless WORKERS_SWEEP names others. */
export const DEFAULT_WORKERS_SWEEP = [1, 2, 4, 8, 16, 32] as const;
/** --smoke: three points, enough to see the curve bend at the smoke's N. */
export const SMOKE_WORKERS_SWEEP = [1, 4, 16] as const;
/** A doubling of W that adds less than this share of throughput no longer helps. */
export const HELPS_MIN_GAIN = 0.1;
/** p50 within this share of the async p50 (or of d without an async target) counts as reached. */
export const REACHED_TOLERANCE = 0.1;

export function parseWorkersSweep(raw: string | undefined, smoke: boolean): number[] {
  if (!raw || raw.trim() === '') return [...(smoke ? SMOKE_WORKERS_SWEEP : DEFAULT_WORKERS_SWEEP)];
  const values = raw.split(',').map((v) => v.trim());
  const bad = values.find((v) => !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 256);
  if (bad !== undefined) throw new Error(`WORKERS_SWEEP: '${bad}' is not a worker count from 1 to 256`);
  return [...new Set(values.map(Number))].sort((a, b) => a - b);
}

export interface WorkersPoint {
  readonly workers: number;
  readonly threads: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly rps: number | null;
  readonly cpuMsPerRequest: number | null;
  readonly cpuPercentAvg: number | null;
  readonly rssBytesMax: number | null;
  readonly errorRate: number | null;
  /** The theory at this W: max(1, N/(W·T))·d and min(N, W·T)/d. */
  readonly theoryP50Ms: number;
  readonly theoryRps: number;
}

export interface WorkersTarget {
  readonly name: string;
  readonly points: readonly WorkersPoint[];
  /** The fewest workers whose p50 came within 10% of the async p50 (of d without one). */
  readonly reachesAsyncAt: number | null;
  /** The last W that still paid: the next one added less than 10% throughput. */
  readonly stopsHelpingAfter: number | null;
  readonly note: string;
}

export interface WorkersSweep extends ScenarioLoad {
  readonly sweep: readonly number[];
  readonly targets: readonly WorkersTarget[];
  /** The async targets measured beside them (their figures from the run at the largest W). */
  readonly async: readonly {
    readonly name: string;
    readonly p50: number | null;
    readonly rps: number | null;
    readonly rssBytesMax: number | null;
  }[];
  readonly generatedAt: string;
  /** The W at which the sweep stopped, when a run could not measure it (its servers did not start). */
  readonly stopped?: { readonly workers: number; readonly reason: string };
}

export interface WorkersRun {
  readonly workers: number;
  readonly summary: Summary;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

function verdict(name: string, points: readonly WorkersPoint[], vus: number, target: number): WorkersTarget {
  const reached = points.find((p) => p.p50 !== null && p.p50 <= target * (1 + REACHED_TOLERANCE));
  let stops: WorkersPoint | null = null;
  let next: WorkersPoint | null = null;
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1], points[i]];
    if (!a || !b || a.rps === null || b.rps === null) continue;
    if (b.rps < a.rps * (1 + HELPS_MIN_GAIN)) {
      [stops, next] = [a, b];
      break;
    }
  }
  const parts = [
    reached
      ? `reaches the async latency (p50 ${Math.round(reached.p50 ?? 0)} ms) at W = ${reached.workers}`
      : `never reaches the async latency (${Math.round(target)} ms) up to W = ${points[points.length - 1]?.workers ?? 0}`,
  ];
  if (stops && next && stops.rps !== null && next.rps !== null) {
    const why =
      stops.workers * stops.threads >= vus
        ? `every one of the ${vus} clients already has a worker`
        : `CPU ${Math.round(next.cpuPercentAvg ?? 0)}% of a core, ${(next.cpuMsPerRequest ?? 0).toFixed(2)} ms per request`;
    parts.push(
      `more workers stop helping past W = ${stops.workers} (W = ${next.workers} adds ${pct(next.rps / stops.rps - 1)} throughput; ${why})`,
    );
  }
  return {
    name,
    points,
    reachesAsyncAt: reached?.workers ?? null,
    stopsHelpingAfter: stops?.workers ?? null,
    note: `${name}: ${parts.join('; ')}`,
  };
}

/** The runs (one per W, every one with the same scenario) as workers.json. */
export function buildWorkersSweep(runs: readonly WorkersRun[], scenario: string, now: Date): WorkersSweep {
  const sorted = [...runs].sort((a, b) => a.workers - b.workers);
  const first = sorted[0]?.summary.scenarios.find((s) => s.name === scenario);
  if (!first) throw new Error(`worker sweep: no run measured the ${scenario} scenario`);
  const d = first.meanServiceSeconds;
  const syncNames = sorted[0]?.summary.targets.filter((t) => t.model === 'sync').map((t) => t.name) ?? [];
  const last = sorted[sorted.length - 1]?.summary;
  const asyncFigures = (last?.targets ?? [])
    .filter((t) => t.model === 'async')
    .map((t) => {
      const f = last?.scenarios.find((s) => s.name === scenario)?.servers[t.name];
      return { name: t.name, p50: f?.p50 ?? null, rps: f?.rps ?? null, rssBytesMax: f?.rssBytesMax ?? null };
    });
  const asyncP50 = Math.min(...asyncFigures.map((a) => a.p50 ?? Number.POSITIVE_INFINITY));
  const goal = Number.isFinite(asyncP50) ? asyncP50 : d * 1000;
  const targets = syncNames.map((name) => {
    const points = sorted.flatMap(({ workers, summary }) => {
      const info = summary.targets.find((t) => t.name === name);
      const f = summary.scenarios.find((s) => s.name === scenario)?.servers[name];
      if (!f) return [];
      const threads = info?.threads ?? 1;
      const theory = { model: 'sync' as const, workers: info?.workers ?? workers, threads };
      const load = { clients: first.vus, ioSeconds: d };
      return [
        {
          workers: info?.workers ?? workers,
          threads,
          p50: f.p50,
          p95: f.p95,
          rps: f.rps,
          cpuMsPerRequest: f.cpuMsPerRequest,
          cpuPercentAvg: f.cpuPercentAvg,
          rssBytesMax: f.rssBytesMax,
          errorRate: f.errorRate,
          theoryP50Ms: theoryLatencySeconds(theory, load) * 1000,
          theoryRps: theoryThroughput(theory, load),
        },
      ];
    });
    return verdict(name, points, first.vus, goal);
  });
  return {
    scenario,
    vus: first.vus,
    delaySeconds: d,
    sweep: sorted.map((r) => r.workers),
    targets,
    async: asyncFigures,
    generatedAt: now.toISOString(),
  };
}
