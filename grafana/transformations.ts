// Grafana transformations the panels use, typed with the options each is given here. The Grafana
// emulator in test/helpers/ implements exactly these and throws on any other option.

import type { DataTransformerConfig } from '@grafana/schema';
import { TAGS } from '../lib/registry.ts';
import { FIELDS } from './names.ts';

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

/**
 * The per-target tables side by side, a row per scenario. `outerTabular` because the key is a
 * string: the time-series `outer` join sorts keys as numbers.
 */
export const joinOnScenario = (): Transformation => ({
  id: 'joinByField',
  options: { byField: FIELDS.scenario, mode: 'outerTabular' },
});

/** A row per scenario (or per N), a column per server. */
export const joinServersBy = (key: string): Transformation => ({
  id: 'joinByLabels',
  options: { value: TAGS.server, join: [key] },
});

/**
 * Rows in numeric order of a string tag (InfluxDB orders series by tag value as text: 1, 10,
 * 100, 2, ...): to a number, sorted, back to a string, which the bar chart needs for its x axis.
 */
export const numericOrder = (field: string): Transformation[] => [
  { id: 'convertFieldType', options: { conversions: [{ targetField: field, destinationType: 'number' }] } },
  { id: 'sortBy', options: { sort: [{ field, desc: false }] } },
  { id: 'convertFieldType', options: { conversions: [{ targetField: field, destinationType: 'string' }] } },
];

const byName = (name: string) => ({ matcher: { id: 'byName' as const, options: name } });

/** A column `alias` = left / right; Grafana leaves the frame as it is when either is missing. */
export const divide = (left: string, right: string, alias: string): Transformation => ({
  id: 'calculateField',
  options: {
    mode: 'binary',
    binary: { left: byName(left), operator: '/', right: byName(right) },
    alias,
    timeSeries: false,
  },
});

export const reduceRow = (include: string[], reducer: StatCalc, alias: string): Transformation => ({
  id: 'calculateField',
  options: { mode: 'reduceRow', reduce: { include, reducer }, alias, timeSeries: false },
});

/** Keeps these fields, in this order (the bar chart draws its series in field order). */
export const keepOnly = (names: string[]): Transformation[] => [
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
