// Run configuration, read from environment variables with the registry's defaults. Pure: it
// takes the environment as a plain object, so k6 passes `__ENV` and Node tests pass literals.
// The k6 script must run without the runner too (docker compose runs `k6 run dist/suite.js`
// with only env set), so nothing here may depend on the runner.

import {
  DEFAULT_HOST,
  SCENARIOS,
  type ScenarioName,
  SERVER_NAMES,
  SERVERS,
  type ServerName,
  STRESS_OPEN_SCENARIO,
} from '../../lib/registry.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** A closed-model scenario from the registry, or the open-model variant of stress. */
export type SuiteScenario = ScenarioName | typeof STRESS_OPEN_SCENARIO;

export interface SuiteConfig {
  readonly urls: Readonly<Record<ServerName, string>>;
  /** W used for the slot plan. When SYNC_WORKERS is unset this is 1 (see `syncWorkersGiven`). */
  readonly syncWorkers: number;
  /**
   * Whether SYNC_WORKERS was given. If not, the plan is built for W = 1, the slowest sync
   * server, so every slot is long enough whatever W turns out to be; the theory then uses
   * the W that express's /health reports in setup().
   */
  readonly syncWorkersGiven: boolean;
  /** Multiplies every delay, slot length and timeout; ratios (and so the theory) are unchanged. */
  readonly timeScale: number;
  readonly scenarios: readonly SuiteScenario[];
  /** Slot length before the time scale, in seconds; a slot is never shorter than six sync cycles. */
  readonly slotSeconds: number;
  readonly resultsDir: string;
  /** Reported in summary.json when the runner passes it (k6 itself cannot tell its version). */
  readonly k6Version: string | undefined;
}

export const DEFAULT_SLOT_SECONDS = 30;
export const DEFAULT_RESULTS_DIR = 'results';
/** Every scenario the suite knows, in run order: the five closed-model ones, then the open variant. */
export const ALL_SCENARIOS: readonly SuiteScenario[] = [
  ...SCENARIOS.map((s) => s.name),
  STRESS_OPEN_SCENARIO,
];

/** The environment variables the suite reads (documented in docs/k6.md). */
export const ENV = {
  syncWorkers: 'SYNC_WORKERS',
  timeScale: 'TIME_SCALE',
  scenarios: 'SCENARIOS',
  slotSeconds: 'SLOT_SECONDS',
  resultsDir: 'RESULTS_DIR',
  k6Version: 'K6_BIN_VERSION',
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

export function defaultUrl(server: ServerName): string {
  return `http://${DEFAULT_HOST}:${SERVERS[server].port}`;
}

export function parseScenarios(raw: string | undefined): SuiteScenario[] {
  if (raw === undefined || raw.trim() === '') return ALL_SCENARIOS.slice();
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

export function readConfig(env: Env): SuiteConfig {
  const urls = {} as Record<ServerName, string>;
  for (const server of SERVER_NAMES) {
    const raw = env[SERVERS[server].urlEnv];
    urls[server] = (raw && raw.trim() !== '' ? raw.trim() : defaultUrl(server)).replace(/\/+$/, '');
  }
  const syncWorkersGiven = env[ENV.syncWorkers] !== undefined && env[ENV.syncWorkers]?.trim() !== '';
  const syncWorkers = positiveNumber(env, ENV.syncWorkers, 1);
  if (!Number.isInteger(syncWorkers)) {
    throw new Error(`${ENV.syncWorkers} must be a whole number, got "${env[ENV.syncWorkers]}"`);
  }
  const rawDir = env[ENV.resultsDir];
  return {
    urls,
    syncWorkers,
    syncWorkersGiven,
    timeScale: positiveNumber(env, ENV.timeScale, 1),
    scenarios: parseScenarios(env[ENV.scenarios]),
    slotSeconds: positiveNumber(env, ENV.slotSeconds, DEFAULT_SLOT_SECONDS),
    resultsDir: (rawDir && rawDir.trim() !== '' ? rawDir.trim() : DEFAULT_RESULTS_DIR).replace(/\/+$/, ''),
    k6Version: env[ENV.k6Version] || undefined,
  };
}
