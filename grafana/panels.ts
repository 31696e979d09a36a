// Panel rendering: a short spec (title, queries, transformations, unit, size) becomes Grafana's
// panel JSON, laid out on the 24-column grid, and the panels become a dashboard.

import type { Dashboard, FieldColorModeId, FieldConfigSource, Panel, VariableModel } from '@grafana/schema';
import { TAGS } from '../lib/registry.ts';
import { type InfluxTarget, inVariable, perServerBy } from './influxql.ts';
import { DATASOURCE, FIELDS, SCHEMA_VERSION } from './names.ts';
import { recommendationMappings, recommendationThresholds } from './recommendation.ts';
import { joinServersBy, type StatCalc, type Transformation } from './transformations.ts';

type PanelType = 'barchart' | 'timeseries' | 'stat';
export const PANEL_TYPES: readonly PanelType[] = ['barchart', 'timeseries', 'stat'];

/** A full stress run takes about 20 minutes; the range shows it while it runs and just after. */
const TIME_RANGE = { from: 'now-30m', to: 'now' };

export interface PanelSpec {
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

export interface ByServerSpec {
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

/**
 * A bar per `key` value (a scenario, an N) and server: one query grouped by the key and the
 * server, with `filter` (the scenario variable, or the sweep), joined by labels into a row per
 * key value and a column per server; `order` transformations after the join.
 */
export function barsByServer(
  spec: ByServerSpec & { logScale?: boolean },
  key: string,
  filter: string,
  order: Transformation[] = [],
): PanelSpec {
  return {
    title: spec.title,
    description: spec.description,
    type: 'barchart',
    unit: spec.unit,
    ...(spec.decimals === undefined ? {} : { decimals: spec.decimals }),
    ...(spec.logScale ? { logScale: true } : { min: 0 }),
    xField: key,
    w: spec.w,
    h: spec.h,
    targets: [perServerBy(key, spec.expression, spec.measurement, [...spec.conditions, filter])],
    transformations: [joinServersBy(key), ...order],
  };
}

/** A bar per scenario and server, in the scenarios selected. */
export const byScenarioAndServer = (spec: ByServerSpec): PanelSpec =>
  barsByServer(spec, TAGS.scenario, inVariable(TAGS.scenario));

export function dashboard(
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
