// The dashboards' template variables: the run (testid), the scenario and server filters, and the
// sync reference every ratio divides by.

import type { VariableModel } from '@grafana/schema';
import { quoteIdent } from '../lib/influxql.ts';
import { DEFAULT_REFERENCE, METRICS, TAGS } from '../lib/registry.ts';
import { RUN, SUITE_RUNS } from './influxql.ts';
import { DATASOURCE, VARIABLES } from './names.ts';

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
export function testidVariable(where: string): VariableModel {
  const query = `SHOW TAG VALUES FROM ${quoteIdent(METRICS.ioCompleted)} WITH KEY = ${quoteIdent(TAGS.testid)} WHERE ${where}`;
  return queryVariable(VARIABLES.testid, 'Run (testid)', query, false, 2);
}

/**
 * Tag values of the selected run (and `extra` conditions) in any measurement, so a scenario
 * that only some metrics carry (a stream's stream_ttft) is offered too; multi-select with All.
 */
export function tagVariable(tag: string, label: string, extra: string[] = []): VariableModel {
  const where = [RUN, ...extra].join(' AND ');
  const query = `SHOW TAG VALUES WITH KEY = ${quoteIdent(tag)} WHERE ${where}`;
  return queryVariable(tag, label, query, true, 1);
}

/**
 * The sync target every ratio divides by: any sync server of the selected run, a user's own
 * (black-box) service included, by the `model` tag its samples carry; single-select, the
 * registry's reference by default (Grafana keeps it when the run has it, else takes the first).
 */
function referenceVariable(): VariableModel {
  const where = [RUN, `${quoteIdent(TAGS.model)} = 'sync'`].join(' AND ');
  const query = `SHOW TAG VALUES FROM ${quoteIdent(METRICS.ioCompleted)} WITH KEY = ${quoteIdent(TAGS.server)} WHERE ${where}`;
  return Object.assign(queryVariable(VARIABLES.reference, 'Reference (sync)', query, false, 1), {
    current: { selected: true, text: DEFAULT_REFERENCE, value: DEFAULT_REFERENCE },
  });
}

/** The speedup and CPU dashboards: suite runs, their scenarios and servers, and the reference. */
export const suiteVariables = (reference: boolean): VariableModel[] => [
  testidVariable(SUITE_RUNS),
  tagVariable(TAGS.scenario, 'Scenario'),
  tagVariable(TAGS.server, 'Server'),
  ...(reference ? [referenceVariable()] : []),
];
