// Runs the k6 runner (scripts/k6-run.ts) as a user would, collecting everything it prints.

import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnCollecting } from './processes.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunnerRun {
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  readonly exited: Promise<number | null>;
}

export function spawnRunner(args: readonly string[], env: Record<string, string>): RunnerRun {
  const run = spawnCollecting(process.execPath, ['--import', 'tsx', 'scripts/k6-run.ts', ...args], {
    cwd: ROOT,
    env: Object.assign({}, process.env, env),
  });
  return { child: run.child, output: run.output, exited: run.exit.then(({ code }) => code) };
}
