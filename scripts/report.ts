// npm run report -- [--testid ID] [--results-dir DIR]
//
// Rebuilds summary.json (or sweep.json, mix.json), report.html and junit.xml of one run from its raw
// samples in InfluxDB (INFLUXDB_URL, as for the suite), across every load generator that
// took part, with the same modules that build them from k6's end-of-test data, and applies
// the same checks and exit codes: 1 when the speedup check fails, 99 when a threshold does.
// Without --testid: the newest run InfluxDB holds.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listFiles, mixArtifacts, summaryArtifacts, sweepArtifacts } from '../k6/lib/artifacts.ts';
import { exitCode } from '../k6/lib/checks.ts';
import { ENV, readConfig } from '../k6/lib/config.ts';
import { slotTags } from '../k6/lib/executors.ts';
import { summaryDataFromSamples } from '../k6/lib/from-samples.ts';
import { ioUsageSpecs } from '../k6/lib/io-usage.ts';
import { buildMix } from '../k6/lib/mix.ts';
import type { Plan } from '../k6/lib/plan.ts';
import { buildPlan } from '../k6/lib/plan.ts';
import { parseRunEnv } from '../k6/lib/run-info.ts';
import { instancesWithVus, SAMPLER_INSTANCE, startSpread } from '../k6/lib/segmentation.ts';
import { buildSummary } from '../k6/lib/summary.ts';
import { buildSweep } from '../k6/lib/sweep.ts';
import { thresholdSpecs } from '../k6/lib/thresholds.ts';
import { INFLUXDB, METRICS } from '../lib/registry.ts';
import { parseFlags } from './args.ts';
import {
  countByInstance,
  influxReader,
  listTestids,
  readInstances,
  readRunInfo,
  readSamples,
} from './influx-samples.ts';
import { writeArtifacts } from './write-artifacts.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const log = (line: string) => console.log(`[report] ${line}`);

export interface ReportArgs {
  testid: string | undefined;
  resultsDir: string | undefined;
}

export function parseReportArgs(argv: readonly string[]): ReportArgs {
  const v = parseFlags(
    argv,
    { testid: { type: 'string' }, 'results-dir': { type: 'string' } },
    'usage: npm run report -- [--testid ID] [--results-dir DIR]',
  );
  return { testid: v.testid, resultsDir: v['results-dir'] };
}

export interface ReportOutcome {
  readonly code: number;
  readonly dir: string;
  readonly samples: number;
  readonly instances: readonly string[];
  readonly expectedInstances: number;
}

export async function buildReport(
  args: ReportArgs,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ReportOutcome> {
  const influx = influxReader(env[INFLUXDB.urlEnv]);
  let testid = args.testid;
  if (!testid) {
    const ids = await listTestids(influx);
    if (ids.length === 0) throw new Error(`no run in ${influx.url}: nothing carries a run_info point`);
    testid = ids[0] as string;
    log(`no --testid: the newest run, ${testid} (${ids.length} in ${influx.url})`);
  }
  const info = await readRunInfo(influx, testid);
  if (!info) {
    const ids = await listTestids(influx);
    throw new Error(
      `no run ${testid} in ${influx.url}; runs there: ${ids.slice(0, 10).join(', ') || 'none'}`,
    );
  }
  const runEnv = parseRunEnv(info.config);
  const dir = path.resolve(ROOT, args.resultsDir || env[ENV.resultsDir] || 'results');
  const config = readConfig(Object.assign({}, runEnv, { [ENV.testid]: testid, [ENV.resultsDir]: dir }));
  const plan = buildPlan(config);
  const specs = [...thresholdSpecs(plan), ...ioUsageSpecs(plan, config.upstreamUrl)];
  const instances = await readInstances(influx, testid);
  const expected = config.instances;
  const workers = JSON.parse(info.workers) as Record<string, number>;
  const { data, samples } = await summaryDataFromSamples(
    specs,
    (metric, tags) => readSamples(influx, testid as string, metric, tags),
    { workers },
  );
  log(
    `run ${testid}: ${samples} samples from ${instances.length || 1} load generator(s)` +
      `${instances.length ? ` (${instances.join(', ')})` : ''}, ${expected} expected; ` +
      `${info.points} of ${expected} started their setup`,
  );
  if (expected > 1) {
    const coverage = await slotCoverage(plan, expected, (tags) =>
      countByInstance(influx, testid as string, METRICS.httpReqDuration, tags),
    );
    for (const line of coverage) log(line);
    const start = startSpread(plan, info.startedAtMs);
    log(
      start.ok
        ? `the load generators started their slots within ${start.spreadMs} ms of each other`
        : `WARNING: the load generators started their slots ${start.spreadMs} ms apart (more than ` +
            `${Math.round(start.allowedMs)} ms): at each slot's edges not all its VUs ran at once, ` +
            'so a sync target looks faster than it is',
    );
    const sampler = await countByInstance(influx, testid, METRICS.serverCpuPercent, {});
    log(
      `CPU sampler: samples from instance(s) ${Object.keys(sampler).join(', ') || 'none'} (expected ${SAMPLER_INSTANCE} only)`,
    );
  }
  if (instances.length > 0 && instances.length < expected) {
    log(
      `MISSING: ${expected - instances.length} of ${expected} load generators left no samples: the figures are partial`,
    );
  }
  const now = new Date();
  const rel = path.relative(process.cwd(), dir) || '.';
  if (config.mode === 'sweep' || config.mode === 'mix') {
    const files =
      config.mode === 'sweep'
        ? sweepArtifacts(dir, buildSweep({ data, config, plan, now }))
        : mixArtifacts(dir, buildMix({ data, config, plan, now }));
    writeArtifacts(files);
    log(`results: ${listFiles(dir, files).replace(dir, rel)}`);
    return { code: 0, dir, samples, instances, expectedInstances: expected };
  }
  const summary = Object.assign(buildSummary({ data, config, plan, specs, now }), {
    source: { influxdb: influx.url, samples, instances, expectedInstances: expected },
  });
  const files = summaryArtifacts(dir, summary);
  writeArtifacts(files);
  log(`results: ${listFiles(dir, files).replace(dir, rel)}`);
  const code = exitCode(summary);
  const missing = instances.length > 0 && instances.length < expected;
  return { code: missing && code === 0 ? 1 : code, dir, samples, instances, expectedInstances: expected };
}

/**
 * Per slot: do the instances that ran VUs of it hold samples of it? One line for the slots
 * that match and one per slot that does not, naming what is missing.
 */
export async function slotCoverage(
  plan: Plan,
  instances: number,
  count: (tags: Record<string, string>) => Promise<Record<string, number>>,
): Promise<string[]> {
  const problems: string[] = [];
  let whole = 0;
  for (const slot of plan.slots) {
    const tags = slotTags(slot);
    delete tags.model;
    const got = await count(tags);
    const want = instancesWithVus(slot, instances).map(String);
    const missing = want.filter((i) => !(got[i] && got[i] > 0));
    if (missing.length)
      problems.push(`MISSING: ${slot.id} has no samples from instance ${missing.join(', ')}`);
    else whole++;
  }
  return [
    `${whole} of ${plan.slots.length} slots hold samples from every instance that ran their VUs`,
    ...problems,
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  // Bad arguments reject the promise too, so they get the same one line and no stack.
  Promise.resolve()
    .then(() => buildReport(parseReportArgs(process.argv.slice(2))))
    .then(
      (outcome) => process.exit(outcome.code),
      (err: unknown) => {
        console.error(`[report] ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
}
