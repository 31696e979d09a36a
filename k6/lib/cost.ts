// The cost side of the decision (issue 16, "Memory and cost"): what each target's memory and CPU
// were at every scenario, where a target's CPU filled the cores it can use (so it left the
// theory), and what serving a scenario's N clients at about the IO delay would take in sync
// workers and their memory, against one async process. Pure: it reads the summary's figures
// and asks lib/theory.ts for every formula.

import type { Model } from '../../lib/registry.ts';
import { cpuCapacityCores, cpuCeilingRps, workersToServe } from '../../lib/theory.ts';
import type { ServerFigures } from './figures.ts';

/** A target as the cost figures need it (the summary's TargetInfo fits). */
export interface CostTarget {
  readonly name: string;
  readonly model: Model;
  readonly workers?: number;
  readonly threads?: number;
  readonly processes?: number;
}

/** One scenario's measured figures (the summary's ScenarioResult fits). */
export interface CostScenario {
  readonly name: string;
  readonly vus: number;
  /** The mean time a request waits on its IO, seconds (time scale applied). */
  readonly meanServiceSeconds: number;
  readonly servers: Readonly<Record<string, ServerFigures>>;
}

/**
 * The share of its cores' capacity a target's CPU must fill to count as CPU-bound. Below 1: the
 * cores are shared with k6 and the other processes, so a target at its ceiling rarely shows a
 * full core; 0.8 of it already bends its throughput away from the theory.
 */
export const CPU_BOUND_SHARE = 0.8;

/** A slot whose CPU per request × throughput filled the cores the target can use. */
export interface CpuCeiling {
  readonly scenario: string;
  readonly server: string;
  /** Cores kept busy in the window: CPU per request × throughput. */
  readonly coresBusy: number;
  /** min(P, K) for async, W·T for sync (K is not known to k6: the target's own count). */
  readonly capacityCores: number;
  /** The throughput its CPU allows, requests/s: capacity ÷ CPU per request. */
  readonly ceilingRps: number;
  /** What the report prints beside the slot. */
  readonly text: string;
}

/** Every slot that reached its CPU ceiling. */
export function cpuCeilings(
  targets: readonly CostTarget[],
  scenarios: readonly CostScenario[],
): CpuCeiling[] {
  const out: CpuCeiling[] = [];
  for (const s of scenarios) {
    for (const t of targets) {
      const f = s.servers[t.name];
      if (!f || f.cpuMsPerRequest === null || f.rps === null || !(f.cpuMsPerRequest > 0)) continue;
      const cpuSeconds = f.cpuMsPerRequest / 1000;
      const coresBusy = cpuSeconds * f.rps;
      const capacityCores = cpuCapacityCores(t);
      if (coresBusy < CPU_BOUND_SHARE * capacityCores) continue;
      const ceilingRps = cpuCeilingRps(cpuSeconds, capacityCores);
      out.push({
        scenario: s.name,
        server: t.name,
        coresBusy,
        capacityCores,
        ceilingRps,
        text: `${t.name}: CPU-bound at ${Math.round(ceilingRps)} req/s in ${s.name} (${f.cpuMsPerRequest.toFixed(2)} ms CPU per request × ${Math.round(f.rps)} req/s = ${coresBusy.toFixed(2)} of ${capacityCores} core${capacityCores === 1 ? '' : 's'})`,
      });
    }
  }
  return out;
}

/** RSS (every process, max in the window) of each target at each scenario, bytes. */
export interface MemoryRow {
  readonly scenario: string;
  readonly vus: number;
  readonly rssBytes: Readonly<Record<string, number | null>>;
}

export function memoryRows(targets: readonly CostTarget[], scenarios: readonly CostScenario[]): MemoryRow[] {
  return scenarios.map((s) => {
    const rssBytes: Record<string, number | null> = {};
    for (const t of targets) if (s.servers[t.name]) rssBytes[t.name] = s.servers[t.name]?.rssBytesMax ?? null;
    return { scenario: s.name, vus: s.vus, rssBytes };
  });
}

/** A sync target sized to serve N clients at about d: ⌈N/T⌉ workers, at its measured RSS each. */
export interface SyncCost {
  readonly server: string;
  readonly threads: number;
  readonly workersMeasured: number;
  readonly workersNeeded: number;
  /** Measured RSS ÷ W: the arbiter's (primary's) share is spread over its workers. */
  readonly rssPerWorkerBytes: number | null;
  readonly rssNeededBytes: number | null;
}

/** An async target as measured: its processes and their RSS. */
export interface AsyncCost {
  readonly server: string;
  readonly processes: number;
  readonly rssBytes: number | null;
  readonly rssPerProcessBytes: number | null;
}

/** Which load a figure was measured under: the scenario, its N clients and its mean IO delay, seconds. */
export interface ScenarioLoad {
  readonly scenario: string;
  readonly vus: number;
  readonly delaySeconds: number;
}

export interface WhatItTakes extends ScenarioLoad {
  readonly sync: readonly SyncCost[];
  readonly async: readonly AsyncCost[];
}

/** For one scenario: each sync target scaled to N slots, beside each async target as it ran. */
export function whatItTakes(targets: readonly CostTarget[], s: CostScenario): WhatItTakes {
  const sync: SyncCost[] = [];
  const async: AsyncCost[] = [];
  for (const t of targets) {
    const rss = s.servers[t.name]?.rssBytesMax ?? null;
    if (!s.servers[t.name]) continue;
    if (t.model === 'sync') {
      const threads = t.threads ?? 1;
      const workersMeasured = t.workers ?? 1;
      const workersNeeded = workersToServe(s.vus, threads);
      const rssPerWorkerBytes = rss === null ? null : rss / workersMeasured;
      sync.push({
        server: t.name,
        threads,
        workersMeasured,
        workersNeeded,
        rssPerWorkerBytes,
        rssNeededBytes: rssPerWorkerBytes === null ? null : rssPerWorkerBytes * workersNeeded,
      });
    } else {
      const processes = t.processes ?? 1;
      async.push({
        server: t.name,
        processes,
        rssBytes: rss,
        rssPerProcessBytes: rss === null ? null : rss / processes,
      });
    }
  }
  return { scenario: s.name, vus: s.vus, delaySeconds: s.meanServiceSeconds, sync, async };
}
