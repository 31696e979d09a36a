// The k6 runner behind `npm run k6:stress`, `k6:smoke` and the per-scenario scripts:
// checks k6, builds the bundle, reuses or starts the servers, reads W, picks the InfluxDB
// output, runs k6 and turns the speedup check into the exit code.
//
//   tsx scripts/k6-run.ts [--smoke] [--sweep] [--start] [--instances N] [--scenarios medium,high]
//                         [--targets express,koa,flask] [--reference name]
//
// --smoke      TIME_SCALE=0.1 (unless TIME_SCALE is set): the five scenarios in about 75 s;
//              with --sweep: N = 1, 10, 100 at TIME_SCALE=0.2, in about a minute.
// --sweep      the concurrency sweep (MODE=sweep): every target at N = 1 ... 2000 clients.
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

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FILES, summaryArtifacts } from '../k6/lib/artifacts.ts';
import { EXIT, exitCode, failures } from '../k6/lib/checks.ts';
import { ENV, readConfig } from '../k6/lib/config.ts';
import { buildPlan } from '../k6/lib/plan.ts';
import type { Summary } from '../k6/lib/summary.ts';
import type { SweepResult } from '../k6/lib/sweep.ts';
import { cpuUndecided, formatTargets, isBuiltin, readRequestFiles, type Target } from '../k6/lib/targets.ts';
import { INFLUXDB, TARGETS, type TargetName, UPSTREAM } from '../lib/registry.ts';
import { QUEUE_FACTOR_TEXT } from '../lib/theory.ts';
import { parseFlags, wholeNumber } from './args.ts';
import { checkContract } from './contract.ts';
import { freePort } from './free-port.ts';
import { placeCpu } from './proc-tree.ts';
import { MAX_INSTANCES, resumeAll, segments, waitPaused } from './segments.ts';
import { type SelfStatsServer, startSelfStats } from './self-stats.ts';
import { writeArtifacts } from './write-artifacts.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLE = path.join(ROOT, 'dist', 'suite.js');
/** Brings the whole five-scenario suite (plan ≈ 70 s at W = 2) under 90 s with start-up. */
export const SMOKE_TIME_SCALE = 0.1;
/** The smoke sweep: three points, a fifth of the delays; about a minute with four targets. */
export const SMOKE_SWEEP = { vus: '1,10,100', timeScale: 0.2 } as const;
export const K6_MISSING_EXIT = 2;

const log = (line: string) => console.log(`[k6-run] ${line}`);

export const K6_INSTALL_HELP = [
  'k6 is not installed: no `k6` on PATH.',
  'Install it with your package manager (macOS: `brew install k6`; Windows: `winget install k6`;',
  'Debian/Ubuntu and Fedora: Grafana\'s k6 package repository, see "Install k6" in the k6 docs),',
  'or run the suite in Docker without installing anything: `docker compose run --rm k6`.',
].join('\n');

export function findOnPath(name: string, envPath = process.env.PATH || ''): string | null {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

interface Args {
  smoke: boolean;
  sweep: boolean;
  instances: number;
  start: boolean;
  scenarios: string | undefined;
  targets: string | undefined;
  reference: string | undefined;
}

const USAGE =
  'usage: npm run k6:stress -- [--smoke] [--sweep] [--start] [--instances N] [--scenarios a,b] [--targets a,b] [--reference name]';

export function parseArgs(argv: readonly string[]): Args {
  const v = parseFlags(
    argv,
    {
      smoke: { type: 'boolean' },
      sweep: { type: 'boolean' },
      start: { type: 'boolean' },
      instances: { type: 'string' },
      scenarios: { type: 'string' },
      targets: { type: 'string' },
      reference: { type: 'string' },
    },
    USAGE,
  );
  return {
    smoke: v.smoke ?? false,
    sweep: v.sweep ?? false,
    instances: v.instances === undefined ? 1 : wholeNumber('--instances', v.instances, 1, MAX_INSTANCES),
    start: v.start ?? false,
    scenarios: v.scenarios,
    targets: v.targets,
    reference: v.reference,
  };
}

/**
 * Tags k6 writes to InfluxDB as fields instead: `url` differs with every seeded request path and
 * would make a series of each request; `iter` likewise where a k6 version tags it. Samples of
 * two VUs are kept apart by the suite's own `vu_id` tag (TAGS.vu).
 */
const INFLUX_TAGS_AS_FIELDS = 'K6_INFLUXDB_TAGS_AS_FIELDS';
const INFLUX_FIELDS_NOT_TAGS = 'iter,url';

async function getJson(url: string, timeoutMs = 1500): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return JSON.parse(text);
}

async function answers(url: string): Promise<boolean> {
  try {
    await getJson(`${url}/health`);
    return true;
  } catch {
    return false;
  }
}

/** `--out influxdb=...` when an InfluxDB answers, else null (and one line saying so). */
export async function influxOutput(env: NodeJS.ProcessEnv): Promise<string | null> {
  const configured = env[INFLUXDB.urlEnv];
  const url = configured || `http://localhost:${INFLUXDB.port}/${INFLUXDB.database}`;
  let ping: string;
  try {
    ping = new URL('/ping', url).href;
  } catch {
    log(`${INFLUXDB.urlEnv}=${url} is not a URL: results stay local`);
    return null;
  }
  try {
    const res = await fetch(ping, { signal: AbortSignal.timeout(1500) });
    await res.arrayBuffer();
    if (res.status < 500) return url;
  } catch {
    // not there
  }
  log(
    `InfluxDB not reachable at ${ping.replace(/\/ping$/, '')}: results stay local (${env[ENV.resultsDir] || 'results'}/)`,
  );
  return null;
}

interface Servers {
  /** The targets with the URLs they answer on (started ones on the ports they got). */
  targets: Target[];
  stop: () => Promise<void>;
  /** Resolves with a message if a server this runner started dies before stop(); else never. */
  died: Promise<string>;
}

const never = new Promise<never>(() => {});

/**
 * Reuses the built-in targets when all of them answer, else starts them (with an upstream);
 * a user's own target is never started: it must answer at its URL.
 */
async function ensureServers(
  targets: readonly Target[],
  forceStart: boolean,
  syncWorkers: number | undefined,
): Promise<Servers> {
  const builtins = targets.filter((t) => t.builtin);
  if (!forceStart) {
    const up = await Promise.all(builtins.map((t) => answers(t.url)));
    if (up.every(Boolean)) {
      if (builtins.length > 0)
        log(`reusing the running servers: ${builtins.map((t) => `${t.name} ${t.url}`).join(', ')}`);
      return { targets: targets.slice(), stop: async () => {}, died: never };
    }
    if (up.some(Boolean)) {
      const missing = builtins.filter((_, i) => !up[i]).map((t) => t.name);
      const running = builtins.filter((_, i) => up[i]).map((t) => t.name);
      throw new Error(
        `${missing.join(', ')} not answering /health while ${running.join(', ')} do: ` +
          'start all of them (npm run servers), stop all of them, or pass --start',
      );
    }
  }
  // The launcher is imported only when needed, so a run against running servers (or docker)
  // does not depend on it.
  const { startServers } = await import('../servers/launch.ts');
  const names = builtins.map((t) => t.name as TargetName);
  log(
    `starting ${process.env[UPSTREAM.urlEnv] ? '' : 'upstream, '}${names.join(', ')}${forceStart ? ' on free ports' : ''} ...`,
  );
  const ports: Record<string, number> = { upstream: 0 };
  for (const n of names) ports[n] = 0;
  const started = await startServers(
    Object.assign(
      { quiet: false, only: ['upstream', ...names] },
      forceStart ? { ports } : {},
      syncWorkers ? { syncWorkers } : {},
    ) as Parameters<typeof startServers>[0],
  );
  const urls = started.urls as Record<string, string>;
  const statsUrls = ((started as { statsUrls?: Record<string, string> }).statsUrls ?? {}) as Record<
    string,
    string
  >;
  const placed = targets.map((t) => {
    const url = urls[t.name];
    if (!t.builtin || !url) return t;
    const spec = TARGETS[t.name as TargetName];
    return Object.assign({}, t, { url, statsUrl: 'stats' in spec ? (statsUrls[t.name] ?? t.statsUrl) : url });
  });
  log(
    `started: ${placed.map((t) => `${t.name} ${t.url}`).join(', ')} (upstream ${urls.upstream ?? process.env[UPSTREAM.urlEnv]})`,
  );
  let stopping = false;
  const died = started.exited.then(({ name, code, signal }) =>
    stopping ? never : `${name} exited during the run (${signal ?? `code ${code}`})`,
  );
  return {
    targets: placed,
    died,
    stop: () => {
      stopping = true;
      return started.stop();
    },
  };
}

/**
 * Without a terminal, k6 writes one "Request Failed" warning per failed request (hundreds
 * when the sync server times out in the open model) and logfmt lines for the script's
 * console output: keep the first few warnings, count the rest, and print console lines plainly.
 */
function filterStderr(child: ChildProcess): Promise<number> {
  let suppressed = 0;
  let shown = 0;
  const rl = createInterface({ input: child.stderr as NodeJS.ReadableStream });
  rl.on('line', (line) => {
    if (line.includes('msg="Request Failed"')) {
      if (shown < 3) {
        shown++;
        process.stderr.write(`${line}\n`);
      } else suppressed++;
      return;
    }
    const consoleLine = /level=(\w+) msg="((?:[^"\\]|\\.)*)" source=console/.exec(line);
    if (consoleLine) {
      process.stdout.write(`[k6] ${consoleLine[2]?.replace(/\\"/g, '"')}\n`);
      return;
    }
    process.stderr.write(`${line}\n`);
  });
  return new Promise((resolve) => rl.on('close', () => resolve(suppressed)));
}

/** A run id that sorts by time, as k6's testid convention suggests: 20261127-101500. */
export function newTestid(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * report.html holds what the results directory has: the suite's summary with the last sweep's
 * section after it, when both are there (k6 writes only the half its run made).
 */
export function combineReport(resultsDir: string): void {
  const summaryPath = path.join(resultsDir, FILES.summary);
  const sweepPath = path.join(resultsDir, FILES.sweep);
  if (!existsSync(summaryPath) || !existsSync(sweepPath)) return;
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Summary;
  const sweep = JSON.parse(readFileSync(sweepPath, 'utf8')) as SweepResult;
  const report = `${resultsDir}/${FILES.report}`;
  writeArtifacts({ [report]: summaryArtifacts(resultsDir, summary, sweep)[report] ?? '' });
}

/** The shell's convention for a process ended by a signal: 128 + its number. */
const signalExit = (signal: NodeJS.Signals): number => (signal === 'SIGINT' ? 130 : 143);

function fmtDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return m ? `${m} min ${s} s` : `${s} s`;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const k6 = findOnPath('k6');
  if (!k6) {
    console.error(K6_INSTALL_HELP);
    return K6_MISSING_EXIT;
  }
  const version = spawnSync(k6, ['version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] || 'k6';
  log(`using ${version} (${k6})`);

  const env: Record<string, string | undefined> = Object.assign({}, process.env);
  if (args.sweep) env[ENV.mode] = 'sweep';
  if (args.smoke && args.sweep) {
    if (!env[ENV.timeScale]) env[ENV.timeScale] = String(SMOKE_SWEEP.timeScale);
    if (!env[ENV.sweepVus]) env[ENV.sweepVus] = SMOKE_SWEEP.vus;
  }
  if (args.smoke && !env[ENV.timeScale]) env[ENV.timeScale] = String(SMOKE_TIME_SCALE);
  if (args.scenarios) env[ENV.scenarios] = args.scenarios;
  if (args.targets) env[ENV.targets] = args.targets;
  if (args.reference) env[ENV.reference] = args.reference;
  const selected = readConfig(env); // fail fast on a bad option, before anything starts
  // body=@file and headers=@file are read here (k6 cannot), relative to where npm was run.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const chosen = selected.targets.map((t) =>
    readRequestFiles(t, (file) => readFileSync(path.resolve(cwd, file), 'utf8')),
  );

  log('building dist/suite.js');
  const built = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0 || !existsSync(BUNDLE)) {
    console.error('[k6-run] the bundle did not build');
    return 1;
  }

  const requestedWorkers = env[ENV.syncWorkers] ? Number(env[ENV.syncWorkers]) : undefined;
  const servers = await ensureServers(chosen, args.start, requestedWorkers);
  let k6Children: ChildProcess[] = [];
  let signalled: NodeJS.Signals | null = null;
  let serverDied: string | null = null;
  void servers.died.then((message) => {
    serverDied = message;
    console.error(`[k6-run] ${message}: stopping k6 (its measurements would be of a dead port)`);
    for (const c of k6Children) c.kill('SIGINT');
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (k6Children.length === 0) {
      void servers.stop().then(() => process.exit(signalExit(signal)));
      return;
    }
    // The first signal asks k6 to stop gracefully (it still writes the summary of what ran);
    // a second one makes it abort.
    log(signalled ? 'aborting k6' : `${signal}: stopping k6; the results of what ran are kept`);
    signalled = signal;
    for (const c of k6Children) c.kill('SIGINT');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  /** A run cut short, by a signal or by a server that died, exits with that, whatever k6 said. */
  const stoppedEarly = (): number | null => {
    if (signalled) return signalExit(signalled);
    if (!serverDied) return null;
    console.error(`[k6-run] FAIL ${serverDied}`);
    return 1;
  };
  // Serves k6's own CPU (sweep) and black-box targets' process trees, when either is needed.
  let selfStats: SelfStatsServer | null = null;

  try {
    // Every target must answer the route contract before k6 starts; W comes from /health
    // (a black-box target answers its declared request instead, and W is declared).
    const targets: Target[] = [];
    for (const t of servers.targets) {
      const { workers, threads } = await checkContract(t);
      if (
        t.model === 'sync' &&
        requestedWorkers !== undefined &&
        isBuiltin(t.name) &&
        requestedWorkers !== workers
      ) {
        log(
          `${ENV.syncWorkers}=${requestedWorkers} ignored for ${t.name}: the running server has ${workers} workers`,
        );
      }
      let placed = t;
      if (cpuUndecided(t)) {
        selfStats ??= await startSelfStats();
        const cpu = placeCpu(t, selfStats.url);
        log(cpu.note);
        placed = cpu.target;
      }
      const sync = Object.assign({}, placed, { workers }, threads ? { threads } : {});
      targets.push(placed.model === 'sync' ? sync : placed);
    }
    env[ENV.targets] = formatTargets(targets);
    const config = readConfig(env);
    const plan = buildPlan(config);
    const ref = config.reference;
    const refW = ref ? config.workers[ref] : undefined;
    log(
      ref
        ? `reference ${ref}: W = ${refW} sync workers (/health); theory speedup ${QUEUE_FACTOR_TEXT.replace('W', String(refW))}; time scale ${config.timeScale}`
        : `no sync target selected: figures per target, no speedup; time scale ${config.timeScale}`,
    );
    const influx = await influxOutput(env);
    if (influx) log(`streaming metrics to InfluxDB: ${influx}`);
    const instances = args.instances;
    if (instances > 1 && !influx) {
      throw new Error(
        `--instances ${instances} needs InfluxDB: the merged summary is built from every process's samples there (${INFLUXDB.urlEnv})`,
      );
    }
    const testid = env[ENV.testid] || newTestid();
    log(
      `run ${testid}: every sample is tagged testid=${testid}${influx ? ` (npm run report -- --testid ${testid})` : ''}`,
    );
    const resultsDir = path.resolve(ROOT, config.resultsDir);
    mkdirSync(resultsDir, { recursive: true }); // k6 does not create it

    // testid and instance reach every sample through the script's `tags` option (config.ts runTags).
    const k6Args = ['run'];
    if (influx) k6Args.push('--out', `influxdb=${influx}`);
    const pass: Record<string, string> = {
      [ENV.targets]: env[ENV.targets] as string,
      [ENV.timeScale]: String(config.timeScale),
      [ENV.scenarios]: config.scenarios.join(','),
      [ENV.slotSeconds]: String(config.slotSeconds),
      [ENV.resultsDir]: resultsDir,
      [ENV.k6Version]: version,
      [ENV.mode]: config.mode,
      [ENV.testid]: testid,
      [ENV.instances]: String(instances),
    };
    if (config.mode === 'sweep') {
      selfStats ??= await startSelfStats();
      Object.assign(pass, {
        [ENV.sweepVus]: config.sweep.vus.join(','),
        [ENV.sweepDelay]: String(config.sweep.delaySeconds),
        [ENV.sweepSlotSeconds]: String(config.sweep.slotSeconds),
        [ENV.selfStatsUrl]: selfStats.url,
      });
      for (const s of plan.skipped.filter((x, i, all) => all.findIndex((y) => y.server === x.server) === i)) {
        const list = plan.skipped.filter((x) => x.server === s.server).map((x) => x.clients);
        log(`${s.server} stops early: not measured at N = ${list.join(', ')} (${s.reason})`);
      }
    }
    if (ref) pass[ENV.reference] = ref;
    for (const [k, v] of Object.entries(pass)) k6Args.push('-e', `${k}=${v}`);
    k6Args.push(BUNDLE);
    log(
      `running k6: ${config.mode === 'sweep' ? `sweep N = ${config.sweep.vus.join(', ')}` : config.scenarios.join(', ')} × ${config.targets.map((t) => t.name).join(', ')} in ${plan.slots.length} slots, ` +
        `about ${fmtDuration(plan.totalSeconds)}`,
    );

    const started = Date.now();
    const tty = Boolean(process.stderr.isTTY);
    const parts = segments(instances);
    const ports = instances > 1 ? await Promise.all(parts.map(() => freePort())) : [];
    const runs = parts.map((part, i) => {
      const own = k6Args.slice();
      if (instances > 1) {
        // Each process writes its own slice's files; the merged ones come from InfluxDB.
        const dir = path.join(resultsDir, `instance-${part.instance}`);
        mkdirSync(dir, { recursive: true });
        own.splice(
          1,
          0,
          '--address',
          `127.0.0.1:${ports[i]}`,
          '--paused',
          '--execution-segment',
          part.segment,
          '--execution-segment-sequence',
          part.sequence,
        );
        own.splice(
          own.length - 1,
          0,
          '-e',
          `${ENV.resultsDir}=${dir}`,
          '-e',
          `${ENV.instance}=${part.instance}`,
        );
      } else {
        // Port 0: the REST API k6 opens would otherwise clash with any other k6 on this machine.
        own.splice(1, 0, '--address', '127.0.0.1:0');
      }
      // Its own process group: a terminal's Ctrl-C reaches the runner only, which passes one
      // SIGINT on, so k6 stops gracefully instead of receiving two signals and aborting.
      const child = spawn(k6, own, {
        cwd: ROOT,
        env: Object.assign({}, process.env, {
          [INFLUX_TAGS_AS_FIELDS]: process.env[INFLUX_TAGS_AS_FIELDS] || INFLUX_FIELDS_NOT_TAGS,
        }),
        stdio: ['ignore', 'inherit', tty ? 'inherit' : 'pipe'],
        detached: true,
      });
      const suppressed = tty ? Promise.resolve(0) : filterStderr(child);
      const exit: Promise<number> = new Promise((resolve) => {
        child.on('exit', (c) => resolve(c ?? 1));
        child.on('error', (err) => {
          console.error(`[k6-run] could not run k6: ${err.message}`);
          resolve(1);
        });
      });
      return { child, exit, suppressed };
    });
    k6Children = runs.map((r) => r.child);
    selfStats?.setPids(runs.map((r) => r.child.pid).filter((p): p is number => p !== undefined));
    if (instances > 1) {
      log(
        `${instances} k6 processes, segments ${parts.map((p) => p.segment).join(' ')}: waiting for all to be ready`,
      );
      await Promise.all(
        ports.map((port, i) => waitPaused(port, 120_000, () => runs[i]?.child.exitCode !== null)),
      );
      await resumeAll(ports);
      log('resumed all together');
    }
    const codes = await Promise.all(runs.map((r) => r.exit));
    const code = codes.find((c) => c !== 0) ?? 0;
    k6Children = [];
    await selfStats?.close();
    const hidden = (await Promise.all(runs.map((r) => r.suppressed))).reduce((a, b) => a + b, 0);
    if (hidden > 0)
      log(`${hidden} more "Request Failed" warnings from k6 not shown (counted in the figures)`);
    if (instances > 1) {
      log(
        `k6 processes exited with codes ${codes.join(', ')} after ${fmtDuration((Date.now() - started) / 1000)}`,
      );
      const stopped = stoppedEarly();
      if (stopped !== null) return stopped;
      // Each process judged only its slice (a 1-VU slot has samples in one of them); the
      // verdict is the merged summary's, built from every sample of the run.
      log('building the summary of the whole run from InfluxDB');
      const { buildReport } = await import('./report.ts');
      const outcome = await buildReport(
        { testid, resultsDir },
        Object.assign({}, process.env, { [INFLUXDB.urlEnv]: influx as string }),
      );
      return outcome.code;
    }
    log(`k6 exited with code ${code} after ${fmtDuration((Date.now() - started) / 1000)}`);

    const summaryPath = path.join(resultsDir, FILES.summary);
    const written = config.mode === 'sweep' ? path.join(resultsDir, FILES.sweep) : summaryPath;
    // A file from an earlier run does not count: k6 must have written it just now.
    if (!existsSync(written) || statSync(written).mtimeMs < started - 1000) {
      console.error(`[k6-run] no new ${written}: k6 did not get as far as its summary`);
      return signalled ? signalExit(signalled) : code || 1;
    }
    combineReport(resultsDir);
    const shown = path.relative(process.cwd(), resultsDir) || '.';
    if (config.mode === 'sweep') {
      log(`results: ${shown}/{${FILES.sweep},${FILES.report}}`);
      return stoppedEarly() ?? code;
    }
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Summary;
    log(`results: ${shown}/{${FILES.summary},${FILES.report},${FILES.junit}}`);
    const stopped = stoppedEarly();
    if (stopped !== null) return stopped;
    const verdict = exitCode(summary, code);
    if (verdict === EXIT.speedup) {
      console.error('[k6-run] speedup check failed:');
      for (const c of failures(summary).filter((f) => f.kind === 'speedup')) console.error(c.message);
    } else if (verdict === EXIT.thresholds)
      console.error('[k6-run] k6 thresholds failed (exit 99): see the FAIL lines above');
    return verdict;
  } finally {
    await selfStats?.close();
    await servers.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`[k6-run] ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
