// The k6 runner behind `npm run k6:stress`, `k6:smoke` and the per-scenario scripts:
// checks k6, builds the bundle, reuses or starts the servers, reads W, picks the InfluxDB
// output, runs k6 and turns the speedup check into the exit code.
//
//   tsx scripts/k6-run.ts [--smoke] [--sweep | --mix] [--start] [--instances N] [--scenarios medium,high]
//                         [--targets express,koa,flask] [--reference name]
//
// --smoke      TIME_SCALE=0.1 (unless TIME_SCALE is set): the five scenarios in about 75 s;
//              with --sweep: N = 1, 10, 100 at TIME_SCALE=0.2, in about a minute.
// --sweep      the concurrency sweep (MODE=sweep): every target at N = 1 ... 2000 clients.
// --mix        the mix sweep (MODE=mix): CPU work per request c = 0 ... 200 ms at N = 20;
//              with --smoke: N = 5, c = 0, 50, 100, 200 ms in under a minute.
// --scenarios  same as SCENARIOS=...
// --targets    same as TARGETS=... (built-in names, or name=url;model=... for your own server)
// --reference  same as REFERENCE=... (the sync target the speedups are computed against)
// --start      always start fresh servers on free ports, even if some already answer.
// --instances  split the load over N k6 processes (execution segments), started together;
//              the summary of the whole run is then rebuilt from InfluxDB (needs INFLUXDB_URL).
// Every option of the suite is an environment variable (docs/k6.md).
//
// Exit codes: k6's own (0 ok, 99 thresholds failed, ...), 1 when the speedup check fails or
// the run could not be set up, 2 when k6 is not installed, 130/143 when interrupted.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FILES, summaryArtifacts } from '../k6/lib/artifacts.ts';
import { EXIT, exitCode, failures } from '../k6/lib/checks.ts';
import { ENV, type Env, type Mode, readConfig, type SuiteConfig } from '../k6/lib/config.ts';
import type { MixResult } from '../k6/lib/mix.ts';
import { buildPlan, type Plan } from '../k6/lib/plan.ts';
import { newTestid } from '../k6/lib/run-info.ts';
import type { Summary } from '../k6/lib/summary.ts';
import type { SweepResult } from '../k6/lib/sweep.ts';
import { INFLUXDB } from '../lib/registry.ts';
import { QUEUE_FACTOR_TEXT } from '../lib/theory.ts';
import { parseFlags, wholeNumber } from './args.ts';
import { influxOutput } from './influx-output.ts';
import { type K6Launch, runOne, runSplit } from './k6-instances.ts';
import { findOnPath, K6_INSTALL_HELP, K6_MISSING_EXIT, k6Version } from './k6-process.ts';
import { withRequestFiles } from './request-files.ts';
import { guardRun, type RunGuard, signalExit } from './run-guard.ts';
import { fail, fmtDuration, log } from './run-log.ts';
import { ensureServers, readyTargets, withReadyTargets } from './run-servers.ts';
import { MAX_INSTANCES } from './segments.ts';
import { selfStatsOnDemand } from './self-stats.ts';
import { findUpstream } from './upstream-url.ts';
import { writeArtifacts } from './write-artifacts.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLE = path.join(ROOT, 'dist', 'suite.js');
/** Brings the whole five-scenario suite (plan ≈ 70 s at W = 2) under 90 s with start-up. */
export const SMOKE_TIME_SCALE = 0.1;
/** The smoke sweep: three points, a fifth of the delays; about a minute with four targets. */
export const SMOKE_SWEEP = { vus: '1,10,100', timeScale: 0.2 } as const;

/**
 * The smoke mix: four c values around the crossover at N = 5, so a CPU-bound slot's cycle (N·c
 * for one event loop) stays about a second; c/d, and so the crossover, is the full run's.
 */
export const SMOKE_MIX = { vus: '5', cpuMs: '0,50,100,200', timeScale: 0.2 } as const;

/** What one k6 run of a mode needs from the runner, around the common flow of main(). */
interface RunMode {
  /** The switch that picks it (MODE=<name>); none for the default mode. */
  readonly flag?: string;
  /** What --smoke sets, where the environment does not. */
  readonly smoke: Readonly<Record<string, string>>;
  /** The "running k6: ..." line's account of what is measured. */
  describe(config: SuiteConfig): string;
  /** Before k6 starts: what the mode adds to the configuration, and says about the plan. */
  prepare?(config: SuiteConfig, plan: Plan, run: Pick<K6Launch, 'selfStats'>): Promise<SuiteConfig>;
  /** The file k6 writes at its end: new, it proves k6 got as far as its summary. */
  readonly written: string;
  /** After a single k6 process: the results line and the exit code. */
  finish(resultsDir: string, shown: string, code: number, guard: RunGuard): number;
}

/** Every mode of the suite (config.ts Mode); a new one is an entry here and its flag. */
const MODES: Record<Mode, RunMode> = {
  suite: {
    smoke: { [ENV.timeScale]: String(SMOKE_TIME_SCALE) },
    describe: (config) => config.scenarios.join(', '),
    written: FILES.summary,
    finish(resultsDir, shown, code, guard) {
      const summary = JSON.parse(readFileSync(path.join(resultsDir, FILES.summary), 'utf8')) as Summary;
      log(`results: ${shown}/{${FILES.summary},${FILES.report},${FILES.junit}}`);
      const stopped = guard.stoppedEarly();
      if (stopped !== null) return stopped;
      const verdict = exitCode(summary, code);
      if (verdict === EXIT.speedup) {
        fail('speedup check failed:');
        for (const c of failures(summary).filter((f) => f.kind === 'speedup')) console.error(c.message);
      } else if (verdict === EXIT.thresholds)
        fail('k6 thresholds failed (exit 99): see the FAIL lines above');
      return verdict;
    },
  },
  sweep: {
    flag: 'sweep',
    smoke: { [ENV.timeScale]: String(SMOKE_SWEEP.timeScale), [ENV.sweepVus]: SMOKE_SWEEP.vus },
    describe: (config) => `sweep N = ${config.sweep.vus.join(', ')}`,
    // The sweep measures k6's own CPU beside the servers'.
    async prepare(config, plan, run) {
      const selfStatsUrl = (await run.selfStats.get()).url;
      for (const s of plan.skipped.filter((x, i, all) => all.findIndex((y) => y.server === x.server) === i)) {
        const list = plan.skipped.filter((x) => x.server === s.server).map((x) => x.clients);
        log(`${s.server} stops early: not measured at N = ${list.join(', ')} (${s.reason})`);
      }
      return Object.assign({}, config, { sweep: Object.assign({}, config.sweep, { selfStatsUrl }) });
    },
    written: FILES.sweep,
    finish(_resultsDir, shown, code, guard) {
      log(`results: ${shown}/{${FILES.sweep},${FILES.report}}`);
      return guard.stoppedEarly() ?? code;
    },
  },
  mix: {
    flag: 'mix',
    smoke: {
      [ENV.timeScale]: String(SMOKE_MIX.timeScale),
      [ENV.mixVus]: SMOKE_MIX.vus,
      [ENV.mixCpuMs]: SMOKE_MIX.cpuMs,
    },
    describe: (config) =>
      `mix N = ${config.mix.vus}, d = ${config.mix.delaySeconds} s, c = ${config.mix.cpuMs.join(', ')} ms`,
    // The theory's K is this machine's cores, where the servers run, unless CORES says otherwise;
    // the machine's busy share beside each point tells a CPU-bound figure from a crowded machine.
    async prepare(config, plan, run) {
      for (const s of plan.skipped) log(`${s.server} not measured at c = ${s.cpuMs} ms: ${s.reason}`);
      const selfStatsUrl = (await run.selfStats.get()).url;
      return Object.assign({}, config, {
        sweep: Object.assign({}, config.sweep, { selfStatsUrl }),
        mix: Object.assign({}, config.mix, { cores: config.mix.cores ?? availableParallelism() }),
      });
    },
    written: FILES.mix,
    finish(_resultsDir, shown, code, guard) {
      log(`results: ${shown}/{${FILES.mix},${FILES.report}}`);
      return guard.stoppedEarly() ?? code;
    },
  },
};

interface Args {
  smoke: boolean;
  sweep: boolean;
  /** The mode a switch picked, if any (else MODE, else suite). */
  mode: Mode | undefined;
  instances: number;
  start: boolean;
  scenarios: string | undefined;
  targets: string | undefined;
  reference: string | undefined;
}

const MODE_FLAGS = (Object.entries(MODES) as [Mode, RunMode][]).filter(([, m]) => m.flag);

const USAGE =
  'usage: npm run k6:stress -- [--smoke] [--sweep | --mix] [--start] [--instances N] [--scenarios a,b] [--targets a,b] [--reference name]';

export function parseArgs(argv: readonly string[]): Args {
  const modeOptions = Object.fromEntries(MODE_FLAGS.map(([, m]) => [m.flag, { type: 'boolean' as const }]));
  const v = parseFlags(
    argv,
    {
      smoke: { type: 'boolean' },
      start: { type: 'boolean' },
      instances: { type: 'string' },
      scenarios: { type: 'string' },
      targets: { type: 'string' },
      reference: { type: 'string' },
      ...modeOptions,
    },
    USAGE,
  ) as Record<string, string | boolean | undefined>;
  const picked = MODE_FLAGS.filter(([, m]) => v[m.flag as string] === true);
  if (picked.length > 1)
    throw new Error(
      `${picked.map(([, m]) => `--${m.flag}`).join(' and ')} are different modes: pick one; ${USAGE}`,
    );
  const str = (name: string) => (typeof v[name] === 'string' ? (v[name] as string) : undefined);
  const instances = str('instances');
  return {
    smoke: v.smoke === true,
    sweep: v.sweep === true,
    mode: picked[0]?.[0],
    instances: instances === undefined ? 1 : wholeNumber('--instances', instances, 1, MAX_INSTANCES),
    start: v.start === true,
    scenarios: str('scenarios'),
    targets: str('targets'),
    reference: str('reference'),
  };
}

/** The environment the configuration is read from: the user's, with the switches applied. */
function argsEnv(args: Args, base: Env): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = Object.assign({}, base);
  if (args.mode) env[ENV.mode] = args.mode;
  if (args.smoke) {
    for (const [k, v] of Object.entries(MODES[args.mode ?? 'suite'].smoke)) if (!env[k]) env[k] = v;
  }
  if (args.scenarios) env[ENV.scenarios] = args.scenarios;
  if (args.targets) env[ENV.targets] = args.targets;
  if (args.reference) env[ENV.reference] = args.reference;
  return env;
}

/**
 * report.html holds what the results directory has: the suite's summary with the last sweep's
 * and mix sweep's sections after it, when they are there (k6 writes only the part its run made).
 */
export function combineReport(resultsDir: string): void {
  const read = <T>(file: string): T | undefined => {
    const at = path.join(resultsDir, file);
    return existsSync(at) ? (JSON.parse(readFileSync(at, 'utf8')) as T) : undefined;
  };
  const summary = read<Summary>(FILES.summary);
  const sweep = read<SweepResult>(FILES.sweep);
  const mix = read<MixResult>(FILES.mix);
  if (!summary || (!sweep && !mix)) return;
  const report = `${resultsDir}/${FILES.report}`;
  writeArtifacts({ [report]: summaryArtifacts(resultsDir, summary, sweep, mix)[report] ?? '' });
}

function logReference(config: SuiteConfig): void {
  const ref = config.reference;
  const refW = ref ? config.workers[ref] : undefined;
  log(
    ref
      ? `reference ${ref}: W = ${refW} sync workers (/health); theory speedup ${QUEUE_FACTOR_TEXT.replace('W', String(refW))}; time scale ${config.timeScale}`
      : `no sync target selected: figures per target, no speedup; time scale ${config.timeScale}`,
  );
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const k6 = findOnPath('k6');
  if (!k6) {
    console.error(K6_INSTALL_HELP);
    return K6_MISSING_EXIT;
  }
  const version = k6Version(k6);
  log(`using ${version} (${k6})`);

  const env = argsEnv(args, process.env);
  env[ENV.k6Version] = version;
  const selected = readConfig(env); // fail fast on a bad option, before anything starts
  const chosen = withRequestFiles(selected.targets);

  log('building dist/suite.js');
  const built = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0 || !existsSync(BUNDLE)) {
    fail('the bundle did not build');
    return 1;
  }

  const requestedWorkers = env[ENV.syncWorkers] ? Number(env[ENV.syncWorkers]) : undefined;
  const servers = await ensureServers(chosen, args.start, requestedWorkers);
  const guard = guardRun(servers);
  // Serves k6's own CPU (sweep) and black-box targets' process trees, when either is needed.
  const selfStats = selfStatsOnDemand();

  try {
    let config = withReadyTargets(selected, await readyTargets(servers.targets, requestedWorkers, selfStats));
    config = Object.assign({}, config, { upstreamUrl: await findUpstream(servers.upstream, env) });
    const mode = MODES[config.mode];
    const plan = buildPlan(config);
    logReference(config);
    const influx = await influxOutput(env);
    if (influx) log(`streaming metrics to InfluxDB: ${influx}`);
    const instances = args.instances;
    if (instances > 1 && !influx) {
      throw new Error(
        `--instances ${instances} needs InfluxDB: the merged summary is built from every process's samples there (${INFLUXDB.urlEnv})`,
      );
    }
    // testid and instance reach every sample through the script's `tags` option (config.ts runTags).
    const testid = env[ENV.testid] || newTestid();
    log(
      `run ${testid}: every sample is tagged testid=${testid}${influx ? ` (npm run report -- --testid ${testid})` : ''}`,
    );
    const resultsDir = path.resolve(ROOT, config.resultsDir);
    mkdirSync(resultsDir, { recursive: true }); // k6 does not create it
    if (mode.prepare) config = await mode.prepare(config, plan, { selfStats });
    log(
      `running k6: ${mode.describe(config)} × ${config.targets.map((t) => t.name).join(', ')} in ${plan.slots.length} slots, ` +
        `about ${fmtDuration(plan.totalSeconds)}`,
    );

    const run: K6Launch = {
      k6,
      cwd: ROOT,
      bundle: BUNDLE,
      influx,
      config,
      testid,
      resultsDir,
      guard,
      selfStats,
    };
    if (instances > 1) return await runSplit(run, instances);
    const started = Date.now();
    const code = await runOne(run);
    const written = path.join(resultsDir, mode.written);
    // A file from an earlier run does not count: k6 must have written it just now.
    if (!existsSync(written) || statSync(written).mtimeMs < started - 1000) {
      fail(`no new ${written}: k6 did not get as far as its summary`);
      return guard.signalled ? signalExit(guard.signalled) : code || 1;
    }
    combineReport(resultsDir);
    return mode.finish(resultsDir, path.relative(process.cwd(), resultsDir) || '.', code, guard);
  } finally {
    await selfStats.close();
    await servers.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      fail(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
