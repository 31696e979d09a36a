// The three Grafana dashboards, built from the registry's metric, tag and target names so a rename
// cannot leave a panel silently empty. `npm run dashboards:build` writes them to
// grafana/dashboards/*.json (what Grafana provisions); a test fails when the committed JSON
// differs from what this module builds.
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
//   frame unchanged), and its bars stay empty. Tables are joined in `outerTabular` mode because
//   the key is a string (the time-series `outer` join sorts keys as numbers).
//
// Every query is filtered by the run (`testid`, a single-value variable defaulting to the newest
// run), so two runs in one time range never mix.

import type {
  Dashboard,
  DataSourceRef,
  DataTransformerConfig,
  FieldColorModeId,
  FieldConfigSource,
  Panel,
  ThresholdsMode,
  ValueMapping,
  VariableModel,
} from '@grafana/schema';
import {
  DEFAULT_REFERENCE,
  METRICS,
  type Phase,
  RECOMMENDATIONS,
  REQUEST_NAMES,
  STRESS_OPEN_SCENARIO,
  SWEEP,
  TAGS,
  TARGET_NAMES,
  TARGETS,
  type TargetName,
} from '../lib/registry.ts';

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
/** What the `reference` variable offers: the sync built-ins. */
export const REFERENCE_OPTIONS: readonly TargetName[] = TARGET_NAMES.filter(
  (n) => TARGETS[n].model === 'sync',
);
/** Whose latency speedups the stat panels average (summary.json: async targets only). */
export const ASYNC_BUILTINS: readonly TargetName[] = TARGET_NAMES.filter((n) => TARGETS[n].model === 'async');

/** Dashboard variables besides the scenario and server tag filters. */
export const VARIABLES = { testid: TAGS.testid, reference: 'reference' } as const;

/** A full stress run takes about 20 minutes; the range shows it while it runs and just after. */
const TIME_RANGE = { from: 'now-30m', to: 'now' };

const MEASURE: Phase = 'measure';

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
  cpuMs: (target: string) => `${target} cpu ms`,
} as const;

// --- InfluxQL -----------------------------------------------------------------------------------

export interface InfluxTarget {
  [key: string]: unknown;
  refId: string;
  datasource: DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: 'table' | 'time_series';
  alias?: string;
}

const ident = (name: string) => `"${name}"`;
const literal = (value: string) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
const is = (tag: string, value: string) => `${ident(tag)} = ${literal(value)}`;
/** A template variable named like its tag (Grafana expands a multi-value one to `(a|b|c)`). */
const inVariable = (tag: string, variable = tag) => `${ident(tag)} =~ /^$${variable}$/`;
const notInVariable = (tag: string, variable = tag) => `${ident(tag)} !~ /^$${variable}$/`;

/** The run the dashboard shows: every query has it, so two runs in one time range never mix. */
const RUN = inVariable(TAGS.testid, VARIABLES.testid);

/** The measured IO requests: the /io route after warm-up (the CPU sampler's /stats polls excluded). */
/**
 * The measured requests: /io, and /stream in stream scenarios (the route each slot measures, as
 * summary.json takes it); never the CPU sampler's /stats polls or setup's /health.
 */
export const MEASURED_ROUTES = `${ident(TAGS.name)} =~ /^(${[REQUEST_NAMES.io, REQUEST_NAMES.stream]
  .map((route) => route.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'))
  .join('|')})$/`;

/** The measured requests after warm-up. */
const MEASURED_IO = [MEASURED_ROUTES, is(TAGS.phase, MEASURE)];

/** The closed-model scenarios only: the open-model variant is reported apart (as in summary.json). */
const CLOSED_MODEL = `${ident(TAGS.scenario)} != ${literal(STRESS_OPEN_SCENARIO)}`;

function select(expression: string, measurement: string, conditions: string[], groupBy: string[], fill = '') {
  const where = [...conditions, RUN, '$timeFilter'].join(' AND ');
  const tail = fill ? ` ${fill}` : '';
  return `SELECT ${expression} FROM ${ident(measurement)} WHERE ${where} GROUP BY ${groupBy.join(', ')}${tail}`;
}

function tableTarget(refId: string, query: string): InfluxTarget {
  return { refId, datasource: DATASOURCE, query, rawQuery: true, resultFormat: 'table' };
}

function seriesTarget(refId: string, query: string, alias: string): InfluxTarget {
  return { refId, datasource: DATASOURCE, query, rawQuery: true, resultFormat: 'time_series', alias };
}

/**
 * One table query per built-in target: `expression AS "<alias(target)>"` per scenario. With
 * `compared`, the reference's own query is empty (`server !~ /^$reference$/`): a target is not
 * compared with itself.
 */
function perTargetByScenario(
  refPrefix: string,
  targets: readonly string[],
  expression: string,
  measurement: string,
  conditions: string[],
  alias: (target: string) => string,
  compared = false,
): InfluxTarget[] {
  return targets.map((target) =>
    tableTarget(
      `${refPrefix}${target}`,
      select(
        `${expression} AS ${ident(alias(target))}`,
        measurement,
        [
          is(TAGS.server, target),
          ...(compared ? [notInVariable(TAGS.server, VARIABLES.reference)] : []),
          ...conditions,
          inVariable(TAGS.scenario),
        ],
        [ident(TAGS.scenario)],
      ),
    ),
  );
}

/** The reference target's figure per scenario, whichever sync target `$reference` names. */
function referenceByScenario(
  refId: string,
  expression: string,
  measurement: string,
  conditions: string[],
  alias: string,
): InfluxTarget {
  return tableTarget(
    refId,
    select(
      `${expression} AS ${ident(alias)}`,
      measurement,
      [inVariable(TAGS.server, VARIABLES.reference), ...conditions, inVariable(TAGS.scenario)],
      [ident(TAGS.scenario)],
    ),
  );
}

/**
 * One series per (key, server) over the whole range, named by the server: `joinByLabels` makes
 * it a row per key value with a column per server, whatever servers the run has.
 */
function perServerBy(
  key: string,
  expression: string,
  measurement: string,
  conditions: string[],
): InfluxTarget {
  return seriesTarget(
    'A',
    select(
      expression,
      measurement,
      [...conditions, inVariable(TAGS.server)],
      [ident(key), ident(TAGS.server)],
    ),
    `$tag_${TAGS.server}`,
  );
}

function theoryTarget(): InfluxTarget {
  return tableTarget(
    'theory',
    select(
      `last("value") AS ${ident(FIELDS.theory)}`,
      METRICS.theorySpeedup,
      [inVariable(TAGS.scenario)],
      [ident(TAGS.scenario)],
    ),
  );
}

/** One series per server over time, named by the server (`$tag_server`). */
function perServerOverTime(
  expression: string,
  measurement: string,
  conditions: string[],
  interval = '$__interval',
): InfluxTarget {
  return seriesTarget(
    'A',
    select(
      expression,
      measurement,
      [...conditions, inVariable(TAGS.server), inVariable(TAGS.scenario)],
      [`time(${interval})`, ident(TAGS.server)],
      'fill(none)',
    ),
    `$tag_${TAGS.server}`,
  );
}

// --- Transformations ----------------------------------------------------------------------------

export type BinaryOperator = '+' | '-' | '*' | '/';

/** Series (labelled fields) -> one table: a row per `join` label values, a column per `value` label value. */
export interface JoinByLabelsOptions {
  value: string;
  join: string[];
}

export interface ConvertFieldTypeOptions {
  conversions: { targetField: string; destinationType: 'number' | 'string' }[];
}

export interface SortByOptions {
  sort: { field: string; desc: boolean }[];
}

export interface JoinByFieldOptions {
  byField: string;
  mode: 'outer' | 'inner' | 'outerTabular';
}

export interface CalculateFieldOptions {
  mode: 'binary';
  binary: {
    left: { matcher: { id: 'byName'; options: string } };
    operator: BinaryOperator;
    right: { matcher: { id: 'byName'; options: string } };
  };
  alias: string;
  /** false: operate on each frame as it is (no join on time first). */
  timeSeries: false;
}

/** Per row, one reducer over some fields (the speedup of each async server -> their mean). */
export interface ReduceRowOptions {
  mode: 'reduceRow';
  reduce: { include: string[]; reducer: StatCalc };
  alias: string;
  timeSeries: false;
}

export type StatCalc = 'mean' | 'max';

export interface FilterFieldsByNameOptions {
  include: { names: string[] };
}

/** Only the ordering part of "Organize fields" is used: nothing excluded, included or renamed. */
export interface OrganizeOptions {
  indexByName: Record<string, number>;
  excludeByName: Record<string, never>;
  includeByName: Record<string, never>;
  renameByName: Record<string, never>;
}

export type Transformation =
  | (DataTransformerConfig<JoinByFieldOptions> & { id: 'joinByField' })
  | (DataTransformerConfig<JoinByLabelsOptions> & { id: 'joinByLabels' })
  | (DataTransformerConfig<ConvertFieldTypeOptions> & { id: 'convertFieldType' })
  | (DataTransformerConfig<SortByOptions> & { id: 'sortBy' })
  | (DataTransformerConfig<CalculateFieldOptions | ReduceRowOptions> & { id: 'calculateField' })
  | (DataTransformerConfig<FilterFieldsByNameOptions> & { id: 'filterFieldsByName' })
  | (DataTransformerConfig<OrganizeOptions> & { id: 'organize' });

const joinOnScenario = (): Transformation => ({
  id: 'joinByField',
  options: { byField: FIELDS.scenario, mode: 'outerTabular' },
});

/** A row per scenario (or per N), a column per server. */
const joinServersBy = (key: string): Transformation => ({
  id: 'joinByLabels',
  options: { value: TAGS.server, join: [key] },
});

/**
 * Rows in numeric order of a string tag (InfluxDB orders series by tag value as text: 1, 10,
 * 100, 2, ...): to a number, sorted, back to a string, which the bar chart needs for its x axis.
 */
const numericOrder = (field: string): Transformation[] => [
  { id: 'convertFieldType', options: { conversions: [{ targetField: field, destinationType: 'number' }] } },
  { id: 'sortBy', options: { sort: [{ field, desc: false }] } },
  { id: 'convertFieldType', options: { conversions: [{ targetField: field, destinationType: 'string' }] } },
];

const byName = (name: string) => ({ matcher: { id: 'byName' as const, options: name } });

const divide = (left: string, right: string, alias: string): Transformation => ({
  id: 'calculateField',
  options: {
    mode: 'binary',
    binary: { left: byName(left), operator: '/', right: byName(right) },
    alias,
    timeSeries: false,
  },
});

const reduceRow = (include: string[], reducer: StatCalc, alias: string): Transformation => ({
  id: 'calculateField',
  options: { mode: 'reduceRow', reduce: { include, reducer }, alias, timeSeries: false },
});

/** Keeps these fields, in this order (the bar chart draws its series in field order). */
const keepOnly = (names: string[]): Transformation[] => [
  { id: 'filterFieldsByName', options: { include: { names } } },
  {
    id: 'organize',
    options: {
      indexByName: Object.fromEntries(names.map((name, index) => [name, index])),
      excludeByName: {},
      includeByName: {},
      renameByName: {},
    },
  },
];

// --- Panels -------------------------------------------------------------------------------------

type PanelType = 'barchart' | 'timeseries' | 'stat';
export const PANEL_TYPES: readonly PanelType[] = ['barchart', 'timeseries', 'stat'];

/** Colours of the seed's migration matrix, from "moderate benefit" to "migrate". */
const RECOMMENDATION_COLORS = ['orange', 'yellow', 'green', 'dark-green'];

/** Threshold steps at the matrix's bounds: the stat turns the colour of its recommendation. */
const recommendationThresholds = () => ({
  mode: 'absolute' as ThresholdsMode,
  steps: RECOMMENDATIONS.map((_row, i) => ({
    value: i === 0 ? null : (RECOMMENDATIONS[i - 1]?.below ?? null),
    color: RECOMMENDATION_COLORS[i] ?? 'green',
  })),
});

/**
 * The matrix as value mappings: [previous bound, bound) -> its label. Grafana's range mapping
 * includes both ends, so each range stops a hair below the next bound.
 */
export const recommendationMappings = (): ValueMapping[] =>
  RECOMMENDATIONS.map((row, i) => ({
    type: 'range' as ValueMapping['type'],
    options: {
      from: i === 0 ? 0 : (RECOMMENDATIONS[i - 1]?.below ?? 0),
      to: Number.isFinite(row.below) ? row.below - 1e-9 : null,
      result: { text: row.label, color: RECOMMENDATION_COLORS[i] ?? 'green', index: i },
    },
  })) as ValueMapping[];

interface PanelSpec {
  title: string;
  description: string;
  type: PanelType;
  targets: InfluxTarget[];
  transformations?: Transformation[];
  unit: string;
  decimals?: number;
  /** Grid width (of 24) and height. */
  w: number;
  h: number;
  min?: number;
  /** Stat panels: the reducer over the rows, and whether to show the recommendation's label. */
  stat?: { calc: StatCalc; recommendation?: boolean };
  /** Bar charts: the category field (default: scenario), and a log-scale value axis. */
  xField?: string;
  logScale?: boolean;
}

function fieldConfig(spec: PanelSpec): FieldConfigSource {
  if (spec.type === 'stat') {
    return {
      defaults: {
        unit: spec.unit,
        ...(spec.decimals === undefined ? {} : { decimals: spec.decimals }),
        color: { mode: 'thresholds' as FieldColorModeId },
        thresholds: recommendationThresholds(),
        mappings: spec.stat?.recommendation ? recommendationMappings() : [],
      },
      overrides: [],
    };
  }
  const custom: Record<string, unknown> =
    spec.type === 'barchart'
      ? {
          fillOpacity: 80,
          lineWidth: 1,
          ...(spec.logScale ? { scaleDistribution: { type: 'log', log: 10 } } : { axisSoftMin: 0 }),
        }
      : { drawStyle: 'line', lineWidth: 2, fillOpacity: 10, showPoints: 'never', spanNulls: true };
  return {
    defaults: {
      unit: spec.unit,
      ...(spec.decimals === undefined ? {} : { decimals: spec.decimals }),
      ...(spec.min === undefined ? {} : { min: spec.min }),
      color: { mode: 'palette-classic' as FieldColorModeId },
      custom,
    },
    overrides: [
      {
        // The theory bar in grey beside the measured ones.
        matcher: { id: 'byName', options: FIELDS.theory },
        properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }],
      },
    ],
  };
}

function panelOptions(spec: PanelSpec): Record<string, unknown> {
  const legend = { displayMode: 'list', placement: 'bottom', showLegend: true, calcs: [] };
  if (spec.type === 'stat') {
    return {
      reduceOptions: { values: false, calcs: [spec.stat?.calc ?? 'mean'], fields: '' },
      orientation: 'auto',
      textMode: 'value',
      colorMode: 'background',
      graphMode: 'none',
      justifyMode: 'center',
      wideLayout: true,
      showPercentChange: false,
      percentChangeColorMode: 'standard',
    };
  }
  if (spec.type === 'barchart') {
    return {
      xField: spec.xField ?? FIELDS.scenario,
      orientation: 'auto',
      showValue: 'always',
      stacking: 'none',
      groupWidth: 0.7,
      barWidth: 0.9,
      barRadius: 0,
      fullHighlight: false,
      xTickLabelRotation: 0,
      xTickLabelSpacing: 0,
      xTickLabelMaxLength: 0,
      legend,
      tooltip: { mode: 'multi', sort: 'none' },
    };
  }
  return { legend, tooltip: { mode: 'multi', sort: 'desc' } };
}

/** Lays panels out left to right, wrapping at the grid's 24 columns, and numbers them. */
function layout(specs: PanelSpec[]): Panel[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return specs.map((spec, index) => {
    if (x + spec.w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const panel: Panel = {
      id: index + 1,
      type: spec.type,
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      gridPos: { x, y, w: spec.w, h: spec.h },
      targets: spec.targets,
      ...(spec.transformations ? { transformations: spec.transformations } : {}),
      fieldConfig: fieldConfig(spec),
      options: panelOptions(spec),
    };
    x += spec.w;
    rowHeight = Math.max(rowHeight, spec.h);
    return panel;
  });
}

// --- Dashboards ---------------------------------------------------------------------------------

/** Scenario tag value of every sweep sample. */
const SWEEP_ONLY = is(TAGS.scenario, SWEEP.scenario);

function queryVariable(
  name: string,
  label: string,
  query: string,
  multi: boolean,
  sort: number,
): VariableModel {
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    query,
    definition: query,
    refresh: 2, // on time range change, so a new run, scenario or server shows up
    multi,
    includeAll: multi,
    // No current value for the run: Grafana selects the first option, the newest run.
    current: multi ? { selected: true, text: ['All'], value: ['$__all'] } : {},
    options: [],
    sort,
    hide: 0,
    skipUrlSync: false,
  } as VariableModel;
}

/**
 * The run to show: its `testid`, newest first. The ids are timestamps (20261127-101500), so a
 * descending alphabetical sort (2) puts the latest run first, and Grafana selects it. `where`
 * keeps to runs that have data for this dashboard (suite runs, or sweeps).
 */
function testidVariable(where: string): VariableModel {
  const query = `SHOW TAG VALUES FROM ${ident(METRICS.ioCompleted)} WITH KEY = ${ident(TAGS.testid)} WHERE ${where}`;
  return queryVariable(VARIABLES.testid, 'Run (testid)', query, false, 2);
}

/**
 * Tag values of the selected run (and `extra` conditions) in any measurement, so a scenario
 * that only some metrics carry (a stream's stream_ttft) is offered too; multi-select with All.
 */
function tagVariable(tag: string, label: string, extra: string[] = []): VariableModel {
  const where = [RUN, ...extra].join(' AND ');
  const query = `SHOW TAG VALUES WITH KEY = ${ident(tag)} WHERE ${where}`;
  return queryVariable(tag, label, query, true, 1);
}

/** The sync target every ratio divides by: a custom variable over the sync built-ins. */
function referenceVariable(): VariableModel {
  const options = REFERENCE_OPTIONS.map((name) => ({
    text: name,
    value: name,
    selected: name === DEFAULT_REFERENCE,
  }));
  return {
    name: VARIABLES.reference,
    label: 'Reference (sync)',
    type: 'custom',
    query: REFERENCE_OPTIONS.join(','),
    multi: false,
    includeAll: false,
    current: { selected: true, text: DEFAULT_REFERENCE, value: DEFAULT_REFERENCE },
    options,
    hide: 0,
    skipUrlSync: false,
  } as VariableModel;
}

function dashboard(
  uid: string,
  title: string,
  description: string,
  variables: VariableModel[],
  panels: PanelSpec[],
): Dashboard {
  return {
    uid,
    title,
    description,
    tags: ['k6', 'io-benchmark'],
    editable: false,
    graphTooltip: 1,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    time: TIME_RANGE,
    timepicker: {},
    timezone: 'browser',
    refresh: '10s',
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [
      {
        title: 'IO benchmark',
        type: 'dashboards',
        tags: ['io-benchmark'],
        asDropdown: false,
        includeVars: true,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
        tooltip: '',
        url: '',
      },
    ],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: { list: variables },
    panels: layout(panels),
  };
}

/** Suite runs: a run with scenarios other than the sweep's. */
const SUITE_RUNS = `${ident(TAGS.scenario)} != ${literal(SWEEP.scenario)}`;

const suiteVariables = (reference: boolean): VariableModel[] => [
  testidVariable(SUITE_RUNS),
  tagVariable(TAGS.scenario, 'Scenario'),
  tagVariable(TAGS.server, 'Server'),
  ...(reference ? [referenceVariable()] : []),
];

// --- Speedup dashboard: ratios over the reference (built-in targets) ---------------------------

const referenceLatency = (conditions: string[]) =>
  referenceByScenario(
    'latency_reference',
    'mean("value")',
    METRICS.httpReqDuration,
    conditions,
    FIELDS.latency(FIELDS.reference),
  );

const builtinLatencies = (conditions: string[]) =>
  perTargetByScenario(
    'latency_',
    BUILTIN_TARGETS,
    'mean("value")',
    METRICS.httpReqDuration,
    conditions,
    FIELDS.latency,
    true,
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
    targets: [
      referenceLatency(conditions),
      ...perTargetByScenario(
        'latency_',
        ASYNC_BUILTINS,
        'mean("value")',
        METRICS.httpReqDuration,
        conditions,
        FIELDS.latency,
      ),
    ],
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
  `The one-number answer: the latency speedup over the reference ($reference), averaged over every async built-in target (${ASYNC_LIST}) and closed-model scenario shown (summary.json averageSpeedup). Its colour is the migration matrix: orange < 2×, yellow 2–5×, green 5–10×, dark green ≥ 10×.`,
  'mean',
);
const recommendation = speedupStat(
  'Migration recommendation',
  'The seed’s decision matrix applied to the average latency speedup: < 2× moderate benefit, 2–5× good candidate, 5–10× strong case, ≥ 10× migrate (summary.json recommendation).',
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
  description: `How much faster is each target than the reference ($reference)? Mean /io latency of the reference divided by the target’s, measured phase only, beside the theory max(1, N/W) of the run’s reference. 1 means no gain. ${BUILTIN_NOTE}`,
  type: 'barchart',
  unit: 'suffix:×',
  decimals: 2,
  min: 0,
  w: 12,
  h: 9,
  targets: [referenceLatency(MEASURED_IO), ...builtinLatencies(MEASURED_IO), theoryTarget()],
  transformations: [
    joinOnScenario(),
    ...latencyRatios(BUILTIN_TARGETS),
    ...keepOnly([FIELDS.scenario, ...BUILTIN_TARGETS, FIELDS.theory]),
  ],
};

const throughputSpeedup: PanelSpec = {
  title: 'Throughput speedup over the reference, by scenario',
  description: `How many more requests does each target complete than the reference ($reference)? /io responses completed inside the measurement window (io_completed) by the target divided by the reference’s, beside the theory. Every target of a scenario gets the same window, so this is the ratio of requests per second. ${BUILTIN_NOTE}`,
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
    theoryTarget(),
  ],
  transformations: [
    joinOnScenario(),
    ...BUILTIN_TARGETS.map((target) =>
      divide(FIELDS.completed(target), FIELDS.completed(FIELDS.reference), target),
    ),
    ...keepOnly([FIELDS.scenario, ...BUILTIN_TARGETS, FIELDS.theory]),
  ],
};

// --- Per scenario and server: every target of the run, user targets included -------------------

interface ByServerSpec {
  title: string;
  description: string;
  unit: string;
  decimals?: number;
  w: number;
  h: number;
  expression: string;
  measurement: string;
  conditions: string[];
}

/** A bar per scenario and server: one query grouped by scenario and server, joined by labels. */
function byScenarioAndServer(spec: ByServerSpec): PanelSpec {
  return {
    title: spec.title,
    description: spec.description,
    type: 'barchart',
    unit: spec.unit,
    ...(spec.decimals === undefined ? {} : { decimals: spec.decimals }),
    min: 0,
    w: spec.w,
    h: spec.h,
    targets: [
      perServerBy(TAGS.scenario, spec.expression, spec.measurement, [
        ...spec.conditions,
        inVariable(TAGS.scenario),
      ]),
    ],
    transformations: [joinServersBy(TAGS.scenario)],
  };
}

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
    description: `Streamed answers: how long until the first token arrives, at the ${percentile}th percentile? stream_ttft (k6’s time to first byte of a /stream request) per stream scenario and server, measured phase only. Empty when the run has no stream scenario (npm run k6:stream).`,
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
  description:
    'How fast does each server stream tokens? stream_tokens (server-sent events received by responses completed inside the measurement window) summed per second, one line per server. Empty when the run has no stream scenario.',
  type: 'timeseries',
  unit: 'suffix: tokens/s',
  w: 8,
  h: 8,
  targets: [perServerOverTime('sum("value")', METRICS.streamTokens, [], '1s')],
};

const throughputOverTime: PanelSpec = {
  title: 'Throughput: completed /io requests per second',
  description:
    'How fast is each server answering right now? io_completed summed per second, one line per server; the slots run one after another.',
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
  description:
    'Did any server fail requests? Share of failed /io requests (http_req_failed) per scenario and server, warm-up included, as summary.json counts them. Should be 0: a non-zero bar makes the speedup beside it suspect (stress-open is expected to fail on a sync target: its clients time out).',
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

// --- CPU dashboard ------------------------------------------------------------------------------

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
  description:
    'What does one request cost in CPU? CPU seconds spent inside the measurement window (server_cpu_seconds) ×1000 divided by the /io requests completed in it (io_completed), per scenario and server. Built-in targets only: the two figures are different measurements, which InfluxQL cannot divide per server, so Grafana divides fixed columns.',
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
      'sum("value") * 1000',
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
  description:
    'How much CPU did each server burn in its measurement window? server_cpu_seconds summed per scenario and server (every target of the run).',
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

// --- Sweep dashboard: figures against the number of clients N ----------------------------------

/**
 * A bar per N and server. The bar chart needs a string x field and draws its categories evenly
 * spaced; the sweep's N (1, 2, 5, 10, 20, ...) climb in near-equal ratios, so the axis is, in
 * effect, logarithmic, each tick labelled with the exact N.
 */
function byClients(spec: ByServerSpec & { logScale?: boolean }): PanelSpec {
  return {
    title: spec.title,
    description: spec.description,
    type: 'barchart',
    unit: spec.unit,
    ...(spec.decimals === undefined ? {} : { decimals: spec.decimals }),
    ...(spec.logScale ? { logScale: true } : { min: 0 }),
    xField: TAGS.clients,
    w: spec.w,
    h: spec.h,
    targets: [perServerBy(TAGS.clients, spec.expression, spec.measurement, [...spec.conditions, SWEEP_ONLY])],
    transformations: [joinServersBy(TAGS.clients), ...numericOrder(TAGS.clients)],
  };
}

const SWEEP_NOTE =
  'x: the number of concurrent clients N (closed loop). A sync target stops past 20 delays of theoretical latency: its bars end there (sweep.json lists the skipped points).';

const sweepMean = byClients({
  title: 'Mean /io latency vs clients N',
  description: `How does latency grow with concurrency? Mean /io latency per N and server, measured phase only, log scale. Theory: a sync target max(1, N/W)·d, an async one d until its own limit. ${SWEEP_NOTE}`,
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
  description: `How much work did each server get done at each N? /io responses completed inside the slot’s measurement window (io_completed), per N and server. A count, not a rate: the window length is not in InfluxDB, so requests per second cannot be derived in InfluxQL (sweep.json has them). Async slots at one N share a window; a sync slot lasts at least six of its cycles, so from about 6·W clients its window is longer and its count is not comparable. ${SWEEP_NOTE}`,
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
  description: `What does each server spend on CPU at each N? server_cpu_percent (all processes, % of one core) averaged over the slot. ${SWEEP_NOTE}`,
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
  description:
    'Is the load generator the bottleneck? k6’s own CPU over each slot’s window (sweep_k6_cpu_percent, % of one core), per N and target measured. Near a full core per k6 process, the measured latency includes k6’s own queueing: such points are flagged generator-bound in sweep.json.',
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
  description:
    'The rate behind each point: io_completed summed per second, one line per server; each slot (one N, one target) is a plateau.',
  type: 'timeseries',
  unit: 'reqps',
  w: 12,
  h: 9,
  targets: [
    seriesTarget(
      'A',
      select(
        'sum("value")',
        METRICS.ioCompleted,
        [SWEEP_ONLY, inVariable(TAGS.server)],
        ['time(1s)', ident(TAGS.server)],
        'fill(none)',
      ),
      `$tag_${TAGS.server}`,
    ),
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

export function cpuDashboard(): Dashboard {
  return dashboard(
    DASHBOARD_UIDS.cpu,
    'IO benchmark — CPU',
    'What does waiting on IO cost each server in CPU and memory? Server-side figures sampled by the k6 suite from each server’s /stats, for one run (testid).',
    suiteVariables(false),
    [cpuPercent, cpuPerRequest, cpuSeconds, rss, inFlight],
  );
}

export function sweepDashboard(): Dashboard {
  return dashboard(
    DASHBOARD_UIDS.sweep,
    'IO benchmark — concurrency sweep',
    'Latency, work done and CPU against the number of concurrent clients N, for every target of one sweep run (npm run k6:sweep).',
    [testidVariable(SWEEP_ONLY), tagVariable(TAGS.server, 'Server', [SWEEP_ONLY])],
    [sweepMean, sweepP50, sweepCompleted, sweepThroughputOverTime, sweepServerCpu, sweepK6Cpu],
  );
}

export function buildDashboards(): Record<keyof typeof DASHBOARD_FILES, Dashboard> {
  return { speedup: speedupDashboard(), cpu: cpuDashboard(), sweep: sweepDashboard() };
}

/** The committed form: two-space JSON with a final newline. */
export function serialize(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
