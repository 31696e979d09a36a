// A Grafana emulator for the dashboards' panels: it runs their InfluxQL the way Grafana 12.4's
// InfluxDB datasource does, turns the answers into data frames as its backend parser does,
// resolves template variables as Grafana does on load, and applies the panels'
// transformations (grafana-emulator-transformations.ts). From Grafana's source:
// - InfluxQL: `$timeFilter` -> `time >= <from>ms and time <= <to>ms`, `$__interval` from the
//   range and the panel's data points (rangeutil.roundInterval), multi-value variables set to
//   All -> `(a|b|c)` with regex-escaped values (the InfluxDB datasource's interpolation);
// - responses -> data frames as pkg/tsdb/influxdb/influxql/buffered/response_parser.go builds
//   them: table format, one frame per query (Time, the tags, then one field per column, each
//   named after its column with displayNameFromDS); time_series format, one frame per series
//   and column, named by the target's alias;
// - template variables: query variables from their SHOW TAG VALUES (interpolated with the
//   variables before them); a single-value one takes the first value in its sort order, as
//   Grafana does without a current value; a custom one its current value.
// Anything else (another alias variable, a table without time, another sort) throws.

import type { Dashboard, Panel, VariableModel } from '@grafana/schema';
import type { InfluxTarget } from '../../grafana/influxql.ts';
import type { Transformation } from '../../grafana/transformations.ts';
import {
  displayName,
  type Field,
  type FieldType,
  type Frame,
  transform,
} from './grafana-emulator-transformations.ts';
import type { InfluxSeries } from './influxdb.ts';

export {
  displayName,
  type Field,
  type Frame,
  reduceValues,
  transform,
} from './grafana-emulator-transformations.ts';

/** Where the queries go: a real InfluxDB (RunningInfluxDB), or a stand-in that answers like one. */
export interface InfluxQuery {
  query(q: string): Promise<{ series?: InfluxSeries[] }>;
}

export interface QueryContext {
  from: number;
  to: number;
  variables: Record<string, string[]>;
  /** A panel about a thousand pixels wide. */
  maxDataPoints: number;
}

/** rangeutil.roundInterval, the steps the runs here can reach (ms). */
export function roundInterval(ms: number): number {
  const steps: [number, number][] = [
    [10, 1],
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1500, 1000],
    [3500, 2000],
    [7500, 5000],
    [12500, 10_000],
    [17500, 15_000],
    [25_000, 20_000],
    [45_000, 30_000],
    [90_000, 60_000],
  ];
  const step = steps.find(([below]) => ms < below);
  if (!step) throw new Error(`interval ${ms} ms: beyond the emulated steps`);
  return step[1];
}

/** What Grafana's InfluxDB datasource does to a multi-value variable set to All. */
function regexAll(values: string[]): string {
  const escaped = values.map((v) => v.replace(/[\\^$*+?.()|{}[\]/]/g, '\\$&'));
  return escaped.length === 1 ? (escaped[0] ?? '') : `(${escaped.join('|')})`;
}

export function interpolate(query: string, ctx: QueryContext): string {
  let out = query;
  for (const [name, values] of Object.entries(ctx.variables))
    out = out.replaceAll(`$${name}`, regexAll(values));
  const intervalMs = roundInterval((ctx.to - ctx.from) / ctx.maxDataPoints);
  return out
    .replaceAll('$timeFilter', `time >= ${ctx.from}ms and time <= ${ctx.to}ms`)
    .replaceAll('$__interval_ms', String(intervalMs))
    .replaceAll('$__interval', intervalMs % 1000 === 0 ? `${intervalMs / 1000}s` : `${intervalMs}ms`);
}

function fieldType(values: unknown[]): FieldType {
  const seen = values.find((v) => v !== null);
  if (typeof seen === 'string') return 'string';
  if (typeof seen === 'boolean') return 'boolean';
  return 'number';
}

/** response_parser.go, table format: one frame for all the series of a query. */
export function tableFrames(series: InfluxSeries[], refId: string): Frame[] {
  const [first] = series;
  if (!first) return [];
  if (first.columns[0] !== 'time') throw new Error('a table without a time column is not emulated');
  const rows = series.flatMap((s) => s.values.map((values) => ({ tags: s.tags ?? {}, values })));
  const fields: Field[] = [{ name: 'Time', type: 'time', values: rows.map((r) => r.values[0]), config: {} }];
  for (const key of Object.keys(first.tags ?? {})) {
    fields.push({
      name: key,
      type: 'string',
      values: rows.map((r) => r.tags[key]),
      config: { displayNameFromDS: key },
    });
  }
  first.columns.slice(1).forEach((column, index) => {
    const values = rows.map((r) => r.values[index + 1] ?? null);
    fields.push({ name: column, type: fieldType(values), values, config: { displayNameFromDS: column } });
  });
  return [{ name: first.name, refId, fields, length: rows.length }];
}

/** Same parser, time_series format: one frame per series and value column, named by the alias. */
export function timeSeriesFrames(series: InfluxSeries[], refId: string, alias: string | undefined): Frame[] {
  return series.flatMap((s) =>
    s.columns.slice(1).map((_column, index) => {
      const tags = s.tags ?? {};
      const name = (alias ?? '').replace(/\$(\w+)/g, (_, key: string) => {
        if (key.startsWith('tag_')) return tags[key.slice(4)] ?? '';
        throw new Error(`alias variable $${key} is not emulated`);
      });
      if (!name) throw new Error('frames without an alias are not emulated');
      const time: Field = { name: 'Time', type: 'time', values: s.values.map((v) => v[0]), config: {} };
      const values = s.values.map((v) => v[index + 1] ?? null);
      const value: Field = {
        name: 'Value',
        type: fieldType(values),
        values,
        labels: tags,
        config: { displayNameFromDS: name },
      };
      return { name, refId, fields: [time, value], length: s.values.length };
    }),
  );
}

export async function runPanelQueries(
  influx: InfluxQuery,
  panel: Panel,
  ctx: QueryContext,
): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (const target of (panel.targets ?? []) as InfluxTarget[]) {
    const { series = [] } = await influx.query(interpolate(target.query, ctx));
    frames.push(
      ...(target.resultFormat === 'table'
        ? tableFrames(series, target.refId)
        : timeSeriesFrames(series, target.refId, target.alias)),
    );
  }
  return frames;
}

/** What the panel draws: its queries' frames through its transformations. */
export async function panelFrames(influx: InfluxQuery, panel: Panel, ctx: QueryContext): Promise<Frame[]> {
  return transform(
    await runPanelQueries(influx, panel, ctx),
    (panel.transformations ?? []) as Transformation[],
  );
}

/**
 * A dashboard's variables as Grafana resolves them on load, in order (a query may use the ones
 * before it): a query variable from its SHOW TAG VALUES, all values when multi (All), else the
 * first in its sort order (Grafana selects it when there is no current value); a custom one its
 * current value, or `overrides`.
 */
export async function resolveVariables(
  influx: InfluxQuery,
  dashboard: Dashboard,
  base: Omit<QueryContext, 'variables'>,
  overrides: Record<string, string[]> = {},
): Promise<Record<string, string[]>> {
  const variables: Record<string, string[]> = {};
  for (const variable of (dashboard.templating?.list ?? []) as VariableModel[]) {
    const override = overrides[variable.name];
    if (override) {
      variables[variable.name] = override;
      continue;
    }
    if (variable.type === 'custom') {
      const value = (variable.current as { value?: string } | undefined)?.value;
      if (!value) throw new Error(`${variable.name} has no default`);
      variables[variable.name] = [value];
      continue;
    }
    if (variable.type !== 'query') throw new Error(`variable type ${variable.type} is not emulated`);
    const { series = [] } = await influx.query(interpolate(String(variable.query), { ...base, variables }));
    // SHOW TAG VALUES answers [key, value] rows; Grafana offers the distinct values, sorted.
    const values = [...new Set(series.flatMap((s) => s.values.map((v) => String(v[1]))))];
    if (variable.sort === 1) values.sort();
    else if (variable.sort === 2) values.sort().reverse();
    else throw new Error(`variable sort ${variable.sort} is not emulated`);
    if (!values.length) throw new Error(`${variable.name}: no values for ${variable.query}`);
    variables[variable.name] = variable.multi ? values : values.slice(0, 1);
  }
  return variables;
}

/** A panel's final table as { key value (a scenario, an N) -> { display name -> value } }. */
export function rowsBy(frames: Frame[], key: string): Record<string, Record<string, unknown>> {
  if (frames.length !== 1) throw new Error(`${frames.length} frames, not one joined table`);
  const [frame] = frames as [Frame];
  const names = frame.fields.map((f) => displayName(f, frame, frames));
  const column = frame.fields[names.indexOf(key)];
  if (!column) throw new Error(`the table has no ${key} column`);
  const out: Record<string, Record<string, unknown>> = {};
  for (let row = 0; row < frame.length; row++) {
    out[String(column.values[row])] = Object.fromEntries(
      frame.fields.map((f, i) => [names[i], f.values[row]]),
    );
  }
  return out;
}
