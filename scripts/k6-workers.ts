// `npm run k6:workers`: the worker sweep. Each W of WORKERS_SWEEP (default 1, 2, 4, 8, 16, 32)
// is a run of the ordinary runner (scripts/k6-run.ts --start) with SYNC_WORKERS=W, one scenario
// (default stress), its files in RESULTS_DIR/workers/w<W>; then results/workers.json, its page
// (workers.html) and the table are built from those summaries (k6/lib/workers-sweep.ts).
//
// A loop of runs rather than a plan kind: W is fixed when a sync server starts (Gunicorn's
// worker count, the cluster's forks), so every W needs a restarted server; the runner already
// starts servers with a given W, checks the contract and plans the slots for it, and a plan kind
// inside one k6 run could not restart them.
//
//   tsx scripts/k6-workers.ts [--smoke] [--scenario stress] [--targets express,flask,koa]
//
// --smoke  W = 1, 4, 16 at TIME_SCALE=0.1 (the runner's smoke), unless WORKERS_SWEEP is set.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FILES } from '../k6/lib/artifacts.ts';
import { renderWorkersReport, renderWorkersTable } from '../k6/lib/report-workers.ts';
import type { Summary } from '../k6/lib/summary.ts';
import { buildWorkersSweep, parseWorkersSweep, type WorkersRun } from '../k6/lib/workers-sweep.ts';
import { parseFlags } from './args.ts';
import { K6_MISSING_EXIT } from './k6-process.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const USAGE = 'usage: npm run k6:workers -- [--smoke] [--scenario stress] [--targets express,flask,koa]';
/** Two sync targets (Node and Gunicorn) and one async process for the latency to reach. */
export const DEFAULT_WORKERS_TARGETS = 'express,flask,koa';
export const WORKERS_FILES = { json: 'workers.json', page: 'workers.html' } as const;

function main(): number {
  const flags = parseFlags(
    process.argv.slice(2),
    { smoke: { type: 'boolean' }, scenario: { type: 'string' }, targets: { type: 'string' } },
    USAGE,
  );
  const smoke = flags.smoke === true;
  const sweep = parseWorkersSweep(process.env.WORKERS_SWEEP, smoke);
  const scenario = flags.scenario ?? 'stress';
  const targets = flags.targets ?? process.env.TARGETS ?? DEFAULT_WORKERS_TARGETS;
  const resultsDir = path.resolve(ROOT, process.env.RESULTS_DIR?.trim() || 'results');
  const runs: WorkersRun[] = [];
  let stopped: { workers: number; reason: string } | undefined;
  for (const workers of sweep) {
    const dir = path.join(resultsDir, 'workers', `w${workers}`);
    mkdirSync(dir, { recursive: true });
    console.log(`[k6-workers] W = ${workers}: ${targets}, ${scenario}${smoke ? ' (smoke)' : ''}`);
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/k6-run.ts',
        '--start',
        '--scenarios',
        scenario,
        ...(smoke ? ['--smoke'] : []),
      ],
      {
        cwd: ROOT,
        stdio: 'inherit',
        env: Object.assign({}, process.env, {
          SYNC_WORKERS: String(workers),
          TARGETS: targets,
          RESULTS_DIR: dir,
        }),
      },
    );
    if (run.status === K6_MISSING_EXIT || run.signal) return run.status ?? 130;
    const file = path.join(dir, FILES.summary);
    // A run whose checks failed (a sync server far from its theory at a large W) still measured.
    // One that left nothing (servers that could not start W workers in time) ends the sweep: a
    // larger W would fare no better, and the W measured so far are kept.
    if (!existsSync(file)) {
      stopped = { workers, reason: `the run at W = ${workers} left no summary.json (exit ${run.status})` };
      console.error(`[k6-workers] FAIL ${stopped.reason}: the sweep stops there`);
      break;
    }
    runs.push({ workers, summary: JSON.parse(readFileSync(file, 'utf8')) as Summary });
  }
  if (runs.length === 0) return 1;
  const built = buildWorkersSweep(runs, scenario, new Date());
  const result = stopped ? Object.assign(built, { stopped }) : built;
  writeFileSync(path.join(resultsDir, WORKERS_FILES.json), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, WORKERS_FILES.page), renderWorkersReport(result));
  process.stdout.write(renderWorkersTable(result));
  console.log(`[k6-workers] wrote ${path.join(resultsDir, WORKERS_FILES.json)} and ${WORKERS_FILES.page}`);
  return stopped ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    process.exit(main());
  } catch (err) {
    console.error(`[k6-workers] ${(err as Error).message}`);
    process.exit(1);
  }
}
