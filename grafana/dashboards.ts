// The three Grafana dashboards, built from the registry's metric, tag and target names so a rename
// cannot leave a panel silently empty. `npm run dashboards:build` writes them to
// grafana/dashboards/*.json (what Grafana provisions); a test fails when the committed JSON
// differs from what these modules build. By layer:
// - names.ts: the datasource, uids, files, variables and field names shared with the tests;
// - influxql.ts: the InfluxQL filters and query builders;
// - transformations.ts: the Grafana transformations, typed;
// - recommendation.ts: the migration matrix as colours, mappings and words;
// - panels.ts and variables.ts: panel JSON, grid layout, the dashboard, its template variables;
// - speedup.ts, cpu.ts, sweep.ts: one dashboard each.
//
// Two kinds of per-server panel:
// - Panels that show a figure per scenario (or per N) and server read whatever `server` tag
//   values the run has, user targets included: one time-series query grouped by the tags, and
//   `joinByLabels` turns its series into one row per scenario with a column per server.
// - Ratio panels (speedup over the reference, CPU per request) cover the built-in targets only.
//   InfluxQL cannot divide one tag value's series by another's (express latency / koa latency),
//   so Grafana does it, and its transformations need fixed field names: one table query per
//   built-in target, grouped by scenario and aliased with the target's name; `joinByField` on
//   scenario puts them side by side; `calculateField` (binary) divides the columns;
//   `filterFieldsByName` and `organize` keep the scenario, the ratios and the theory, in that
//   order. A target without data has no column, its ratio is not calculated (Grafana returns the
//   frame unchanged), and its bars stay empty.
//
// Every query is filtered by the run (`testid`, a single-value variable defaulting to the newest
// run), so two runs in one time range never mix.

import type { Dashboard } from '@grafana/schema';
import { cpuDashboard } from './cpu.ts';
import type { DASHBOARD_FILES } from './names.ts';
import { speedupDashboard } from './speedup.ts';
import { sweepDashboard } from './sweep.ts';

export type { InfluxTarget } from './influxql.ts';
export { MEASURED_ROUTES } from './influxql.ts';
export {
  ASYNC_BUILTINS,
  BUILTIN_TARGETS,
  DASHBOARD_FILES,
  DASHBOARD_UIDS,
  DATASOURCE,
  FIELDS,
  SCHEMA_VERSION,
  VARIABLES,
} from './names.ts';
export { PANEL_TYPES } from './panels.ts';
export { recommendationMappings } from './recommendation.ts';
export type * from './transformations.ts';
export { cpuDashboard, speedupDashboard, sweepDashboard };

export function buildDashboards(): Record<keyof typeof DASHBOARD_FILES, Dashboard> {
  return { speedup: speedupDashboard(), cpu: cpuDashboard(), sweep: sweepDashboard() };
}

/** The committed form: two-space JSON with a final newline. */
export function serialize(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
