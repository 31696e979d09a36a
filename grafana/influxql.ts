// The InfluxQL the panels run: the filters every query shares (the run, the measured requests,
// the closed-model scenarios, the sweep) and the query builders, as Grafana InfluxDB targets.

import type { DataSourceRef } from '@grafana/schema';
import { escapeRegex, quoteIdent, quoteString } from '../lib/influxql.ts';
import { METRICS, REQUEST_NAMES, STRESS_OPEN_SCENARIO, SWEEP, TAGS } from '../lib/registry.ts';
import { DATASOURCE, FIELDS, MEASURE, VARIABLES } from './names.ts';

export interface InfluxTarget {
  [key: string]: unknown;
  refId: string;
  datasource: DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: 'table' | 'time_series';
  alias?: string;
}

export const is = (tag: string, value: string) => `${quoteIdent(tag)} = ${quoteString(value)}`;
const isNot = (tag: string, value: string) => `${quoteIdent(tag)} != ${quoteString(value)}`;
/** A template variable named like its tag (Grafana expands a multi-value one to `(a|b|c)`). */
export const inVariable = (tag: string, variable = tag) => `${quoteIdent(tag)} =~ /^$${variable}$/`;
const notInVariable = (tag: string, variable = tag) => `${quoteIdent(tag)} !~ /^$${variable}$/`;

/** The run the dashboard shows: every query has it, so two runs in one time range never mix. */
export const RUN = inVariable(TAGS.testid, VARIABLES.testid);

/**
 * The measured requests: /io, and /stream in stream scenarios (the route each slot measures, as
 * summary.json takes it); never the CPU sampler's /stats polls or setup's /health.
 */
export const MEASURED_ROUTES = `${quoteIdent(TAGS.name)} =~ /^(${[REQUEST_NAMES.io, REQUEST_NAMES.stream]
  .map(escapeRegex)
  .join('|')})$/`;

/** The measured requests after warm-up. */
export const MEASURED_IO = [MEASURED_ROUTES, is(TAGS.phase, MEASURE)];

/** The closed-model scenarios only: the open-model variant is reported apart (as in summary.json). */
export const CLOSED_MODEL = isNot(TAGS.scenario, STRESS_OPEN_SCENARIO);

/** Scenario tag value of every sweep sample. */
export const SWEEP_ONLY = is(TAGS.scenario, SWEEP.scenario);

/** Suite runs: a run with scenarios other than the sweep's. */
export const SUITE_RUNS = isNot(TAGS.scenario, SWEEP.scenario);

export function select(
  expression: string,
  measurement: string,
  conditions: string[],
  groupBy: string[],
  fill = '',
) {
  const where = [...conditions, RUN, '$timeFilter'].join(' AND ');
  const tail = fill ? ` ${fill}` : '';
  return `SELECT ${expression} FROM ${quoteIdent(measurement)} WHERE ${where} GROUP BY ${groupBy.join(', ')}${tail}`;
}

function tableTarget(refId: string, query: string): InfluxTarget {
  return { refId, datasource: DATASOURCE, query, rawQuery: true, resultFormat: 'table' };
}

export function seriesTarget(refId: string, query: string, alias: string): InfluxTarget {
  return { refId, datasource: DATASOURCE, query, rawQuery: true, resultFormat: 'time_series', alias };
}

/** Names each time series after its server: `$tag_server`. */
const BY_SERVER_ALIAS = `$tag_${TAGS.server}`;

/**
 * One table query per built-in target: `expression AS "<alias(target)>"` per scenario. With
 * `compared`, the reference's own query is empty (`server !~ /^$reference$/`): a target is not
 * compared with itself.
 */
export function perTargetByScenario(
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
        `${expression} AS ${quoteIdent(alias(target))}`,
        measurement,
        [
          is(TAGS.server, target),
          ...(compared ? [notInVariable(TAGS.server, VARIABLES.reference)] : []),
          ...conditions,
          inVariable(TAGS.scenario),
        ],
        [quoteIdent(TAGS.scenario)],
      ),
    ),
  );
}

/** The reference target's figure per scenario, whichever sync target `$reference` names. */
export function referenceByScenario(
  refId: string,
  expression: string,
  measurement: string,
  conditions: string[],
  alias: string,
): InfluxTarget {
  return tableTarget(
    refId,
    select(
      `${expression} AS ${quoteIdent(alias)}`,
      measurement,
      [inVariable(TAGS.server, VARIABLES.reference), ...conditions, inVariable(TAGS.scenario)],
      [quoteIdent(TAGS.scenario)],
    ),
  );
}

/** The selected servers (the `server` variable). */
const SERVERS = inVariable(TAGS.server);

/**
 * One series per server (and `groupBy`), named by the server: the per-server lines, and the
 * series `joinByLabels` turns into a column per server whatever servers the run has. `where`
 * places the server filter itself (SERVERS), so each query keeps its order of conditions.
 */
export function perServer(
  expression: string,
  measurement: string,
  where: string[],
  groupBy: string[],
  fill = '',
): InfluxTarget {
  return seriesTarget(
    'A',
    select(expression, measurement, where, [...groupBy, quoteIdent(TAGS.server)], fill),
    BY_SERVER_ALIAS,
  );
}

/** One series per (key, server) over the whole range: a row per key value once joined by labels. */
export function perServerBy(
  key: string,
  expression: string,
  measurement: string,
  conditions: string[],
): InfluxTarget {
  return perServer(expression, measurement, [...conditions, SERVERS], [quoteIdent(key)]);
}

/** The theory's speedup per scenario, as the suite recorded it for the run (theory_speedup). */
export function theoryTarget(): InfluxTarget {
  return tableTarget(
    'theory',
    select(
      `last("value") AS ${quoteIdent(FIELDS.theory)}`,
      METRICS.theorySpeedup,
      [inVariable(TAGS.scenario)],
      [quoteIdent(TAGS.scenario)],
    ),
  );
}

/** One series per server over time, in the scenarios selected. */
export function perServerOverTime(
  expression: string,
  measurement: string,
  conditions: string[],
  interval = '$__interval',
): InfluxTarget {
  return perServer(
    expression,
    measurement,
    [...conditions, SERVERS, inVariable(TAGS.scenario)],
    [`time(${interval})`],
    'fill(none)',
  );
}
