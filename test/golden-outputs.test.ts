// Every output file of the results pipeline, built from recorded k6 data, byte for byte against
// the outputs the code made before a restructuring: summary.json, report.html, junit.xml and the
// terminal table from k6's end-of-test data (test/fixtures/k6-summary-data.smoke-w2.json) and from
// a run's raw samples (test/fixtures/influx-smoke.lp.gz, read here without InfluxDB), and
// sweep.json, its page and table from test/fixtures/k6-sweep-data.json (the sweep test's data,
// recorded). A difference is a change of behaviour: explain it, then re-record with
// UPDATE_GOLDEN=1.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { FILES, summaryArtifacts, sweepArtifacts } from '../k6/lib/artifacts.ts';
import { readConfig } from '../k6/lib/config.ts';
import { summaryDataFromSamples } from '../k6/lib/from-samples.ts';
import { renderJunit } from '../k6/lib/junit.ts';
import { buildPlan } from '../k6/lib/plan.ts';
import { renderReport } from '../k6/lib/report.ts';
import { renderSweepReport, renderSweepSection, renderSweepTable } from '../k6/lib/report-sweep.ts';
import { buildSummary, type K6SummaryData, type Summary } from '../k6/lib/summary.ts';
import { buildSweep } from '../k6/lib/sweep.ts';
import { renderTable } from '../k6/lib/table.ts';
import { thresholdSpecs } from '../k6/lib/thresholds.ts';
import { recordedInfluxPlan, recordedSmokePlan } from './helpers/recorded-plan.ts';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const readJson = <T>(name: string): T => JSON.parse(readFileSync(fixture(name), 'utf8')) as T;
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function same(name: string, actual: string): void {
  const file = fixture(`golden/${name}`);
  if (UPDATE) writeFileSync(file, actual);
  assert.ok(actual === readFileSync(file, 'utf8'), `${name} differs from test/fixtures/golden/${name}`);
}

function summaryOutputs(prefix: string, summary: Summary): void {
  same(`${prefix}.summary.json`, `${JSON.stringify(summary, null, 2)}\n`);
  same(`${prefix}.report.html`, renderReport(summary));
  same(`${prefix}.junit.xml`, renderJunit(summary));
  same(`${prefix}.table.txt`, renderTable(summary));
}

/** One line-protocol line -> measurement, tags and its `value` field. */
function parseLine(line: string): { metric: string; tags: Record<string, string>; value: number } | null {
  const parts: string[] = [];
  let current = '';
  let i = 0;
  for (; i < line.length && line[i] !== ' '; i++) {
    const c = line[i] as string;
    if (c === '\\') current += line[++i] ?? '';
    else if (c === ',') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  const value = /(?:^|,)value=(-?[\d.e+-]+)i?(?:,|$)/.exec(line.slice(i + 1, line.lastIndexOf(' ')));
  if (!value) return null;
  const tags: Record<string, string> = {};
  for (const pair of parts.slice(1)) {
    const eq = pair.indexOf('=');
    tags[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { metric: parts[0] as string, tags, value: Number(value[1]) };
}

describe('golden outputs from recorded k6 data', () => {
  const now = new Date('2026-11-26T21:05:01Z');
  const smokeConfig = readConfig({ SYNC_WORKERS: '2', TIME_SCALE: '0.1', SLOT_SECONDS: '30' });
  const smokePlan = recordedSmokePlan();
  const smokeSpecs = thresholdSpecs(smokePlan);
  const smoke = buildSummary({
    data: readJson<K6SummaryData>('k6-summary-data.smoke-w2.json'),
    config: smokeConfig,
    plan: smokePlan,
    specs: smokeSpecs,
    now,
  });

  it('builds the same summary.json, report.html, junit.xml and table from end-of-test data', () => {
    summaryOutputs('smoke-w2', smoke);
  });

  it('builds the same files from the raw samples of a run (the InfluxDB rebuild)', async () => {
    const lines = gunzipSync(readFileSync(fixture('influx-smoke.lp.gz')))
      .toString('utf8')
      .split('\n');
    const points = lines.map(parseLine).filter((p) => p !== null);
    // The recording's own run (test/grafana-influx.test.ts, RECORD_INFLUX_FIXTURE=1) and its plan.
    const config = readConfig({ SYNC_WORKERS: '2', TIME_SCALE: '0.1', TESTID: '20261127-040815' });
    const plan = recordedInfluxPlan();
    const specs = thresholdSpecs(plan);
    const { data, samples } = await summaryDataFromSamples(
      specs,
      async (metric, tags) =>
        points
          .filter((p) => p.metric === metric && Object.entries(tags).every(([k, v]) => p.tags[k] === v))
          .map((p) => p.value),
      { workers: { express: 2 } },
    );
    assert.ok(samples > 10_000, `${samples} samples`);
    summaryOutputs('influx-smoke', buildSummary({ data, config, plan, specs, now }));
  });

  it('builds the same sweep.json, sweep page and table, and the combined report', () => {
    const config = readConfig({
      MODE: 'sweep',
      SYNC_WORKERS: '2',
      SWEEP_VUS: '1,10,100,1000',
      K6_SELF_STATS_URL: 'http://127.0.0.1:1/',
    });
    const data = readJson<K6SummaryData>('k6-sweep-data.json');
    const sweep = buildSweep({ data, config, plan: buildPlan(config), now });
    same('sweep.sweep.json', `${JSON.stringify(sweep, null, 2)}\n`);
    same('sweep.report.html', renderSweepReport(sweep));
    same('sweep.table.txt', renderSweepTable(sweep));
    same('smoke-w2+sweep.report.html', renderReport(smoke, renderSweepSection(sweep)));

    // The artifact maps handleSummary, the runner and `npm run report` write hold the same files.
    const files = sweepArtifacts('out', sweep);
    assert.deepEqual(Object.keys(files), [`out/${FILES.sweep}`, `out/${FILES.report}`, 'stdout']);
    same('sweep.sweep.json', files[`out/${FILES.sweep}`] ?? '');
    same('sweep.report.html', files[`out/${FILES.report}`] ?? '');
    same('sweep.table.txt', files.stdout ?? '');
    same('smoke-w2+sweep.report.html', summaryArtifacts('out', smoke, sweep)[`out/${FILES.report}`] ?? '');
  });

  it('puts the same files in the artifact map of a summary', () => {
    const files = summaryArtifacts('out', smoke);
    assert.deepEqual(Object.keys(files), [
      `out/${FILES.summary}`,
      `out/${FILES.report}`,
      `out/${FILES.junit}`,
      'stdout',
    ]);
    same('smoke-w2.summary.json', files[`out/${FILES.summary}`] ?? '');
    same('smoke-w2.report.html', files[`out/${FILES.report}`] ?? '');
    same('smoke-w2.junit.xml', files[`out/${FILES.junit}`] ?? '');
    same('smoke-w2.table.txt', files.stdout ?? '');
  });
});
