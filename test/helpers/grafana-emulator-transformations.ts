// The Grafana transformations the dashboards use, on data frames, and Grafana's rules for a
// field's display name (which the transformations match by). Any option or path the dashboards
// do not use throws, so an unemulated case cannot pass silently.
//
// joinByField (outerTabular), calculateField, filterFieldsByName and organize were checked once
// against @grafana/data 12.4.3's own transformers on the recorded run (same field names, same
// values); joinByLabels, convertFieldType and sortBy follow Grafana 12's source
// (public/app/features/transformers/joinByLabels, grafana-data transformers).

import type {
  CalculateFieldOptions,
  ConvertFieldTypeOptions,
  FilterFieldsByNameOptions,
  JoinByFieldOptions,
  JoinByLabelsOptions,
  OrganizeOptions,
  ReduceRowOptions,
  SortByOptions,
  StatCalc,
  Transformation,
} from '../../grafana/transformations.ts';

export type FieldType = 'time' | 'number' | 'string' | 'boolean';
export interface Field {
  name: string;
  type: FieldType;
  values: unknown[];
  config: { displayName?: string; displayNameFromDS?: string };
  labels?: Record<string, string>;
}
export interface Frame {
  name?: string;
  refId?: string;
  fields: Field[];
  length: number;
}

function formatLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return keys.length ? `{${keys.map((k) => `${k}="${labels[k]}"`).join(', ')}}` : '';
}

function singleLabelName(frames: Frame[]): string | null {
  let single: string | null = null;
  for (const frame of frames) {
    for (const field of frame.fields) {
      for (const key of Object.keys(field.labels ?? {})) {
        if (single === null) single = key;
        else if (key !== single) return null;
      }
    }
  }
  return single;
}

function uniqueFieldName(field: Field, frame: Frame): string {
  let dupes = 0;
  let foundSelf = false;
  for (const other of frame.fields) {
    if (other === field) {
      foundSelf = true;
      if (dupes > 0) {
        dupes++;
        break;
      }
    } else if (other.name === field.name) {
      dupes++;
      if (foundSelf) break;
    }
  }
  return dupes ? `${field.name} ${dupes}` : field.name;
}

/** @grafana/data field/fieldState.ts calculateFieldDisplayName (no time-compare frames here). */
export function displayName(field: Field, frame: Frame, allFrames: Frame[]): string {
  if (field.config.displayName) return field.config.displayName;
  if (field.config.displayNameFromDS) return field.config.displayNameFromDS;
  if (field.type === 'time' && !field.labels) return field.name || 'Time';
  const parts: string[] = [];
  const frameNamesDiffer = allFrames.some((f, i) => i > 0 && f.name !== allFrames[i - 1]?.name);
  let frameNameAdded = false;
  let labelsAdded = false;
  if (frameNamesDiffer && frame.name) {
    parts.push(frame.name);
    frameNameAdded = true;
  }
  if (field.name && field.name !== 'Value') parts.push(field.name);
  if (field.labels) {
    const single = singleLabelName(allFrames.length ? allFrames : [frame]);
    if (!single) {
      const all = formatLabels(field.labels);
      if (all) {
        parts.push(all);
        labelsAdded = true;
      }
    } else if (field.labels[single]) {
      parts.push(field.labels[single]);
      labelsAdded = true;
    }
  }
  if (!frameNameAdded && !labelsAdded && field.name === 'Value' && frame.name) parts.push(frame.name);
  const name = parts.length ? parts.join(' ') : field.name || 'Value';
  return name === field.name ? uniqueFieldName(field, frame) : name;
}

/** The byName / byNames field matchers: the field's name or its display name. */
const matchesName = (names: string[], field: Field, frame: Frame, all: Frame[]) =>
  names.includes(field.name) || names.includes(displayName(field, frame, all));

/** joinDataFrames.joinTabular with outer = true. */
function joinTabular(tables: unknown[][][]): unknown[][] {
  let left = tables[0] ?? [];
  for (const right of tables.slice(1)) {
    const index = new Map<string, number[]>();
    (right[0] ?? []).forEach((key, i) => {
      index.set(String(key), [...(index.get(String(key)) ?? []), i]);
    });
    const rows: [number | null, number | null][] = [];
    const matchedKeys = new Set<string>();
    const unmatchedLeft: number[] = [];
    (left[0] ?? []).forEach((key, i) => {
      const matches = key == null ? undefined : index.get(String(key));
      if (matches) {
        for (const r of matches) rows.push([i, r]);
        matchedKeys.add(String(key));
      } else unmatchedLeft.push(i);
    });
    for (const i of unmatchedLeft) rows.push([i, null]);
    for (const [key, matches] of index)
      if (!matchedKeys.has(key)) for (const r of matches) rows.push([null, r]);
    const joined: unknown[][] = [];
    left.forEach((column, c) => {
      joined.push(
        rows.map(([l, r]) => (l === null ? (c === 0 && r !== null ? right[0]?.[r] : null) : column[l])),
      );
    });
    right.slice(1).forEach((column) => {
      joined.push(rows.map(([, r]) => (r === null ? null : column[r])));
    });
    left = joined;
  }
  return left;
}

function joinByField(frames: Frame[], options: JoinByFieldOptions): Frame[] {
  if (frames.length <= 1) return frames;
  if (options.mode !== 'outerTabular') throw new Error(`joinByField mode ${options.mode} is not emulated`);
  const tables: unknown[][][] = [];
  const fields: Field[] = [];
  for (const frame of frames) {
    if (!frame.fields.length) continue;
    let key: Field | undefined;
    const others: Field[] = [];
    for (const field of frame.fields) {
      if (!key && matchesName([options.byField], field, frame, frames)) {
        key = field;
        continue;
      }
      let labels = field.labels ?? {};
      let name = field.name;
      if (frame.name) {
        if (field.name === 'Value') name = frame.name;
        else if (labels.name == null) labels = { ...labels, name: frame.name };
      }
      others.push({ ...field, name, labels });
    }
    if (!key) continue;
    if (!fields.length) fields.push(key);
    fields.push(...others);
    tables.push([key.values, ...others.map((f) => f.values)]);
  }
  const joined = joinTabular(tables);
  return [
    {
      refId: `joinByField-${frames.map((f) => f.refId).join('-')}`,
      length: joined[0]?.length ?? 0,
      fields: fields.map((f, i) => ({ ...f, values: joined[i] ?? [] })),
    },
  ];
}

/** fieldReducer.doStandardCalcs for mean and max, nulls neither ignored nor zero (the defaults). */
export function reduceValues(values: unknown[], calc: StatCalc): number | null {
  const numbers = values.filter((v): v is number => v != null && !Number.isNaN(v));
  if (!numbers.length) return null;
  return calc === 'mean' ? numbers.reduce((a, b) => a + b, 0) / numbers.length : Math.max(...numbers);
}

const calculated = (alias: string, values: unknown[]): Field => ({
  name: alias,
  type: 'number',
  values,
  config: { displayName: alias },
});

function calculateField(frames: Frame[], options: CalculateFieldOptions | ReduceRowOptions): Frame[] {
  if (options.timeSeries !== false) throw new Error('only timeSeries: false is emulated');
  if (options.mode === 'reduceRow') {
    return frames.map((frame) => {
      const columns = frame.fields.filter((f) => matchesName(options.reduce.include, f, frame, frames));
      const values = Array.from({ length: frame.length }, (_, row) =>
        reduceValues(
          columns.map((c) => c.values[row]),
          options.reduce.reducer,
        ),
      );
      return { ...frame, fields: [...frame.fields, calculated(options.alias, values)] };
    });
  }
  const operations: Record<string, (a: number, b: number) => number> = {
    '+': (a, b) => a + b,
    '-': (a, b) => a - b,
    '*': (a, b) => a * b,
    '/': (a, b) => a / b,
  };
  const operation = operations[options.binary.operator];
  if (!operation) throw new Error(`operator ${options.binary.operator}`);
  return frames.map((frame) => {
    const find = (name: string) =>
      frame.fields.find((f) => name === displayName(f, frame, frames))?.values as number[] | undefined;
    const left = find(options.binary.left.matcher.options);
    const right = find(options.binary.right.matcher.options);
    // Grafana returns the frame unchanged when an operand is missing: no column, no error.
    if (!left || !right) return frame;
    const values = left.map((l, i) => operation(l, right[i] as number));
    return { ...frame, fields: [...frame.fields, calculated(options.alias, values)] };
  });
}

function filterFieldsByName(frames: Frame[], options: FilterFieldsByNameOptions): Frame[] {
  return frames
    .map((frame) => ({
      ...frame,
      fields: frame.fields.filter((f) => matchesName(options.include.names, f, frame, frames)),
    }))
    .filter((frame) => frame.fields.length > 0);
}

/** "Organize fields" used only to order: its filter and rename steps are no-ops when empty. */
function organize(frames: Frame[], options: OrganizeOptions): Frame[] {
  const unused = [options.excludeByName, options.includeByName, options.renameByName];
  if (unused.some((o) => Object.keys(o ?? {}).length > 0))
    throw new Error('organize: only indexByName is emulated');
  const index = (name: string) => {
    const i = options.indexByName[name];
    return Number.isInteger(i) ? (i as number) : Number.MAX_SAFE_INTEGER;
  };
  return frames.map((frame) => ({
    ...frame,
    // Array.prototype.sort is stable, as Grafana's order transformer relies on.
    fields: [...frame.fields].sort(
      (a, b) => index(displayName(a, frame, frames)) - index(displayName(b, frame, frames)),
    ),
  }));
}

/** public/app/features/transformers/joinByLabels/joinByLabels.ts (Grafana 12). */
function joinByLabels(frames: Frame[], options: JoinByLabelsOptions): Frame[] {
  if (!frames.length) return frames;
  const distinct = new Set(frames.flatMap((f) => f.fields.flatMap((x) => Object.keys(x.labels ?? {}))));
  // Grafana returns an error frame here; the panel shows the error.
  if (!distinct.size || !distinct.has(options.value)) throw new Error('joinByLabels: no such labels');
  const join = (options.join.length ? options.join : [...distinct]).filter((k) => k !== options.value);
  const names: string[] = [];
  const found = new Map<string, { keys: string[]; values: Record<string, unknown[]> }>();
  for (const frame of frames) {
    for (const field of frame.fields) {
      if (!field.labels || field.type === 'time') continue;
      const keys = join.map((k) => field.labels?.[k] as string);
      const key = keys.join(',');
      const item = found.get(key) ?? { keys, values: {} };
      found.set(key, item);
      const name = field.labels[options.value] as string;
      item.values[name] = [...(item.values[name] ?? []), ...field.values];
      if (!names.includes(name)) names.push(name);
    }
  }
  const joinValues = join.map((): unknown[] => []);
  const nameValues = names.map((): unknown[] => []);
  for (const item of found.values()) {
    for (let offset = 0, done = false; !done; offset++) {
      done = true;
      for (const [i] of join.entries()) joinValues[i]?.push(item.keys[i]);
      for (const [i, name] of names.entries()) {
        const values = item.values[name] ?? [];
        nameValues[i]?.push(values[offset]);
        if (values.length > offset + 1) done = false;
      }
    }
  }
  const fields: Field[] = [
    ...join.map((name, i) => ({ name, type: 'string' as const, values: joinValues[i] ?? [], config: {} })),
    ...names.map((name, i) => ({ name, type: 'number' as const, values: nameValues[i] ?? [], config: {} })),
  ];
  return [{ refId: 'joinByLabels', fields, length: nameValues[0]?.length ?? 0 }];
}

/** grafana-data convertFieldType: to number (`+v`, '' and null to null) and number to string (`${v}`). */
function convertFieldType(frames: Frame[], options: ConvertFieldTypeOptions): Frame[] {
  let out = frames;
  for (const { targetField, destinationType } of options.conversions) {
    out = out.map((frame) => ({
      ...frame,
      fields: frame.fields.map((field) => {
        if (!matchesName([targetField], field, frame, out)) return field;
        if (destinationType === 'number') {
          const values = field.values.map((v) => {
            if (v == null || v === '') return null;
            const n = +(typeof v === 'string' ? v.replace(/,/g, '') : (v as number));
            return Number.isFinite(n) ? n : null;
          });
          return { ...field, type: 'number' as const, values };
        }
        if (field.type !== 'number') throw new Error('convertFieldType: only number -> string is emulated');
        return { ...field, type: 'string' as const, values: field.values.map((v) => `${v}`) };
      }),
    }));
  }
  return out;
}

/** grafana-data sortBy: the first sort entry, by display name, numbers ascending or descending. */
function sortBy(frames: Frame[], options: SortByOptions): Frame[] {
  const [sort] = options.sort;
  if (!sort) return frames;
  return frames.map((frame) => {
    const key = frame.fields.find((f) => displayName(f, frame, [frame]) === sort.field);
    if (!key) return frame;
    if (key.type !== 'number') throw new Error('sortBy: only number fields are emulated');
    const order = Array.from({ length: frame.length }, (_, i) => i).sort((a, b) => {
      const d = (key.values[a] as number) - (key.values[b] as number);
      return sort.desc ? -d : d;
    });
    return { ...frame, fields: frame.fields.map((f) => ({ ...f, values: order.map((i) => f.values[i]) })) };
  });
}

/** A panel's transformations in order, as Grafana applies them (a disabled one skipped). */
export function transform(frames: Frame[], transformations: Transformation[]): Frame[] {
  return transformations.reduce((data, t) => {
    if (t.disabled) return data;
    if (t.id === 'joinByField') return joinByField(data, t.options);
    if (t.id === 'joinByLabels') return joinByLabels(data, t.options);
    if (t.id === 'convertFieldType') return convertFieldType(data, t.options);
    if (t.id === 'sortBy') return sortBy(data, t.options);
    if (t.id === 'calculateField') return calculateField(data, t.options);
    if (t.id === 'filterFieldsByName') return filterFieldsByName(data, t.options);
    if (t.id === 'organize') return organize(data, t.options);
    throw new Error(`transformation ${(t as { id: string }).id} is not emulated`);
  }, frames);
}
