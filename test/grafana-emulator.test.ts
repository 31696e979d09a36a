// The Grafana emulator (test/helpers/grafana-emulator*.ts) on small hand-made frames and a stand-in
// InfluxDB: each interpolation rule, response format, variable rule and transformation the
// dashboards rely on, with the options the dashboards' own builders produce.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dashboard, Panel, VariableModel } from '@grafana/schema';
import {
  divide,
  joinOnScenario,
  joinServersBy,
  keepOnly,
  numericOrder,
  reduceRow,
  type Transformation,
} from '../grafana/transformations.ts';
import {
  displayName,
  type Field,
  type Frame,
  type InfluxQuery,
  interpolate,
  panelFrames,
  type QueryContext,
  resolveVariables,
  roundInterval,
  rowsBy,
  tableFrames,
  timeSeriesFrames,
  transform,
} from './helpers/grafana-emulator.ts';
import type { InfluxSeries } from './helpers/influxdb.ts';

const ctx = (variables: Record<string, string[]> = {}): QueryContext => ({
  from: 1_000_000,
  to: 2_000_000,
  variables,
  maxDataPoints: 1000,
});

/** A table query's frame: Time, the scenario tag, then one column. */
function table(refId: string, column: string, rows: [string, number | null][]): Frame {
  return tableFrames(
    rows.map(([scenario, value]) => ({
      name: 'm',
      tags: { scenario },
      columns: ['time', column],
      values: [[0, value]],
    })),
    refId,
  )[0] as Frame;
}

/** A time-series frame of one server and one key tag, named by the server. */
const series = (server: string, tags: Record<string, string>, values: number[]): InfluxSeries => ({
  name: 'm',
  tags: { ...tags, server },
  columns: ['time', 'mean'],
  values: values.map((v, i) => [i, v]),
});

const names = (frames: Frame[]) => frames.flatMap((f) => f.fields.map((x) => displayName(x, f, frames)));
const field = (name: string, values: unknown[], extra: Partial<Field> = {}): Field => ({
  name,
  type: 'number',
  values,
  config: {},
  ...extra,
});

/** A stand-in InfluxDB: answers each query from `answers` by a substring, and records the queries. */
function fakeInflux(answers: [string, InfluxSeries[]][]): InfluxQuery & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async query(q: string) {
      asked.push(q);
      return { series: answers.find(([part]) => q.includes(part))?.[1] ?? [] };
    },
  };
}

describe('Grafana emulator: InfluxQL interpolation', () => {
  it('rounds the interval to Grafana’s steps', () => {
    assert.equal(roundInterval(1000), 1000);
    assert.equal(roundInterval(1499), 1000);
    assert.equal(roundInterval(1500), 2000);
    assert.equal(roundInterval(12), 10);
    assert.throws(() => roundInterval(100_000), /beyond/);
  });

  it('fills the time filter, the interval and the variables, regex-escaped, All as (a|b)', () => {
    const q = interpolate(
      'SELECT x FROM m WHERE "s" =~ /^$server$/ AND "t" =~ /^$testid$/ AND $timeFilter GROUP BY time($__interval) -- $__interval_ms',
      ctx({ server: ['koa', 'a.b/c'], testid: ['20261127-101500'] }),
    );
    assert.equal(
      q,
      'SELECT x FROM m WHERE "s" =~ /^(koa|a\\.b\\/c)$/ AND "t" =~ /^20261127-101500$/ AND time >= 1000000ms and time <= 2000000ms GROUP BY time(1s) -- 1000',
    );
    // Under a second, the interval is in ms.
    assert.match(interpolate('$__interval', { ...ctx(), to: 1_200_000 }), /^200ms$/);
  });
});

describe('Grafana emulator: responses to frames', () => {
  it('table format: one frame for every series, Time, the tags, then each column', () => {
    const frame = table('A', 'koa latency', [
      ['low', 10],
      ['high', 20],
    ]);
    assert.deepEqual(
      frame.fields.map((f) => [f.name, f.type, f.values]),
      [
        ['Time', 'time', [0, 0]],
        ['scenario', 'string', ['low', 'high']],
        ['koa latency', 'number', [10, 20]],
      ],
    );
    assert.deepEqual(names([frame]), ['Time', 'scenario', 'koa latency']);
    assert.throws(() => tableFrames([{ name: 'm', columns: ['key', 'value'], values: [] }], 'A'), /time/);
  });

  it('time_series format: a frame per series named by the alias, the value labelled with the tags', () => {
    const frames = timeSeriesFrames(
      [series('koa', {}, [1, 2]), series('express', {}, [3])],
      'A',
      '$tag_server',
    );
    assert.deepEqual(
      frames.map((f) => [f.name, f.fields[1]?.labels?.server, f.fields[1]?.values]),
      [
        ['koa', 'koa', [1, 2]],
        ['express', 'express', [3]],
      ],
    );
    assert.deepEqual(names(frames), ['Time', 'koa', 'Time', 'express']);
    assert.throws(() => timeSeriesFrames([series('koa', {}, [1])], 'A', '$col'), /not emulated/);
  });
});

describe('Grafana emulator: display names', () => {
  it('names a labelled value by its only label key’s value, else by all its labels', () => {
    const one: Frame = { fields: [field('Value', [1], { labels: { server: 'koa' } })], length: 1 };
    assert.deepEqual(names([one]), ['koa']);
    const two: Frame = {
      fields: [field('Value', [1], { labels: { server: 'koa', scenario: 'low' } })],
      length: 1,
    };
    assert.deepEqual(names([two]), ['{scenario="low", server="koa"}']);
  });

  it('numbers fields of the same name in a frame, as Grafana does', () => {
    const frame: Frame = { fields: [field('x', [1]), field('x', [2]), field('y', [3])], length: 1 };
    assert.deepEqual(names([frame]), ['x 1', 'x 2', 'y']);
  });
});

describe('Grafana emulator: transformations', () => {
  it('joinByField (outerTabular) puts tables side by side by scenario, keeping rows either side lacks', () => {
    const [joined] = transform(
      [
        table('a', 'express latency', [
          ['low', 100],
          ['high', 400],
        ]),
        table('b', 'koa latency', [
          ['high', 50],
          ['stream', 60],
        ]),
      ],
      [joinOnScenario()],
    ) as [Frame];
    const rows = rowsBy([joined], 'scenario');
    assert.deepEqual(Object.keys(rows), ['high', 'low', 'stream']);
    assert.equal(rows.high?.['express latency'], 400);
    assert.equal(rows.high?.['koa latency'], 50);
    assert.equal(rows.low?.['koa latency'], null);
    assert.equal(rows.stream?.['express latency'], null);
    const outer = { id: 'joinByField', options: { byField: 'scenario', mode: 'outer' } } as Transformation;
    assert.throws(() => transform([table('a', 'x', []), table('b', 'y', [])], [outer]), /not emulated/);
  });

  it('calculateField divides two columns, and leaves the frame alone when one is missing', () => {
    const frames = [
      table('r', 'reference latency', [['low', 100]]),
      table('k', 'koa latency', [['low', 25]]),
    ];
    const steps = [joinOnScenario(), divide('reference latency', 'koa latency', 'koa')];
    assert.equal(rowsBy(transform(frames, steps), 'scenario').low?.koa, 4);
    const missing = transform(frames, [
      joinOnScenario(),
      divide('reference latency', 'quart latency', 'quart'),
    ]);
    assert.ok(!names(missing).includes('quart'), 'no column for a target without data');
  });

  it('calculateField reduceRow takes each row’s mean or max, skipping nulls', () => {
    const frame: Frame = {
      fields: [
        field('scenario', ['a', 'b'], { type: 'string' }),
        field('koa', [2, null]),
        field('fastify', [4, 6]),
      ],
      length: 2,
    };
    const mean = rowsBy(transform([frame], [reduceRow(['koa', 'fastify'], 'mean', 'average')]), 'scenario');
    assert.deepEqual([mean.a?.average, mean.b?.average], [3, 6]);
    const max = rowsBy(transform([frame], [reduceRow(['koa', 'fastify'], 'max', 'max')]), 'scenario');
    assert.deepEqual([max.a?.max, max.b?.max], [4, 6]);
  });

  it('filterFieldsByName and organize keep the named fields, in the given order', () => {
    const frame: Frame = {
      fields: [
        field('theory', [1]),
        field('scenario', ['a'], { type: 'string' }),
        field('koa', [2]),
        field('x', [3]),
      ],
      length: 1,
    };
    assert.deepEqual(names(transform([frame], keepOnly(['scenario', 'koa', 'theory']))), [
      'scenario',
      'koa',
      'theory',
    ]);
    const renaming = {
      id: 'organize',
      options: { indexByName: {}, excludeByName: {}, includeByName: {}, renameByName: { koa: 'Koa' } },
    } as unknown as Transformation;
    assert.throws(() => transform([frame], [renaming]), /only indexByName/);
  });

  it('joinByLabels makes a row per key and a column per server, whatever the servers', () => {
    const frames = timeSeriesFrames(
      [
        series('koa', { scenario: 'low' }, [10]),
        series('my-server', { scenario: 'low' }, [30]),
        series('koa', { scenario: 'high' }, [20]),
      ],
      'A',
      '$tag_server',
    );
    const rows = rowsBy(transform(frames, [joinServersBy('scenario')]), 'scenario');
    assert.deepEqual(rows, {
      low: { scenario: 'low', koa: 10, 'my-server': 30 },
      high: { scenario: 'high', koa: 20, 'my-server': undefined },
    });
    // Grafana answers an error frame when the key label is absent; the emulator throws.
    const missing = { id: 'joinByLabels', options: { value: 'missing', join: [] } } as Transformation;
    assert.throws(() => transform(frames, [missing]), /no such labels/);
  });

  it('numericOrder sorts a string tag as numbers and gives strings back', () => {
    const frame: Frame = {
      fields: [field('clients', ['10', '2', '1'], { type: 'string' }), field('koa', [30, 20, 10])],
      length: 3,
    };
    const [sorted] = transform([frame], numericOrder('clients')) as [Frame];
    assert.deepEqual(
      sorted.fields.map((f) => [f.type, f.values]),
      [
        ['string', ['1', '2', '10']],
        ['number', [10, 20, 30]],
      ],
    );
  });

  it('skips a disabled transformation, and throws on one it does not emulate', () => {
    const frame = table('a', 'x', [['low', 1]]);
    const disabled = { ...divide('x', 'x', 'ratio'), disabled: true };
    assert.ok(!names(transform([frame], [disabled])).includes('ratio'));
    assert.throws(
      () => transform([frame], [{ id: 'merge', options: {} } as unknown as Transformation]),
      /merge/,
    );
  });
});

describe('Grafana emulator: variables and panels', () => {
  const variable = (v: Partial<VariableModel>) => v as VariableModel;
  const dashboard = {
    templating: {
      list: [
        variable({
          name: 'testid',
          type: 'query',
          query: 'SHOW TAG VALUES WITH KEY = "testid"',
          multi: false,
          sort: 2,
        }),
        variable({
          name: 'server',
          type: 'query',
          query: 'SHOW TAG VALUES WITH KEY = "server" WHERE "testid" =~ /^$testid$/',
          multi: true,
          sort: 1,
        }),
        variable({ name: 'reference', type: 'custom', current: { value: 'express' } as never }),
      ],
    },
  } as Dashboard;
  const tagValues = (key: string, values: string[]): InfluxSeries[] => [
    { name: 'm', columns: ['key', 'value'], values: values.map((v) => [key, v]) },
  ];

  it('resolves variables in order: the newest run alone, every server of that run, the custom default', async () => {
    const influx = fakeInflux([
      ['KEY = "testid"', tagValues('testid', ['20261127-101500', '20261128-090000', 'fixture'])],
      ['KEY = "server"', tagValues('server', ['koa', 'express', 'koa'])],
    ]);
    const variables = await resolveVariables(influx, dashboard, { from: 0, to: 1e6, maxDataPoints: 1000 });
    assert.deepEqual(variables, { testid: ['fixture'], server: ['express', 'koa'], reference: ['express'] });
    assert.match(
      influx.asked[1] ?? '',
      /=~ \/\^fixture\$\//,
      'the server query sees the run chosen before it',
    );
  });

  it('takes an override instead of resolving, and refuses a query with no values', async () => {
    const influx = fakeInflux([['KEY = "server"', tagValues('server', ['koa'])]]);
    const base = { from: 0, to: 1e6, maxDataPoints: 1000 };
    const variables = await resolveVariables(influx, dashboard, base, { testid: ['other'] });
    assert.deepEqual(variables.testid, ['other']);
    await assert.rejects(resolveVariables(fakeInflux([]), dashboard, base), /testid: no values/);
  });

  it('runs a panel’s queries and transformations into the table it draws', async () => {
    const tableSeries = (column: string, value: number): InfluxSeries[] => [
      { name: 'm', tags: { scenario: 'low' }, columns: ['time', column], values: [[0, value]] },
    ];
    const influx = fakeInflux([
      ['"reference latency"', tableSeries('reference latency', 90)],
      ['"koa latency"', tableSeries('koa latency', 30)],
    ]);
    const panel = {
      targets: [
        { refId: 'r', query: 'SELECT mean("value") AS "reference latency"', resultFormat: 'table' },
        {
          refId: 'k',
          query: 'SELECT mean("value") AS "koa latency" WHERE $timeFilter',
          resultFormat: 'table',
        },
      ],
      transformations: [
        joinOnScenario(),
        divide('reference latency', 'koa latency', 'koa'),
        ...keepOnly(['scenario', 'koa']),
      ],
    } as unknown as Panel;
    assert.deepEqual(rowsBy(await panelFrames(influx, panel, ctx()), 'scenario'), {
      low: { scenario: 'low', koa: 3 },
    });
    assert.match(influx.asked[1] ?? '', /time >= 1000000ms/);
  });
});
