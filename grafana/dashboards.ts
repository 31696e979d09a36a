// The two Grafana dashboards, built from the registry's metric, tag and server names so a rename
// cannot leave a panel silently empty. `npm run dashboards:build` writes them to
// grafana/dashboards/*.json (what Grafana provisions); a test fails when the committed JSON
// differs from what this module builds.
//
// InfluxQL cannot divide one tag value by another (express latency / koa latency), so ratios
// are computed by Grafana transformations: one table query per server, grouped by scenario and
// aliased with the server's name; `joinByField` on scenario puts them side by side; and
// `calculateField` (binary) divides the columns; `filterFieldsByName` and `organize` keep the
// scenario, the ratios and the theory, in that order. Tables are joined in `outerTabular`
// mode because the key is a string (the time-series `outer` join sorts keys as numbers).

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
  ASYNC_SERVERS,
  METRICS,
  type Phase,
  RECOMMENDATIONS,
  REQUEST_NAMES,
  SERVER_NAMES,
  type ServerName,
  STRESS_OPEN_SCENARIO,
  SYNC_SERVER,
  TAGS,
} from '../lib/registry.ts';

/** Must equal the uid in grafana/provisioning/datasources/influxdb.yaml. */
export const DATASOURCE = { type: 'influxdb', uid: 'k6-influxdb' } as const satisfies DataSourceRef;

/** The schema version of the pinned Grafana image (docker-compose.yml), so it loads them unmigrated. */
export const SCHEMA_VERSION = 42;

export const DASHBOARD_UIDS = { speedup: 'io-bench-speedup', cpu: 'io-bench-cpu' } as const;

/** The committed files, relative to the repository root. */
export const DASHBOARD_FILES = {
  speedup: 'grafana/dashboards/io-speedup.json',
  cpu: 'grafana/dashboards/io-cpu.json',
} as const;

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
  latency: (server: ServerName) => `${server} latency`,
  completed: (server: ServerName) => `${server} completed`,
  cpuMs: (server: ServerName) => `${server} cpu ms`,
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
/** A multi-value template variable named like its tag (Grafana expands it to `(a|b|c)`). */
const inVariable = (tag: string) => `${ident(tag)} =~ /^$${tag}$/`;

/** The measured IO requests: the /io route after warm-up (the CPU sampler's /stats polls excluded). */
const MEASURED_IO = [is(TAGS.name, REQUEST_NAMES.io), is(TAGS.phase, MEASURE)];

/** The closed-model scenarios only: the open-model variant is reported apart (as in summary.json). */
const CLOSED_MODEL = `${ident(TAGS.scenario)} != ${literal(STRESS_OPEN_SCENARIO)}`;

function select(expression: string, measurement: string, conditions: string[], groupBy: string[], fill = '') {
  const where = [...conditions, '$timeFilter'].join(' AND ');
  const tail = fill ? ` ${fill}` : '';
  return `SELECT ${expression} FROM ${ident(measurement)} WHERE ${where} GROUP BY ${groupBy.join(', ')}${tail}`;
}

function tableTarget(refId: string, query: string): InfluxTarget {
  return { refId, datasource: DATASOURCE, query, rawQuery: true, resultFormat: 'table' };
}

function seriesTarget(refId: string, query: string, alias: string): InfluxTarget {
  return { refId, datasource: DATASOURCE, query, rawQuery: true, resultFormat: 'time_series', alias };
}

/** One table query per server: `expression AS "<alias(server)>"` per scenario. */
function perServerByScenario(
  refPrefix: string,
  servers: readonly ServerName[],
  expression: string,
  measurement: string,
  conditions: string[],
  alias: (server: ServerName) => string,
): InfluxTarget[] {
  return servers.map((server) =>
    tableTarget(
      `${refPrefix}${server}`,
      select(
        `${expression} AS ${ident(alias(server))}`,
        measurement,
        [is(TAGS.server, server), ...conditions, inVariable(TAGS.scenario)],
        [ident(TAGS.scenario)],
      ),
    ),
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
  | (DataTransformerConfig<CalculateFieldOptions | ReduceRowOptions> & { id: 'calculateField' })
  | (DataTransformerConfig<FilterFieldsByNameOptions> & { id: 'filterFieldsByName' })
  | (DataTransformerConfig<OrganizeOptions> & { id: 'organize' });

const joinOnScenario = (): Transformation => ({
  id: 'joinByField',
  options: { byField: FIELDS.scenario, mode: 'outerTabular' },
});

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
      ? { fillOpacity: 80, lineWidth: 1, axisSoftMin: 0 }
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
      xField: FIELDS.scenario,
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

function tagVariable(tag: string, label: string): VariableModel {
  const query = `SHOW TAG VALUES FROM ${ident(METRICS.httpReqDuration)} WITH KEY = ${ident(tag)}`;
  return {
    name: tag,
    label,
    type: 'query',
    datasource: DATASOURCE,
    query,
    definition: query,
    refresh: 2, // on time range change, so a new scenario or server shows up
    multi: true,
    includeAll: true,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    sort: 1,
    hide: 0,
    skipUrlSync: false,
  } as VariableModel;
}

function dashboard(uid: string, title: string, description: string, panels: PanelSpec[]): Dashboard {
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
    templating: { list: [tagVariable(TAGS.scenario, 'Scenario'), tagVariable(TAGS.server, 'Server')] },
    panels: layout(panels),
  };
}

/** The latency speedup of every async server per closed-model scenario, reduced per row. */
function speedupStat(title: string, description: string, calc: StatCalc, recommendation = false): PanelSpec {
  const field = calc === 'mean' ? FIELDS.average : FIELDS.max;
  return {
    title,
    description,
    type: 'stat',
    unit: recommendation ? 'none' : 'suffix:×',
    decimals: 2,
    w: 8,
    h: 5,
    stat: { calc, recommendation },
    targets: perServerByScenario(
      'latency_',
      SERVER_NAMES,
      'mean("value")',
      METRICS.httpReqDuration,
      [...MEASURED_IO, CLOSED_MODEL],
      FIELDS.latency,
    ),
    transformations: [
      joinOnScenario(),
      ...ASYNC_SERVERS.map((server) => divide(FIELDS.latency(SYNC_SERVER), FIELDS.latency(server), server)),
      reduceRow([...ASYNC_SERVERS], calc, field),
      { id: 'filterFieldsByName', options: { include: { names: [FIELDS.scenario, field] } } },
    ],
  };
}

const averageSpeedup = speedupStat(
  'Average latency speedup',
  'The one-number answer: the latency speedup averaged over every async server and closed-model scenario shown (summary.json averageSpeedup). Its colour is the migration matrix: orange < 2×, yellow 2–5×, green 5–10×, dark green ≥ 10×.',
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
  'The best case: the largest latency speedup of any async server in any closed-model scenario shown (summary.json maxSpeedup).',
  'max',
);

const latencySpeedup: PanelSpec = {
  title: 'Latency speedup over express, by scenario',
  description:
    'How much faster is each async server? Mean /io latency of express divided by the async server’s, measured phase only, beside the theory max(1, N/W). 1 means no gain. Ignores the server filter: it needs express.',
  type: 'barchart',
  unit: 'suffix:×',
  decimals: 2,
  min: 0,
  w: 12,
  h: 9,
  targets: [
    ...perServerByScenario(
      'latency_',
      SERVER_NAMES,
      'mean("value")',
      METRICS.httpReqDuration,
      MEASURED_IO,
      FIELDS.latency,
    ),
    theoryTarget(),
  ],
  transformations: [
    joinOnScenario(),
    ...ASYNC_SERVERS.map((server) => divide(FIELDS.latency(SYNC_SERVER), FIELDS.latency(server), server)),
    ...keepOnly([FIELDS.scenario, ...ASYNC_SERVERS, FIELDS.theory]),
  ],
};

const throughputSpeedup: PanelSpec = {
  title: 'Throughput speedup over express, by scenario',
  description:
    'How many more requests does each async server complete? /io responses completed inside the measurement window (io_completed) by the async server divided by express’s, beside the theory. Every server gets the same window, so this is the ratio of requests per second.',
  type: 'barchart',
  unit: 'suffix:×',
  decimals: 2,
  min: 0,
  w: 12,
  h: 9,
  targets: [
    ...perServerByScenario(
      'completed_',
      SERVER_NAMES,
      'sum("value")',
      METRICS.ioCompleted,
      [],
      FIELDS.completed,
    ),
    theoryTarget(),
  ],
  transformations: [
    joinOnScenario(),
    ...ASYNC_SERVERS.map((server) => divide(FIELDS.completed(server), FIELDS.completed(SYNC_SERVER), server)),
    ...keepOnly([FIELDS.scenario, ...ASYNC_SERVERS, FIELDS.theory]),
  ],
};

function latencyPercentile(percentile: number): PanelSpec {
  return {
    title: `p${percentile} latency by scenario`,
    description: `What does a client wait, at the ${percentile}th percentile? /io request duration per scenario and server, measured phase only. The IO delay alone is the floor; sync queueing shows above it.`,
    type: 'barchart',
    unit: 'ms',
    decimals: 0,
    min: 0,
    w: 12,
    h: 9,
    targets: perServerByScenario(
      `p${percentile}_`,
      SERVER_NAMES,
      `percentile("value", ${percentile})`,
      METRICS.httpReqDuration,
      [...MEASURED_IO, inVariable(TAGS.server)],
      (server) => server,
    ),
    transformations: [joinOnScenario(), ...keepOnly([FIELDS.scenario, ...SERVER_NAMES])],
  };
}

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
  targets: [
    perServerOverTime('percentile("value", 95)', METRICS.httpReqDuration, [is(TAGS.name, REQUEST_NAMES.io)]),
  ],
};

const errorRate: PanelSpec = {
  title: 'Error rate by scenario',
  description:
    'Did any server fail requests? Share of failed /io requests (http_req_failed) per scenario and server, warm-up included, as summary.json counts them. Should be 0: a non-zero bar makes the speedup beside it suspect (stress-open is expected to fail on express: its clients time out).',
  type: 'barchart',
  unit: 'percentunit',
  decimals: 1,
  min: 0,
  w: 12,
  h: 8,
  targets: perServerByScenario(
    'failed_',
    SERVER_NAMES,
    'mean("value")',
    METRICS.httpReqFailed,
    [is(TAGS.name, REQUEST_NAMES.io), inVariable(TAGS.server)],
    (server) => server,
  ),
  transformations: [joinOnScenario(), ...keepOnly([FIELDS.scenario, ...SERVER_NAMES])],
};

const vus: PanelSpec = {
  title: 'Virtual users',
  description:
    'How many clients are looping right now? k6 active VUs (not tagged by scenario or server: the slots show as steps).',
  type: 'timeseries',
  unit: 'none',
  w: 12,
  h: 8,
  targets: [
    seriesTarget('A', select('max("value")', METRICS.vus, [], ['time($__interval)'], 'fill(none)'), 'VUs'),
  ],
};

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
    'What does one request cost in CPU? CPU seconds spent inside the measurement window (server_cpu_seconds) ×1000 divided by the /io requests completed in it (io_completed), per scenario and server.',
  type: 'barchart',
  unit: 'ms',
  decimals: 3,
  min: 0,
  w: 12,
  h: 9,
  targets: [
    ...perServerByScenario(
      'cpu_',
      SERVER_NAMES,
      'sum("value") * 1000',
      METRICS.serverCpuSeconds,
      [inVariable(TAGS.server)],
      FIELDS.cpuMs,
    ),
    ...perServerByScenario(
      'completed_',
      SERVER_NAMES,
      'sum("value")',
      METRICS.ioCompleted,
      [inVariable(TAGS.server)],
      FIELDS.completed,
    ),
  ],
  transformations: [
    joinOnScenario(),
    ...SERVER_NAMES.map((server) => divide(FIELDS.cpuMs(server), FIELDS.completed(server), server)),
    ...keepOnly([FIELDS.scenario, ...SERVER_NAMES]),
  ],
};

const cpuSeconds: PanelSpec = {
  title: 'CPU seconds per slot, by scenario',
  description:
    'How much CPU did each server burn in its measurement window? server_cpu_seconds summed per scenario and server.',
  type: 'barchart',
  unit: 's',
  decimals: 2,
  min: 0,
  w: 12,
  h: 8,
  targets: perServerByScenario(
    'cpu_',
    SERVER_NAMES,
    'sum("value")',
    METRICS.serverCpuSeconds,
    [inVariable(TAGS.server)],
    (server) => server,
  ),
  transformations: [joinOnScenario(), ...keepOnly([FIELDS.scenario, ...SERVER_NAMES])],
};

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
    'How many requests is the server holding? On express this includes connections queued for a busy worker: the queue the theory predicts.',
  type: 'timeseries',
  unit: 'none',
  w: 12,
  h: 8,
  targets: [perServerOverTime('max("value")', METRICS.serverInFlight, [])],
};

export function speedupDashboard(): Dashboard {
  return dashboard(
    DASHBOARD_UIDS.speedup,
    'IO benchmark — speedup',
    'How much faster is an async server than a sync one when every request waits on IO? Filled by the k6 suite (`--out influxdb`).',
    [
      averageSpeedup,
      recommendation,
      maxSpeedup,
      latencySpeedup,
      throughputSpeedup,
      latencyPercentile(50),
      latencyPercentile(95),
      throughputOverTime,
      latencyOverTime,
      errorRate,
      vus,
    ],
  );
}

export function cpuDashboard(): Dashboard {
  return dashboard(
    DASHBOARD_UIDS.cpu,
    'IO benchmark — CPU',
    'What does waiting on IO cost each server in CPU and memory? Server-side figures sampled by the k6 suite from each server’s /stats.',
    [cpuPercent, cpuPerRequest, cpuSeconds, rss, inFlight],
  );
}

export function buildDashboards(): Record<keyof typeof DASHBOARD_FILES, Dashboard> {
  return { speedup: speedupDashboard(), cpu: cpuDashboard() };
}

/** The committed form: two-space JSON with a final newline. */
export function serialize(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
