// A child process whose output the test reads afterwards: what every test that runs one of
// the project's commands (a server, the launcher, the k6 runner) needs.

import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

export interface Collected {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved as they arrived. */
  output(): string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnCollecting(command: string, args: readonly string[], options: SpawnOptions): Collected {
  const child = spawn(command, args, Object.assign({}, options, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (t: string) => {
    stdout += t;
    output += t;
  });
  child.stderr?.setEncoding('utf8').on('data', (t: string) => {
    stderr += t;
    output += t;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, output: () => output, exit };
}

/** Whether a process of this pid still exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
