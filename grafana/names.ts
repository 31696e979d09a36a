// The names the dashboards share with Grafana's provisioning, the committed files and the tests:
// the datasource, the uids, the variables and the field names the transformations produce.

import type { DataSourceRef } from '@grafana/schema';
import { type Phase, TAGS, TARGET_NAMES, TARGETS, type TargetName } from '../lib/registry.ts';

/** Must equal the uid in grafana/provisioning/datasources/influxdb.yaml. */
export const DATASOURCE = { type: 'influxdb', uid: 'k6-influxdb' } as const satisfies DataSourceRef;

/** The schema version of the pinned Grafana image (docker-compose.yml), so it loads them unmigrated. */
export const SCHEMA_VERSION = 42;

export const DASHBOARD_UIDS = {
  speedup: 'io-bench-speedup',
  cpu: 'io-bench-cpu',
  sweep: 'io-sweep',
} as const;

/** The committed files, relative to the repository root. */
export const DASHBOARD_FILES = {
  speedup: 'grafana/dashboards/io-speedup.json',
  cpu: 'grafana/dashboards/io-cpu.json',
  sweep: 'grafana/dashboards/io-sweep.json',
} as const;

/** The built-in targets the ratio panels cover (fixed field names), in the registry's order. */
export const BUILTIN_TARGETS: readonly TargetName[] = TARGET_NAMES;
/** Whose latency speedups the stat panels average (summary.json: async targets only). */
export const ASYNC_BUILTINS: readonly TargetName[] = TARGET_NAMES.filter((n) => TARGETS[n].model === 'async');

/** Dashboard variables besides the scenario and server tag filters. */
export const VARIABLES = { testid: TAGS.testid, reference: 'reference' } as const;

/** The phase every measured figure is of: after warm-up. */
export const MEASURE: Phase = 'measure';

/** Field names the transformations produce (also what the tests read back). */
export const FIELDS = {
  scenario: TAGS.scenario,
  theory: 'theory',
  /** Per scenario, the mean / the largest latency speedup of the async servers. */
  average: 'average',
  max: 'max',
  /** The reference target's column (whichever target the `reference` variable names). */
  reference: 'reference',
  latency: (target: string) => `${target} latency`,
  completed: (target: string) => `${target} completed`,
  window: (target: string) => `${target} window`,
  rate: (target: string) => `${target} req/s`,
  cpuMs: (target: string) => `${target} cpu ms`,
} as const;
