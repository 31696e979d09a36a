// The servers a run measures: reused when they already answer, else started (with an
// upstream); then each checked against the route contract, its W read from /health and its
// CPU probe placed. A user's own target is never started: it must answer at its URL.

import { cpuUndecided } from '../k6/lib/black-box.ts';
import type { SuiteConfig } from '../k6/lib/config.ts';
import { ENV } from '../k6/lib/config.ts';
import { isBuiltin, type Target } from '../k6/lib/targets.ts';
import { TARGETS, type TargetName, UPSTREAM } from '../lib/registry.ts';
import { checkContract } from './contract.ts';
import { primeTarget } from './prime.ts';
import { placeCpu } from './proc-tree.ts';
import { log } from './run-log.ts';
import type { SelfStatsOnDemand } from './self-stats.ts';

export interface Servers {
  /** The targets with the URLs they answer on (started ones on the ports they got). */
  targets: Target[];
  stop: () => Promise<void>;
  /** Resolves with a message if a server this runner started dies before stop(); else never. */
  died: Promise<string>;
  /** The upstream this runner started, when it started one. */
  upstream?: string;
}

const never = new Promise<never>(() => {});

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1500) });
    const text = await res.text();
    if (!res.ok) return false;
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Reuses the built-in targets when all of them answer, else starts them. */
export async function ensureServers(
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
    upstream: urls.upstream,
    died,
    stop: () => {
      stopping = true;
      return started.stop();
    },
  };
}

/**
 * Every target must answer the route contract before k6 starts; W comes from /health
 * (a black-box target answers its declared request instead, and W is declared). Each contract
 * target is then warmed up (prime.ts). A target whose CPU nobody reports gets it read from its
 * process tree, served by the self-stats server.
 */
export async function readyTargets(
  targets: readonly Target[],
  requestedWorkers: number | undefined,
  selfStats: SelfStatsOnDemand,
): Promise<Target[]> {
  const ready: Target[] = [];
  const primed: string[] = [];
  for (const t of targets) {
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
    if (!t.request) primed.push(`${t.name} ${await primeTarget(t, workers * (threads ?? 1))}`);
    let placed = t;
    if (cpuUndecided(t)) {
      const cpu = placeCpu(t, (await selfStats.get()).url);
      log(cpu.note);
      placed = cpu.target;
    }
    const sync = Object.assign({}, placed, { workers }, threads ? { threads } : {});
    ready.push(placed.model === 'sync' ? sync : placed);
  }
  if (primed.length > 0)
    log(`warmed up (GET /io?delay=0, so no slot pays a process's first requests): ${primed.join(', ')}`);
  return ready;
}

/**
 * The configuration with the targets as they answered: their URLs, CPU probes and the W each
 * sync target reported, which the plan and the theory then use as given (as TARGETS'
 * `workers=` would be). Names and order are unchanged, so the reference is too.
 */
export function withReadyTargets(config: SuiteConfig, targets: readonly Target[]): SuiteConfig {
  const workers: Record<string, number> = Object.assign({}, config.workers);
  const workersGiven: Record<string, boolean> = Object.assign({}, config.workersGiven);
  for (const t of targets) {
    if (t.model !== 'sync' || t.workers === undefined) continue;
    workers[t.name] = t.workers;
    workersGiven[t.name] = true;
  }
  return Object.assign({}, config, { targets, workers, workersGiven });
}
