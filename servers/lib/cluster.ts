// What both cluster primaries (the sync arbiter, arbiter.ts, and the async cluster,
// async-cluster.ts) do the same way with their workers: replace one that dies, and stop them all.

import type { Worker } from 'node:cluster';
import { fail } from './serve.ts';

/** A worker that dies before it is up is restarted after this pause, not in a tight loop. */
const RESTART_BACKOFF_MS = 1000;

/**
 * A worker has exited while the server runs. During start-up that is fatal (the same fault would
 * kill every replacement): stop the others and say so in one line. Later, start a new one, at
 * once if the dead one had been serving, else after a pause.
 */
export function replaceWorker(
  server: string,
  worker: Worker,
  exit: { code: number | null; signal: string | null },
  state: { started: boolean; wasUp: boolean; others: Iterable<Worker> },
  fork: () => void,
): void {
  const how = exit.signal ?? `code ${exit.code}`;
  if (!state.started) {
    for (const w of state.others) w.process.kill('SIGKILL');
    fail(`${server}: worker ${worker.process.pid} exited during start-up (${how})`);
  }
  console.error(`${server}: worker ${worker.process.pid} exited (${how}), starting a new one`);
  if (state.wasUp) fork();
  else setTimeout(fork, RESTART_BACKOFF_MS).unref();
}

/** SIGTERM to every worker (no handler there: it ends even one blocked in Atomics.wait); resolves when all have exited. */
export async function stopWorkers(workers: Iterable<Worker>): Promise<void> {
  await Promise.all(
    [...workers].map((worker) => {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.process.kill('SIGTERM');
      return exited;
    }),
  );
}
