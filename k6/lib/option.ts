// A recommendation that names the option (issue 16): beside the seed's matrix label (average
// speedup), which measured target is the cheapest to keep p95 within a service-level objective
// at each scenario, and up to which N a sync target (more workers, threads) is enough. Pure
// rules over the summary's figures, so they are tested on synthetic data.

import type { CostScenario, CostTarget, CpuCeiling } from './cost.ts';

/** The SLO is this multiple of the scenario's IO delay unless SLO_P95_MS names one. */
export const SLO_DELAY_MULTIPLE = 2;
/** A target whose error rate is above this does not meet the SLO, whatever its p95. */
export const SLO_MAX_ERROR_RATE = 0.01;

/** p95 objective of a scenario, ms: the one given, else 2 × its mean IO delay. */
export const sloMs = (s: CostScenario, given: number | null | undefined): number =>
  given ?? SLO_DELAY_MULTIPLE * s.meanServiceSeconds * 1000;

/** How a target is named in a recommendation: its size is part of the option. */
export function optionLabel(t: CostTarget): string {
  if (t.model === 'sync') {
    const w = t.workers ?? 1;
    return t.threads && t.threads > 1
      ? `${t.name} (${w} × ${t.threads} threads)`
      : `${t.name} (${w} worker${w === 1 ? '' : 's'})`;
  }
  return t.processes && t.processes > 1 ? `${t.name} (${t.processes} processes)` : t.name;
}

export interface ScenarioOption {
  readonly scenario: string;
  readonly vus: number;
  readonly sloP95Ms: number;
  /** Targets whose p95 met the SLO (and whose errors stayed under 1%), cheapest first. */
  readonly meeting: readonly string[];
  /** The cheapest of them: fewest CPU-seconds per request, then lowest RSS; null if none. */
  readonly cheapest: string | null;
}

export interface OptionRecommendation {
  readonly sloP95Ms: number | null;
  readonly sloRule: string;
  readonly scenarios: readonly ScenarioOption[];
  /** The sync target that meets the SLO up to the largest N (every scenario up to it), if any. */
  readonly sync: { readonly server: string; readonly upToVus: number } | null;
  readonly text: string;
}

const meets = (s: CostScenario, name: string, slo: number): boolean => {
  const f = s.servers[name];
  return Boolean(f && f.p95 !== null && f.p95 <= slo && (f.errorRate ?? 0) <= SLO_MAX_ERROR_RATE);
};

/** Cheapest first: CPU per request (unmeasured last), then RSS (unmeasured last), then name. */
function byCost(s: CostScenario): (a: string, b: string) => number {
  const key = (n: string, k: 'cpuMsPerRequest' | 'rssBytesMax') =>
    s.servers[n]?.[k] ?? Number.POSITIVE_INFINITY;
  return (a, b) =>
    key(a, 'cpuMsPerRequest') - key(b, 'cpuMsPerRequest') ||
    key(a, 'rssBytesMax') - key(b, 'rssBytesMax') ||
    a.localeCompare(b);
}

export function scenarioOption(
  targets: readonly CostTarget[],
  s: CostScenario,
  given?: number | null,
): ScenarioOption {
  const slo = sloMs(s, given);
  const meeting = targets
    .map((t) => t.name)
    .filter((n) => meets(s, n, slo))
    .sort(byCost(s));
  return { scenario: s.name, vus: s.vus, sloP95Ms: slo, meeting, cheapest: meeting[0] ?? null };
}

/** The largest N up to which a target meets the SLO at every scenario with that many clients or fewer. */
export function metUpTo(name: string, options: readonly ScenarioOption[]): number {
  const failing = Math.min(...options.filter((o) => !o.meeting.includes(name)).map((o) => o.vus));
  return Math.max(0, ...options.filter((o) => o.vus < failing).map((o) => o.vus));
}

const verb = (names: readonly string[]): string => (names.length === 1 ? 'does' : 'do');
const list = (names: readonly string[]): string =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;

/**
 * The rules: the sync target that meets the SLO up to the largest N is the option short of a
 * migration ("... meets the SLO up to N = 20; above, only the async targets do"); where no
 * async target meets it either and an async one was CPU-bound, async gains nothing there.
 */
export function recommendOption(
  targets: readonly CostTarget[],
  scenarios: readonly CostScenario[],
  ceilings: readonly CpuCeiling[],
  given?: number | null,
): OptionRecommendation {
  const options = scenarios.map((s) => scenarioOption(targets, s, given));
  const label = (n: string) => optionLabel(targets.find((t) => t.name === n) ?? { name: n, model: 'async' });
  const maxVus = Math.max(0, ...options.map((o) => o.vus));
  let sync: OptionRecommendation['sync'] = null;
  for (const t of targets.filter((x) => x.model === 'sync')) {
    const upTo = metUpTo(t.name, options);
    if (upTo > 0 && (!sync || upTo > sync.upToVus)) sync = { server: t.name, upToVus: upTo };
  }
  const parts: string[] = [];
  const asyncNames = targets.filter((t) => t.model === 'async').map((t) => t.name);
  if (options.length === 0) parts.push('no closed-model scenario measured');
  else if (!sync) {
    const anyAsync = asyncNames.filter((n) => options.some((o) => o.meeting.includes(n)));
    parts.push(
      `no sync target meets the SLO at any measured N${anyAsync.length ? `; ${list(anyAsync.map(label))} ${verb(anyAsync)}` : ''}`,
    );
  } else if (sync.upToVus >= maxVus) {
    parts.push(
      `${label(sync.server)} meets the SLO at every measured N (up to ${maxVus}): no migration needed for it`,
    );
  } else {
    const above = options.filter((o) => o.vus > sync.upToVus);
    const asyncAbove = asyncNames.filter((n) => above.every((o) => o.meeting.includes(n)));
    parts.push(
      `${label(sync.server)} meets the SLO up to N = ${sync.upToVus}; above, ${
        asyncAbove.length
          ? `only ${list(asyncAbove.map(label))} ${verb(asyncAbove)}`
          : 'no measured target does at every N'
      }`,
    );
  }
  for (const o of options) {
    if (o.meeting.some((n) => asyncNames.includes(n))) continue;
    const bound = ceilings.filter((c) => c.scenario === o.scenario && asyncNames.includes(c.server));
    if (bound.length)
      parts.push(
        `CPU-bound at N = ${o.vus} (${o.scenario}): async gains nothing there (${list(bound.map((c) => `${c.server} at ${Math.round(c.ceilingRps)} req/s`))})`,
      );
  }
  const cheapest = options.filter((o) => o.cheapest).map((o) => `${o.scenario} ${o.cheapest}`);
  if (cheapest.length) parts.push(`cheapest meeting it (CPU per request, then RSS): ${cheapest.join(', ')}`);
  return {
    sloP95Ms: given ?? null,
    sloRule: given ? `p95 ≤ ${given} ms` : `p95 ≤ ${SLO_DELAY_MULTIPLE} × the IO delay`,
    scenarios: options,
    sync,
    text: `${given ? `SLO p95 ≤ ${given} ms` : `SLO p95 ≤ ${SLO_DELAY_MULTIPLE} × d`}: ${parts.join('; ')}`,
  };
}
