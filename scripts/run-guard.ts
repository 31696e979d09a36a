// What cuts a run short: a signal (Ctrl-C, SIGTERM) or a server this runner started that
// died. Either stops k6 gracefully, so it still writes the summary of what ran, and the
// runner then exits with that cause, whatever k6 said.

import type { ChildProcess } from 'node:child_process';
import { fail, log } from './run-log.ts';
import type { Servers } from './run-servers.ts';

/** The shell's convention for a process ended by a signal: 128 + its number. */
export const signalExit = (signal: NodeJS.Signals): number => (signal === 'SIGINT' ? 130 : 143);

export interface RunGuard {
  /** The k6 processes a signal or a dead server stops; [] once they have exited. */
  watch(children: readonly ChildProcess[]): void;
  readonly signalled: NodeJS.Signals | null;
  /** The exit code of a run cut short (and the FAIL line of a dead server), else null. */
  stoppedEarly(): number | null;
}

export function guardRun(servers: Servers): RunGuard {
  let children: readonly ChildProcess[] = [];
  let signalled: NodeJS.Signals | null = null;
  let serverDied: string | null = null;
  void servers.died.then((message) => {
    serverDied = message;
    fail(`${message}: stopping k6 (its measurements would be of a dead port)`);
    for (const c of children) c.kill('SIGINT');
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (children.length === 0) {
      void servers.stop().then(() => process.exit(signalExit(signal)));
      return;
    }
    // The first signal asks k6 to stop gracefully (it still writes the summary of what ran);
    // a second one makes it abort.
    log(signalled ? 'aborting k6' : `${signal}: stopping k6; the results of what ran are kept`);
    signalled = signal;
    for (const c of children) c.kill('SIGINT');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    watch: (c) => {
      children = c;
    },
    get signalled() {
      return signalled;
    },
    stoppedEarly: () => {
      if (signalled) return signalExit(signalled);
      if (!serverDied) return null;
      fail(`FAIL ${serverDied}`);
      return 1;
    },
  };
}
