// Run configuration, read from environment variables with the registry's defaults. Pure: it
// takes the environment as a plain object, so k6 passes `__ENV` and Node tests pass literals.
// The k6 script must run without the runner too (docker compose runs `k6 run dist/suite.js`
// with only env set), so nothing here may depend on the runner.

import {
  MIX,
  SCENARIOS,
  type ScenarioName,
  STRESS_OPEN_SCENARIO,
  SWEEP,
  UPSTREAM,
} from '../../lib/registry.ts';
import { type MixConfig, parseCpuMs } from './mix-plan.ts';
import { parseTargets, pickReference, REFERENCE_ENV, TARGETS_ENV, type Target } from './targets.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** A closed-model scenario from the registry, the open-model variant of stress, or a sweep point. */
export type SuiteScenario =
  | ScenarioName
  | typeof STRESS_OPEN_SCENARIO
  | typeof SWEEP.scenario
  | typeof MIX.scenario;

/** `suite`: the scenarios (npm run k6:stress); `sweep`: the concurrency curve (npm run k6:sweep). */
export type Mode = 'suite' | 'sweep' | 'mix';
/** Every MODE, for readMode's refusal; `mix` is the CPU-per-request sweep (npm run k6:mix). */
const MODES: readonly Mode[] = ['suite', 'sweep', 'mix'];

export interface SweepConfig {
  /** The N of each point, ascending. */
  readonly vus: readonly number[];
  /** The IO delay, before the time scale. */
  readonly delaySeconds: number;
  /** Slot length before the time scale. */
  readonly slotSeconds: number;
  /** URL that reports the load generator's own CPU (the runner serves it); absent: not measured. */
  readonly selfStatsUrl: string | undefined;
}

export interface SuiteConfig {
  readonly mode: Mode;
  readonly sweep: SweepConfig;
  readonly mix: MixConfig;
  /** The servers measured, in measuring order (sync first). */
  readonly targets: readonly Target[];
  /** The sync target every speedup is computed against; null when no sync target is selected. */
  readonly reference: string | null;
  /**
   * W of each sync target for the slot plan: its `workers=` in TARGETS, else SYNC_WORKERS,
   * else 1. Planning for W = 1, the slowest sync server, makes every slot long enough whatever
   * W turns out to be; the theory then uses the W that /health reports in setup().
   */
  readonly workers: Readonly<Record<string, number>>;
  /** The sync targets whose W was given (TARGETS or SYNC_WORKERS): /health must agree. */
  readonly workersGiven: Readonly<Record<string, boolean>>;
  /** Multiplies every delay, slot length and timeout; ratios (and so the theory) are unchanged. */
  readonly timeScale: number;
  readonly scenarios: readonly SuiteScenario[];
  /** Slot length before the time scale, in seconds; a slot is never shorter than six sync cycles. */
  readonly slotSeconds: number;
  readonly resultsDir: string;
  /** The run's id (the `testid` tag of its samples), when the runner or the user gave one. */
  readonly testid: string | undefined;
  /** k6 processes sharing the run (execution segments); 1 for a plain run. */
  readonly instances: number;
  /** SLO_P95_MS: the p95 objective the option recommendation holds targets to; null: 2 × each scenario's delay. */
  readonly sloP95Ms: number | null;
  /** Reported in summary.json when the runner passes it (k6 itself cannot tell its version). */
  readonly k6Version: string | undefined;
  /** The upstream the targets wait on: the suite sets its IO profile per slot and reads its IO usage. */
  readonly upstreamUrl: string | undefined;
}

export const DEFAULT_SLOT_SECONDS = 12;
export const DEFAULT_RESULTS_DIR = 'results';
/** Every scenario the suite knows, in run order: the closed-model ones, then the open variant. */
export const ALL_SCENARIOS: readonly SuiteScenario[] = [
  ...SCENARIOS.map((s) => s.name),
  STRESS_OPEN_SCENARIO,
];
/** What runs when SCENARIOS is not set: the seed's five and the open variant; the IO profiles are opt-in. */
export const DEFAULT_SCENARIOS: readonly SuiteScenario[] = ALL_SCENARIOS.filter(
  (name) => !SCENARIOS.find((s) => s.name === name)?.optIn,
);

/** The environment variables the suite reads (documented in docs/k6.md). */
export const ENV = {
  syncWorkers: 'SYNC_WORKERS',
  timeScale: 'TIME_SCALE',
  scenarios: 'SCENARIOS',
  slotSeconds: 'SLOT_SECONDS',
  resultsDir: 'RESULTS_DIR',
  k6Version: 'K6_BIN_VERSION',
  targets: TARGETS_ENV,
  reference: REFERENCE_ENV,
  mode: 'MODE',
  sweepVus: 'SWEEP_VUS',
  sweepDelay: 'SWEEP_DELAY',
  sweepSlotSeconds: 'SWEEP_SLOT_SECONDS',
  /** The mix sweep: N, d, the c values (ms) and slot length; K, the cores its theory assumes. */
  mixVus: 'MIX_VUS',
  mixDelay: 'MIX_DELAY',
  mixCpuMs: 'MIX_CPU_MS',
  mixSlotSeconds: 'MIX_SLOT_SECONDS',
  cores: 'CORES',
  selfStatsUrl: 'K6_SELF_STATS_URL',
  /** The run's id (also k6's `testid` tag) and how many k6 processes share it. */
  testid: 'TESTID',
  instances: 'K6_INSTANCES',
  sloP95Ms: 'SLO_P95_MS',
  /** This process's `instance` tag (`--instances`); k6-operator tags its runners `instance_id` itself. */
  instance: 'K6_INSTANCE',
  /** The upstream's URL, the same variable the servers read (k6/lib/io-usage.ts). */
  upstreamUrl: UPSTREAM.urlEnv,
} as const;

function positiveNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  }
  return value;
}

function wholeNumber(env: Env, name: string, fallback: number): number {
  const value = positiveNumber(env, name, fallback);
  if (!Number.isInteger(value)) throw new Error(`${name} must be a whole number, got "${env[name]}"`);
  return value;
}

export function parseScenarios(raw: string | undefined): SuiteScenario[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_SCENARIOS.slice();
  const wanted = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = wanted.filter((s) => !ALL_SCENARIOS.includes(s as SuiteScenario));
  if (unknown.length > 0) {
    throw new Error(
      `${ENV.scenarios}: unknown scenario(s) ${unknown.join(', ')}; known: ${ALL_SCENARIOS.join(', ')}`,
    );
  }
  // Run order is always the registry's, whatever order the list was written in.
  return ALL_SCENARIOS.filter((s) => wanted.includes(s));
}

export function parseSweepVus(raw: string | undefined): number[] {
  if (raw === undefined || raw.trim() === '') return SWEEP.vus.slice();
  const values = raw.split(',').map((s) => s.trim());
  const bad = values.filter((v) => !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 100000);
  if (bad.length > 0 || values.length === 0) {
    throw new Error(`${ENV.sweepVus} must list whole numbers of clients from 1 to 100000, got "${raw}"`);
  }
  return [...new Set(values.map(Number))].sort((a, b) => a - b);
}

function readMode(raw: string | undefined): Mode {
  const mode = (raw ?? '').trim() || 'suite';
  if (!MODES.includes(mode as Mode)) throw new Error(`${ENV.mode} must be ${MODES.join(', ')}, got "${raw}"`);
  return mode as Mode;
}

export function readConfig(env: Env): SuiteConfig {
  const mode = readMode(env[ENV.mode]);
  const defaults = mode === 'sweep' ? SWEEP.targets : mode === 'mix' ? MIX.targets : undefined;
  const targets = parseTargets(env[ENV.targets], env, defaults);
  const syncWorkersGiven = env[ENV.syncWorkers] !== undefined && env[ENV.syncWorkers]?.trim() !== '';
  const syncWorkers = positiveNumber(env, ENV.syncWorkers, 1);
  if (!Number.isInteger(syncWorkers)) {
    throw new Error(`${ENV.syncWorkers} must be a whole number, got "${env[ENV.syncWorkers]}"`);
  }
  const workers: Record<string, number> = {};
  const workersGiven: Record<string, boolean> = {};
  for (const t of targets) {
    if (t.model !== 'sync') continue;
    // SYNC_WORKERS is the W of the servers this project starts; a user's own server says its W.
    workers[t.name] = t.workers ?? (t.builtin ? syncWorkers : 1);
    workersGiven[t.name] = t.workers !== undefined || (t.builtin && syncWorkersGiven);
  }
  const rawDir = env[ENV.resultsDir];
  const selfStats = env[ENV.selfStatsUrl];
  return {
    mode,
    sweep: {
      vus: parseSweepVus(env[ENV.sweepVus]),
      delaySeconds: positiveNumber(env, ENV.sweepDelay, SWEEP.delaySeconds),
      slotSeconds: positiveNumber(env, ENV.sweepSlotSeconds, SWEEP.slotSeconds),
      selfStatsUrl: selfStats && selfStats.trim() !== '' ? selfStats.trim() : undefined,
    },
    mix: {
      vus: wholeNumber(env, ENV.mixVus, MIX.vus),
      delaySeconds: positiveNumber(env, ENV.mixDelay, MIX.delaySeconds),
      cpuMs: parseCpuMs(env[ENV.mixCpuMs], ENV.mixCpuMs),
      slotSeconds: positiveNumber(env, ENV.mixSlotSeconds, MIX.slotSeconds),
      cores: env[ENV.cores]?.trim() ? wholeNumber(env, ENV.cores, 1) : undefined,
    },
    targets,
    reference: pickReference(targets, env[ENV.reference]),
    workers,
    workersGiven,
    timeScale: positiveNumber(env, ENV.timeScale, 1),
    scenarios: parseScenarios(env[ENV.scenarios]),
    slotSeconds: positiveNumber(env, ENV.slotSeconds, DEFAULT_SLOT_SECONDS),
    resultsDir: (rawDir && rawDir.trim() !== '' ? rawDir.trim() : DEFAULT_RESULTS_DIR).replace(/\/+$/, ''),
    k6Version: env[ENV.k6Version] || undefined,
    testid: env[ENV.testid]?.trim() || undefined,
    instances: positiveNumber(env, ENV.instances, 1),
    sloP95Ms: env[ENV.sloP95Ms]?.trim() ? positiveNumber(env, ENV.sloP95Ms, 1) : null,
    upstreamUrl: env[ENV.upstreamUrl]?.trim().replace(/\/+$/, '') || undefined,
  };
}

/**
 * Tags every sample of the run carries (k6's `tags` option): `testid`, and `instance` when
 * several k6 processes share the run. Any `--tag` on k6's command line replaces this option
 * as a whole, so a k6-operator TestRun, whose runners always get `--tag instance_id=N`, passes
 * its testid as a `--tag` too (scripts/k6-operator.ts).
 */
export function runTags(env: Env): Record<string, string> {
  const tags: Record<string, string> = {};
  const testid = env[ENV.testid]?.trim();
  if (testid) tags.testid = testid;
  const instance = env[ENV.instance]?.trim();
  if (instance) tags.instance = instance;
  return tags;
}
