// The speedup dashboard: the ratios over the reference (built-in targets), then the figures per
// scenario and server and over time (every target of the run, user targets included).

import type { Dashboard } from '@grafana/schema';
import { METRICS, STRESS_OPEN_SCENARIO, TAGS } from '../lib/registry.ts';
import { QUEUE_FACTOR_TEXT } from '../lib/theory.ts';
import {
  CLOSED_MODEL,
  is,
  MEASURED_IO,
  MEASURED_ROUTES,
  perServerOverTime,
  perTargetByScenario,
  referenceByScenario,
  select,
  seriesTarget,
  theoryTarget,
} from './influxql.ts';
import { ASYNC_BUILTINS, BUILTIN_TARGETS, DASHBOARD_UIDS, FIELDS, MEASURE, VARIABLES } from './names.ts';
import { byScenarioAndServer, dashboard, type PanelSpec } from './panels.ts';
import { recommendationColorBands, recommendationLabelBands } from './recommendation.ts';
import { divide, joinOnScenario, keepOnly, reduceRow, type StatCalc } from './transformations.ts';
import { suiteVariables } from './variables.ts';

const REFERENCE = `$${VARIABLES.reference}`;

// --- Ratios over the reference (built-in targets) -----------------------------------------------

const referenceLatency = (conditions: string[]) =>
  referenceByScenario(
    'latency_reference',
    'mean("value")',
    METRICS.httpReqDuration,
    conditions,
    FIELDS.latency(FIELDS.reference),
  );

const builtinLatencies = (targets: readonly string[], conditions: string[], compared: boolean) =>
  perTargetByScenario(
    'latency_',
    targets,
    'mean("value")',
    METRICS.httpReqDuration,
    conditions,
    FIELDS.latency,
    compared,
  );

const latencyRatios = (targets: readonly string[]) =>
  targets.map((target) => divide(FIELDS.latency(FIELDS.reference), FIELDS.latency(target), target));

/** The latency speedup of every async built-in per closed-model scenario, reduced per row. */
function speedupStat(title: string, description: string, calc: StatCalc, recommendation = false): PanelSpec {
  const field = calc === 'mean' ? FIELDS.average : FIELDS.max;
  const conditions = [...MEASURED_IO, CLOSED_MODEL];
  return {
    title,
    description,
    type: 'stat',
    unit: recommendation ? 'none' : 'suffix:×',
    decimals: 2,
    w: 8,
    h: 5,
    stat: { calc, recommendation },
    targets: [referenceLatency(conditions), ...builtinLatencies(ASYNC_BUILTINS, conditions, false)],
    transformations: [
      joinOnScenario(),
      ...latencyRatios(ASYNC_BUILTINS),
      reduceRow([...ASYNC_BUILTINS], calc, field),
      { id: 'filterFieldsByName', options: { include: { names: [FIELDS.scenario, field] } } },
    ],
  };
}

const ASYNC_LIST = ASYNC_BUILTINS.join(', ');

const averageSpeedup = speedupStat(
  'Average latency speedup',
  `The one-number answer: the latency speedup over the reference (${REFERENCE}), averaged over every async built-in target (${ASYNC_LIST}) and closed-model scenario shown (summary.json averageSpeedup). Its colour is the migration matrix: ${recommendationColorBands()}.`,
  'mean',
);
const recommendation = speedupStat(
  'Migration recommendation',
  `The seed’s decision matrix applied to the average latency speedup: ${recommendationLabelBands()} (summary.json recommendation).`,
  'mean',
  true,
);
const maxSpeedup = speedupStat(
  'Largest latency speedup',
  `The best case: the largest latency speedup over the reference of any async built-in target (${ASYNC_LIST}) in any closed-model scenario shown (summary.json maxSpeedup).`,
  'max',
);

const BUILTIN_NOTE =
  'Built-in targets only (InfluxQL cannot divide one server’s series by another’s, so Grafana divides fixed columns); a target the run did not measure has no bar. Ignores the server filter: it needs the reference.';

const latencySpeedup: PanelSpec = {
  title: 'Latency speedup over the reference, by scenario',
  description: `How much faster is each target than the reference (${REFERENCE})? Mean /io latency of the reference divided by the target’s, measured phase only, beside the theory ${QUEUE_FACTOR_TEXT} of the run’s reference. 1 means no gain. ${BUILTIN_NOTE}`,
  type: 'barchart',
  unit: 'suffix:×',
  decimals: 2,
  min: 0,
  w: 12,
  h: 9,
  targets: [
    referenceLatency(MEASURED_IO),
    ...builtinLatencies(BUILTIN_TARGETS, MEASURED_IO, true),
    theoryTarget(),
  ],
  transformations: [
    joinOnScenario(),
    ...latencyRatios(BUILTIN_TARGETS),
    ...keepOnly([FIELDS.scenario, ...BUILTIN_TARGETS, FIELDS.theory]),
  ],
};

const throughputSpeedup: PanelSpec = {
  title: 'Throughput speedup over the reference, by scenario',
  description: `How many more requests per second does each target complete than the reference (${REFERENCE})? /io responses completed inside the measurement window (${METRICS.ioCompleted}) over that window's length (${METRICS.slotWindowSeconds}: each slot is sized from its own target), the target's divided by the reference's, beside the theory. ${BUILTIN_NOTE}`,
  type: 'barchart',
  unit: 'suffix:×',
  decimals: 2,
  min: 0,
  w: 12,
  h: 9,
  targets: [
    referenceByScenario(
      'completed_reference',
      'sum("value")',
      METRICS.ioCompleted,
      [],
      FIELDS.completed(FIELDS.reference),
    ),
    ...perTargetByScenario(
      'completed_',
      BUILTIN_TARGETS,
      'sum("value")',
      METRICS.ioCompleted,
      [],
      FIELDS.completed,
      true,
    ),
    referenceByScenario(
      'window_reference',
      'last("value")',
      METRICS.slotWindowSeconds,
      [],
      FIELDS.window(FIELDS.reference),
    ),
    ...perTargetByScenario(
      'window_',
      BUILTIN_TARGETS,
      'last("value")',
      METRICS.slotWindowSeconds,
      [],
      FIELDS.window,
      true,
    ),
    theoryTarget(),
  ],
  transformations: [
    joinOnScenario(),
    ...[FIELDS.reference, ...BUILTIN_TARGETS].map((target) =>
      divide(FIELDS.completed(target), FIELDS.window(target), FIELDS.rate(target)),
    ),
    ...BUILTIN_TARGETS.map((target) => divide(FIELDS.rate(target), FIELDS.rate(FIELDS.reference), target)),
    ...keepOnly([FIELDS.scenario, ...BUILTIN_TARGETS, FIELDS.theory]),
  ],
};

// --- Per scenario and server, and over time: every target of the run ---------------------------

function latencyPercentile(percentile: number): PanelSpec {
  return byScenarioAndServer({
    title: `p${percentile} latency by scenario`,
    description: `What does a client wait, at the ${percentile}th percentile? /io request duration per scenario and server (every target of the run), measured phase only. The IO delay alone is the floor; sync queueing shows above it.`,
    unit: 'ms',
    decimals: 0,
    w: 8,
    h: 9,
    expression: `percentile("value", ${percentile})`,
    measurement: METRICS.httpReqDuration,
    conditions: MEASURED_IO,
  });
}

function ttftPercentile(percentile: number): PanelSpec {
  return byScenarioAndServer({
    title: `Time to first token p${percentile}, by stream scenario`,
    description: `Streamed answers: how long until the first token arrives, at the ${percentile}th percentile? ${METRICS.streamTtft} (k6’s time to first byte of a /stream request) per stream scenario and server, measured phase only. Empty when the run has no stream scenario (npm run k6:stream).`,
    unit: 'ms',
    decimals: 0,
    w: 8,
    h: 8,
    expression: `percentile("value", ${percentile})`,
    measurement: METRICS.streamTtft,
    conditions: [is(TAGS.phase, MEASURE)],
  });
}

const tokensPerSecond: PanelSpec = {
  title: 'Tokens per second (streams)',
  description: `How fast does each server stream tokens? ${METRICS.streamTokens} (server-sent events received by responses completed inside the measurement window) summed per second, one line per server. Empty when the run has no stream scenario.`,
  type: 'timeseries',
  unit: 'suffix: tokens/s',
  w: 8,
  h: 8,
  targets: [perServerOverTime('sum("value")', METRICS.streamTokens, [], '1s')],
};

const throughputOverTime: PanelSpec = {
  title: 'Throughput: completed /io requests per second',
  description: `How fast is each server answering right now? ${METRICS.ioCompleted} summed per second, one line per server; the slots run one after another.`,
  type: 'timeseries',
  unit: 'reqps',
  w: 12,
  h: 8,
  targets: [perServerOverTime('sum("value")', METRICS.ioCompleted, [], '1s')],
};

const latencyOverTime: PanelSpec = {
  title: 'p95 /io latency over time',
  description:
    'Does latency hold steady through a slot? p95 of /io request duration, all phases, per server.',
  type: 'timeseries',
  unit: 'ms',
  w: 12,
  h: 8,
  targets: [perServerOverTime('percentile("value", 95)', METRICS.httpReqDuration, [MEASURED_ROUTES])],
};

const errorRate: PanelSpec = byScenarioAndServer({
  title: 'Error rate by scenario',
  description: `Did any server fail requests? Share of failed /io requests (${METRICS.httpReqFailed}) per scenario and server, warm-up included, as summary.json counts them. Should be 0: a non-zero bar makes the speedup beside it suspect (${STRESS_OPEN_SCENARIO} is expected to fail on a sync target: its clients time out).`,
  unit: 'percentunit',
  decimals: 1,
  w: 12,
  h: 8,
  expression: 'mean("value")',
  measurement: METRICS.httpReqFailed,
  conditions: [MEASURED_ROUTES],
});

const vus: PanelSpec = {
  title: 'Virtual users',
  description:
    'How many clients are looping right now? k6 active VUs of the run (not tagged by scenario or server: the slots show as steps; with several load generators, the largest).',
  type: 'timeseries',
  unit: 'none',
  w: 12,
  h: 8,
  targets: [
    seriesTarget('A', select('max("value")', METRICS.vus, [], ['time($__interval)'], 'fill(none)'), 'VUs'),
  ],
};

export function speedupDashboard(): Dashboard {
  return dashboard(
    DASHBOARD_UIDS.speedup,
    'IO benchmark — speedup',
    'How much faster is an async server than a sync one when every request waits on IO? One run (testid) of the k6 suite (`--out influxdb`).',
    suiteVariables(true),
    [
      averageSpeedup,
      recommendation,
      maxSpeedup,
      latencySpeedup,
      throughputSpeedup,
      latencyPercentile(50),
      latencyPercentile(95),
      latencyPercentile(99),
      throughputOverTime,
      latencyOverTime,
      errorRate,
      vus,
      ttftPercentile(50),
      ttftPercentile(95),
      tokensPerSecond,
    ],
  );
}
