// The concurrency sweep dashboard: latency, work done and CPU against the number of concurrent
// clients N, for every target of one sweep run (npm run k6:sweep).

import type { Dashboard } from '@grafana/schema';
import { MIN_SLOT_CYCLES } from '../k6/lib/plan.ts';
import { METRICS, SWEEP, TAGS } from '../lib/registry.ts';
import { QUEUE_FACTOR_TEXT } from '../lib/theory.ts';
import { inVariable, MEASURED_IO, perServer, SWEEP_ONLY } from './influxql.ts';
import { DASHBOARD_UIDS } from './names.ts';
import { type ByServerSpec, barsByServer, dashboard, type PanelSpec } from './panels.ts';
import { numericOrder } from './transformations.ts';
import { tagVariable, testidVariable } from './variables.ts';

const SMALL_NUMBERS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
/** A count as prose writes it: in words up to ten, else in digits. */
const inWords = (n: number) => SMALL_NUMBERS[n] ?? String(n);

/**
 * A bar per N and server. The bar chart needs a string x field and draws its categories evenly
 * spaced; the sweep's N (1, 2, 5, 10, 20, ...) climb in near-equal ratios, so the axis is, in
 * effect, logarithmic, each tick labelled with the exact N.
 */
const byClients = (spec: ByServerSpec & { logScale?: boolean }): PanelSpec =>
  barsByServer(spec, TAGS.clients, SWEEP_ONLY, numericOrder(TAGS.clients));

const SWEEP_NOTE = `x: the number of concurrent clients N (closed loop). A sync target stops past ${SWEEP.syncStopDelays} delays of theoretical latency: its bars end there (sweep.json lists the skipped points).`;

const sweepMean = byClients({
  title: 'Mean /io latency vs clients N',
  description: `How does latency grow with concurrency? Mean /io latency per N and server, measured phase only, log scale. Theory: a sync target ${QUEUE_FACTOR_TEXT}·d, an async one d until its own limit. ${SWEEP_NOTE}`,
  unit: 'ms',
  decimals: 0,
  logScale: true,
  w: 12,
  h: 9,
  expression: 'mean("value")',
  measurement: METRICS.httpReqDuration,
  conditions: MEASURED_IO,
});

const sweepP50 = byClients({
  title: 'p50 /io latency vs clients N',
  description: `What does a typical client wait at each N? Median /io latency per N and server, measured phase only, log scale. ${SWEEP_NOTE}`,
  unit: 'ms',
  decimals: 0,
  logScale: true,
  w: 12,
  h: 9,
  expression: 'percentile("value", 50)',
  measurement: METRICS.httpReqDuration,
  conditions: MEASURED_IO,
});

const sweepCompleted = byClients({
  title: 'Completed /io requests per slot vs clients N',
  description: `How much work did each server get done at each N? /io responses completed inside the slot’s measurement window (${METRICS.ioCompleted}), per N and server. A count, not a rate: the window length is not in InfluxDB, so requests per second cannot be derived in InfluxQL (sweep.json has them). Async slots at one N share a window; a sync slot lasts at least ${inWords(MIN_SLOT_CYCLES)} of its cycles, so from about ${MIN_SLOT_CYCLES}·W clients its window is longer and its count is not comparable. ${SWEEP_NOTE}`,
  unit: 'short',
  decimals: 0,
  w: 12,
  h: 9,
  expression: 'sum("value")',
  measurement: METRICS.ioCompleted,
  conditions: [],
});

const sweepServerCpu = byClients({
  title: 'Server CPU vs clients N',
  description: `What does each server spend on CPU at each N? ${METRICS.serverCpuPercent} (all processes, % of one core) averaged over the slot. ${SWEEP_NOTE}`,
  unit: 'percent',
  decimals: 0,
  w: 12,
  h: 9,
  expression: 'mean("value")',
  measurement: METRICS.serverCpuPercent,
  conditions: [],
});

const sweepK6Cpu = byClients({
  title: 'k6 (load generator) CPU vs clients N',
  description: `Is the load generator the bottleneck? k6’s own CPU over each slot’s window (${METRICS.sweepK6CpuPercent}, % of one core), per N and target measured. Near a full core per k6 process, the measured latency includes k6’s own queueing: such points are flagged generator-bound in sweep.json.`,
  unit: 'percent',
  decimals: 0,
  w: 12,
  h: 9,
  expression: 'mean("value")',
  measurement: METRICS.sweepK6CpuPercent,
  conditions: [],
});

const sweepThroughputOverTime: PanelSpec = {
  title: 'Throughput over time: completed /io requests per second',
  description: `The rate behind each point: ${METRICS.ioCompleted} summed per second, one line per server; each slot (one N, one target) is a plateau.`,
  type: 'timeseries',
  unit: 'reqps',
  w: 12,
  h: 9,
  targets: [
    perServer(
      'sum("value")',
      METRICS.ioCompleted,
      [SWEEP_ONLY, inVariable(TAGS.server)],
      ['time(1s)'],
      'fill(none)',
    ),
  ],
};

export function sweepDashboard(): Dashboard {
  return dashboard(
    DASHBOARD_UIDS.sweep,
    'IO benchmark — concurrency sweep',
    'Latency, work done and CPU against the number of concurrent clients N, for every target of one sweep run (npm run k6:sweep).',
    [testidVariable(SWEEP_ONLY), tagVariable(TAGS.server, 'Server', [SWEEP_ONLY])],
    [sweepMean, sweepP50, sweepCompleted, sweepThroughputOverTime, sweepServerCpu, sweepK6Cpu],
  );
}
