// The k6 processes of one run: one, or several sharing the load by execution segments
// (`--instances N`), started paused on their own REST ports and resumed together once all
// are ready, so no slice starts its slots seconds after the others. A split run's verdict is
// the summary rebuilt from every process's samples in InfluxDB.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { SuiteConfig } from '../k6/lib/config.ts';
import { type K6Place, runEnv } from '../k6/lib/run-info.ts';
import { INFLUXDB } from '../lib/registry.ts';
import { freePort } from './free-port.ts';
import { type K6Command, k6Args, spawnK6 } from './k6-process.ts';
import type { RunGuard } from './run-guard.ts';
import { fmtDuration, log } from './run-log.ts';
import { resumeAll, segments, waitPaused } from './segments.ts';
import type { SelfStatsOnDemand } from './self-stats.ts';

export interface K6Launch {
  readonly k6: string;
  readonly cwd: string;
  readonly bundle: string;
  readonly influx: string | null;
  readonly config: SuiteConfig;
  readonly testid: string;
  readonly resultsDir: string;
  readonly guard: RunGuard;
  readonly selfStats: SelfStatsOnDemand;
}

/** Runs the commands together (resuming the paused ones at once); their exit codes. */
async function launch(run: K6Launch, commands: readonly K6Command[]): Promise<number[]> {
  const runs = commands.map((c) => spawnK6(run.k6, k6Args(c), run.cwd));
  run.guard.watch(runs.map((r) => r.child));
  run.selfStats.setPids(runs.map((r) => r.child.pid).filter((p): p is number => p !== undefined));
  const split = commands.filter((c) => c.segment);
  if (split.length > 0) {
    log(
      `${split.length} k6 processes, segments ${split.map((c) => c.segment?.segment).join(' ')}: waiting for all to be ready`,
    );
    await Promise.all(
      split.map((c, i) => waitPaused(c.port, 120_000, () => runs[i]?.child.exitCode !== null)),
    );
    await resumeAll(split.map((c) => c.port));
    log('resumed all together');
  }
  const codes = await Promise.all(runs.map((r) => r.exit));
  run.guard.watch([]);
  await run.selfStats.close();
  const hidden = (await Promise.all(runs.map((r) => r.suppressed))).reduce((a, b) => a + b, 0);
  if (hidden > 0) log(`${hidden} more "Request Failed" warnings from k6 not shown (counted in the figures)`);
  return codes;
}

const place = (run: K6Launch, resultsDir: string, instance?: number): K6Place =>
  Object.assign({ testid: run.testid, resultsDir }, instance === undefined ? {} : { instance });

/** One k6 process; its exit code. */
export async function runOne(run: K6Launch): Promise<number> {
  const started = Date.now();
  // Port 0: the REST API k6 opens would otherwise clash with any other k6 on this machine.
  const env = runEnv(run.config, 1, place(run, run.resultsDir));
  const [code = 1] = await launch(run, [{ bundle: run.bundle, influx: run.influx, env, port: 0 }]);
  log(`k6 exited with code ${code} after ${fmtDuration((Date.now() - started) / 1000)}`);
  return code;
}

/** `instances` k6 processes, one slice each; the exit code of the merged summary's verdict. */
export async function runSplit(run: K6Launch, instances: number): Promise<number> {
  const started = Date.now();
  const parts = segments(instances);
  const ports = await Promise.all(parts.map(() => freePort()));
  const commands = parts.map((segment, i): K6Command => {
    // Each process writes its own slice's files; the merged ones come from InfluxDB.
    const dir = path.join(run.resultsDir, `instance-${segment.instance}`);
    mkdirSync(dir, { recursive: true });
    const env = runEnv(run.config, instances, place(run, dir, segment.instance));
    return { bundle: run.bundle, influx: run.influx, env, port: ports[i] ?? 0, segment };
  });
  const codes = await launch(run, commands);
  log(
    `k6 processes exited with codes ${codes.join(', ')} after ${fmtDuration((Date.now() - started) / 1000)}`,
  );
  const stopped = run.guard.stoppedEarly();
  if (stopped !== null) return stopped;
  // Each process judged only its slice (a 1-VU slot has samples in one of them); the
  // verdict is the merged summary's, built from every sample of the run.
  log('building the summary of the whole run from InfluxDB');
  const { buildReport } = await import('./report.ts');
  const outcome = await buildReport(
    { testid: run.testid, resultsDir: run.resultsDir },
    Object.assign({}, process.env, { [INFLUXDB.urlEnv]: run.influx as string }),
  );
  return outcome.code;
}
