// The CPU dashboard: what waiting on IO costs each server in CPU and memory, from the figures the
// suite samples from each server's /stats.

import type { Dashboard } from '@grafana/schema';
import { METRICS, TAGS } from '../lib/registry.ts';
import { inVariable, perServerOverTime, perTargetByScenario } from './influxql.ts';
import { BUILTIN_TARGETS, DASHBOARD_UIDS, FIELDS } from './names.ts';
import { byScenarioAndServer, dashboard, type PanelSpec } from './panels.ts';
import { divide, joinOnScenario, keepOnly } from './transformations.ts';
import { suiteVariables } from './variables.ts';

/** CPU seconds to milliseconds, in the query and in its description alike. */
const MS_PER_SECOND = 1000;

const cpuPercent: PanelSpec = {
  title: 'Server CPU (% of one core) over time',
  description:
    'How busy is each server while it waits on IO? CPU of every process of the server (cluster workers included), sampled from /stats during its slot.',
  type: 'timeseries',
  unit: 'percent',
  w: 12,
  h: 9,
  targets: [perServerOverTime('mean("value")', METRICS.serverCpuPercent, [])],
};

const cpuPerRequest: PanelSpec = {
  title: 'CPU ms per request, by scenario',
  description: `What does one request cost in CPU? CPU seconds spent inside the measurement window (${METRICS.serverCpuSeconds}) ×${MS_PER_SECOND} divided by the /io requests completed in it (${METRICS.ioCompleted}), per scenario and server. Built-in targets only: the two figures are different measurements, which InfluxQL cannot divide per server, so Grafana divides fixed columns.`,
  type: 'barchart',
  unit: 'ms',
  decimals: 3,
  min: 0,
  w: 12,
  h: 9,
  targets: [
    ...perTargetByScenario(
      'cpu_',
      BUILTIN_TARGETS,
      `sum("value") * ${MS_PER_SECOND}`,
      METRICS.serverCpuSeconds,
      [inVariable(TAGS.server)],
      FIELDS.cpuMs,
    ),
    ...perTargetByScenario(
      'completed_',
      BUILTIN_TARGETS,
      'sum("value")',
      METRICS.ioCompleted,
      [inVariable(TAGS.server)],
      FIELDS.completed,
    ),
  ],
  transformations: [
    joinOnScenario(),
    ...BUILTIN_TARGETS.map((target) => divide(FIELDS.cpuMs(target), FIELDS.completed(target), target)),
    ...keepOnly([FIELDS.scenario, ...BUILTIN_TARGETS]),
  ],
};

const cpuSeconds: PanelSpec = byScenarioAndServer({
  title: 'CPU seconds per slot, by scenario',
  description: `How much CPU did each server burn in its measurement window? ${METRICS.serverCpuSeconds} summed per scenario and server (every target of the run).`,
  unit: 's',
  decimals: 2,
  w: 12,
  h: 8,
  expression: 'sum("value")',
  measurement: METRICS.serverCpuSeconds,
  conditions: [],
});

const rss: PanelSpec = {
  title: 'Resident memory (RSS)',
  description: 'What does each server hold in memory? RSS of all its processes, from /stats.',
  type: 'timeseries',
  unit: 'bytes',
  w: 12,
  h: 8,
  targets: [perServerOverTime('max("value")', METRICS.serverRssBytes, [])],
};

const inFlight: PanelSpec = {
  title: 'Requests in flight',
  description:
    'How many requests is the server holding? On a sync target this includes connections queued for a busy worker: the queue the theory predicts.',
  type: 'timeseries',
  unit: 'none',
  w: 12,
  h: 8,
  targets: [perServerOverTime('max("value")', METRICS.serverInFlight, [])],
};

export function cpuDashboard(): Dashboard {
  return dashboard(
    DASHBOARD_UIDS.cpu,
    'IO benchmark — CPU',
    'What does waiting on IO cost each server in CPU and memory? Server-side figures sampled by the k6 suite from each server’s /stats, for one run (testid).',
    suiteVariables(false),
    [cpuPercent, cpuPerRequest, cpuSeconds, rss, inFlight],
  );
}
