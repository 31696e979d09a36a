// What a run was, written into the samples themselves: setup() emits one `run_info` point
// whose `config` tag holds the environment that reproduces the run's plan, and whose
// `workers` tag holds W as each sync target's /health reported it. `npm run report` reads it
// back to rebuild the plan and the summary from InfluxDB alone (the k6 processes of a
// distributed run leave no other common record).

import { TAGS } from '../../lib/registry.ts';
import { withoutHeaderValues } from './black-box.ts';
import { ENV, type Env, type SuiteConfig } from './config.ts';
import { formatTargets, type Target } from './targets.ts';

/**
 * The tags that name a sample's load generator: the suite's own `instance` (`--instances`
 * numbers its processes 1..n), or `instance_id`, which k6-operator gives runner N of n with
 * the Nth execution segment: the same numbers for the same slices, so the report's per-slot
 * checks hold for both. A run carries one of the two.
 */
export const INSTANCE_TAGS = [TAGS.instance, 'instance_id'] as const;

/** The load generator a sample's tags name, if any. */
export function instanceOf(tags: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const key of INSTANCE_TAGS) if (tags[key]) return tags[key];
  return undefined;
}

/**
 * Where one k6 process of the runner runs: what k6 itself needs beyond the plan. Given, the
 * header values stay in TARGETS (k6 sends them); without it the environment is the record
 * of the run (run_info), which keeps them out.
 */
export interface K6Place {
  readonly testid: string;
  readonly resultsDir: string;
  /** 1-based, when several k6 processes share the run. */
  readonly instance?: number;
}

/**
 * The environment that makes readConfig() return this configuration again: the one writer of
 * k6's environment, for the runner (with `place`), the operator and the run's record.
 */
export function runEnv(config: SuiteConfig, instances: number, place?: K6Place): Record<string, string> {
  const env: Record<string, string> = {
    [ENV.mode]: config.mode,
    [ENV.targets]: formatTargets(
      config.targets
        .map(place ? (t: Target) => t : withoutHeaderValues)
        .map((t) =>
          t.model === 'sync' && config.workersGiven[t.name]
            ? Object.assign({}, t, { workers: config.workers[t.name] })
            : t,
        ),
    ),
    [ENV.scenarios]: config.scenarios.join(','),
    [ENV.timeScale]: String(config.timeScale),
    [ENV.slotSeconds]: String(config.slotSeconds),
    [ENV.sweepVus]: config.sweep.vus.join(','),
    [ENV.sweepDelay]: String(config.sweep.delaySeconds),
    [ENV.sweepSlotSeconds]: String(config.sweep.slotSeconds),
    [ENV.mixVus]: String(config.mix.vus),
    [ENV.mixDelay]: String(config.mix.delaySeconds),
    [ENV.mixCpuMs]: config.mix.cpuMs.join(','),
    [ENV.mixSlotSeconds]: String(config.mix.slotSeconds),
    [ENV.instances]: String(instances),
  };
  if (config.reference) env[ENV.reference] = config.reference;
  // Only whether it was there matters to the plan (its thresholds list k6's own CPU).
  if (config.sweep.selfStatsUrl) env[ENV.selfStatsUrl] = config.sweep.selfStatsUrl;
  if (config.k6Version) env[ENV.k6Version] = config.k6Version;
  if (config.mix.cores !== undefined) env[ENV.cores] = String(config.mix.cores);
  // Whether the upstream's IO was accounted: the rebuild then reads its usage metrics too.
  if (config.upstreamUrl) env[ENV.upstreamUrl] = config.upstreamUrl;
  if (place) {
    env[ENV.testid] = place.testid;
    env[ENV.resultsDir] = place.resultsDir;
    if (place.instance !== undefined) env[ENV.instance] = String(place.instance);
  }
  return env;
}

/**
 * A run id that sorts by time, as k6's testid convention suggests: 20261127-101500. The default
 * testid of the runner and of k6-operator runs.
 */
export function newTestid(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export function parseRunEnv(raw: string): Env {
  const value = JSON.parse(raw) as unknown;
  if (typeof value !== 'object' || value === null) throw new Error('run_info config is not an object');
  return value as Env;
}
