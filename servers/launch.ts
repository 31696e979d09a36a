// Starts servers as child processes and tells you where they listen: used by `npm run servers`,
// the k6 runner and the tests. Each child is `node --import tsx servers/<name>.ts`, or for the
// Python targets `python3 servers/python/<entry>` (the registry's `python.entry`; Debian's
// /usr/bin/python3, PYTHON overrides it), the same commands docker runs, so what is measured is
// what is launched.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  NODE_TARGET_NAMES,
  PYTHON_PACKAGES,
  PYTHON_TARGET_NAMES,
  type PythonTargetName,
  TARGETS,
  UPSTREAM,
} from '../lib/registry.ts';
import { type ServiceName as NodeServiceName, serviceSpec } from './lib/config.ts';

/** The Python targets (servers/python/), started with Debian's interpreter: the registry's. */
export { PYTHON_TARGET_NAMES, type PythonTargetName };
/** Everything the launcher can start. */
export type ServiceName = NodeServiceName | PythonTargetName;
/** The interpreter that sees Debian's python3-* packages; PYTHON overrides it. */
export const DEFAULT_PYTHON = '/usr/bin/python3';
/** What starts when nothing is selected: upstream first (the app servers are pointed at it), then the Node targets. */
export const SERVICE_NAMES: readonly ServiceName[] = ['upstream', ...NODE_TARGET_NAMES];
/** Every service the launcher knows, in start order. */
export const ALL_SERVICE_NAMES: readonly ServiceName[] = [...SERVICE_NAMES, ...PYTHON_TARGET_NAMES];

export interface StartOptions<N extends ServiceName = ServiceName> {
  /** Bind address (HOST); default: the children's environment, else 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port. Unset: the children's environment (EXPRESS_PORT, ...), else the registry default. */
  readonly ports?: Partial<Record<ServiceName, number>>;
  readonly syncWorkers?: number;
  /**
   * An upstream that is already running (default: the environment's UPSTREAM_URL): none is
   * started here, even when `only` names it, and every app calls this one. Unset: the one
   * started here.
   */
  readonly upstreamUrl?: string;
  /** Which to start, any of ALL_SERVICE_NAMES; default SERVICE_NAMES (upstream and the Node targets). */
  readonly only?: readonly N[];
  /** Extra environment for every child (e.g. UPSTREAM_TIMEOUT_MS). */
  readonly env?: Readonly<Record<string, string>>;
  /** Give up on a server that has not answered /health by then. Default 30 s. */
  readonly startTimeoutMs?: number;
  /** Do not copy the children's stderr to ours. */
  readonly quiet?: boolean;
}

export interface RunningServers<N extends ServiceName = ServiceName> {
  /** Base URLs a client can use (0.0.0.0 becomes 127.0.0.1). */
  readonly urls: Record<N, string>;
  /** Process id of each server (the sync server's primary). */
  readonly pids: Record<N, number>;
  /** The line each server printed when listening, e.g. `express listening on http://... (sync, 2 workers)`. */
  readonly lines: Record<N, string>;
  /** Where a server serves /stats apart from its own port (flask: Gunicorn's arbiter thread). */
  readonly statsUrls: Partial<Record<N, string>>;
  /** Resolves if a server exits on its own after start; never while stop() runs. */
  readonly exited: Promise<{ name: N; code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM to every server, SIGKILL after 5 s; resolves when all have exited. */
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Resolved here, so children start the same way whatever the caller's working directory.
const TSX = import.meta.resolve('tsx');
// A whole line only: a chunk may end in the middle of it.
const LISTENING = /^(\S+) listening on (http:\/\/\S+) .*\n/m;
const STATS_URL = /; stats (http:\/\/[^\s)]+)\)/;
const KILL_AFTER_MS = 5000;

export function serverFile(name: ServiceName): string {
  if (isPython(name)) return fileURLToPath(new URL(`./python/${pythonSpec(name).entry}`, import.meta.url));
  return fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
}

export const isPython = (name: string): name is PythonTargetName =>
  (PYTHON_TARGET_NAMES as readonly string[]).includes(name);

function pythonSpec(name: PythonTargetName): { entry: string; modules: readonly string[] } {
  const spec = TARGETS[name];
  // Every Python target of the registry names its entry (test/compose-structure.test.ts checks it).
  if (!('python' in spec)) throw new Error(`${name}: lib/registry.ts gives no python entry`);
  return spec.python;
}

/**
 * Null when the interpreter imports every module the targets need; else one line naming the
 * Debian packages to install, so a missing package is not a traceback from a child process.
 */
export function pythonProblem(names: readonly PythonTargetName[], python = pythonPath()): string | null {
  const modules = [...new Set(names.flatMap((n) => pythonSpec(n).modules))];
  if (modules.length === 0) return null;
  const probe = spawnSync(
    python,
    [
      '-c',
      `import importlib.util as u; print(",".join(m for m in ${JSON.stringify(modules)} if u.find_spec(m) is None))`,
    ],
    { encoding: 'utf8' },
  );
  if (probe.error || probe.status !== 0) {
    return `${names.join(', ')} need Python 3 at ${python} (set PYTHON to another interpreter): ${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}`;
  }
  const missing = probe.stdout.trim().split(',').filter(Boolean);
  if (missing.length === 0) return null;
  const packages = missing.map((m) => PYTHON_PACKAGES[m] ?? m);
  return (
    `${names.join(', ')} cannot start: ${python} lacks ${missing.join(', ')}; ` +
    `install them with: sudo apt-get install ${packages.join(' ')}`
  );
}

function pythonPath(): string {
  return process.env.PYTHON || DEFAULT_PYTHON;
}

export async function startServers<N extends ServiceName = ServiceName>(
  options: StartOptions<N> = {},
): Promise<RunningServers<N>> {
  const external = options.upstreamUrl ?? (process.env[UPSTREAM.urlEnv] || undefined);
  const names = (options.only ? ALL_SERVICE_NAMES : SERVICE_NAMES).filter(
    (n) =>
      (!options.only || (options.only as readonly string[]).includes(n)) &&
      !(n === 'upstream' && external !== undefined),
  ) as N[];
  const problem = pythonProblem((names as readonly string[]).filter(isPython));
  if (problem) throw new Error(problem);
  const started = new Map<N, Child>();
  let stopping = false;
  let onExit: (value: Awaited<RunningServers<N>['exited']>) => void = () => {};
  const exited = new Promise<Awaited<RunningServers<N>['exited']>>((resolve) => {
    onExit = resolve;
  });

  const stop = async () => {
    stopping = true;
    await Promise.all([...started.values()].map((child) => child.stop()));
  };

  const launch = async (name: N, upstreamUrl: string | undefined) => {
    const env: Record<string, string> = { ...options.env };
    if (options.host !== undefined) env.HOST = options.host;
    const port = options.ports?.[name];
    if (port !== undefined) env[portEnvOf(name)] = String(port);
    // A separate stats port (flask) on a free port too when the app's port is free-picked.
    const spec = name === 'upstream' ? undefined : TARGETS[name as Exclude<ServiceName, 'upstream'>];
    if (port === 0 && spec && 'stats' in spec) env[spec.stats.portEnv] = '0';
    if (options.syncWorkers !== undefined) env.SYNC_WORKERS = String(options.syncWorkers);
    if (upstreamUrl !== undefined) env[UPSTREAM.urlEnv] = upstreamUrl;
    const child = spawnServer(name, env, options);
    started.set(name, child);
    child.process.once('exit', (code, signal) => {
      if (!stopping && child.ready) onExit({ name, code, signal });
    });
    await child.whenReady(options.startTimeoutMs ?? 30_000);
    return child;
  };

  try {
    let upstreamUrl = external;
    if (names.includes('upstream' as N)) {
      const upstream = await launch('upstream' as N, undefined);
      upstreamUrl ??= upstream.url;
    }
    await Promise.all(names.filter((n) => n !== 'upstream').map((n) => launch(n, upstreamUrl)));
  } catch (err) {
    await stop();
    throw err;
  }

  const urls = {} as Record<N, string>;
  const pids = {} as Record<N, number>;
  const lines = {} as Record<N, string>;
  const statsUrls: Partial<Record<N, string>> = {};
  for (const [name, child] of started) {
    urls[name] = child.url;
    pids[name] = child.process.pid as number;
    lines[name] = child.line;
    const stats = STATS_URL.exec(child.line)?.[1];
    if (stats) statsUrls[name] = clientUrl(stats);
  }
  return { urls, pids, lines, statsUrls, exited, stop };
}

interface Child {
  readonly process: ChildProcess;
  url: string;
  line: string;
  ready: boolean;
  whenReady(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

function spawnServer(name: ServiceName, env: Record<string, string>, options: { quiet?: boolean }): Child {
  const [command, args] = isPython(name)
    ? [pythonPath(), [serverFile(name)]]
    : [process.execPath, ['--import', TSX, serverFile(name)]];
  const proc = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    // The IPC channel is only a lifeline: a server whose launcher dies sees it close and stops,
    // so a crashed test run leaves no server (or cluster of workers) behind. The Python servers
    // read it too (NODE_CHANNEL_FD, servers/python/common.py), and Gunicorn's workers watch
    // their arbiter.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  proc.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
    if (!options.quiet) process.stderr.write(text);
  });
  const exit = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = {
    process: proc,
    url: '',
    line: '',
    ready: false,
    async whenReady(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const failed = exit.then(() => {
        const reason = stderr.trim().split('\n').slice(-5).join('\n') || `exit code ${proc.exitCode}`;
        throw new Error(`${name} exited before it was ready: ${reason}`);
      });
      const listening = new Promise<string>((resolve) => {
        let out = '';
        proc.stdout?.setEncoding('utf8').on('data', (text: string) => {
          out += text;
          const m = LISTENING.exec(out);
          if (m?.[2] && !child.line) {
            child.line = m[0].trimEnd();
            resolve(clientUrl(m[2]));
          }
        });
      });
      const timedOut = new Promise<never>((_, reject) => {
        setTimeout(
          () => reject(new Error(`${name} did not answer /health within ${timeoutMs} ms`)),
          timeoutMs,
        ).unref();
      });
      child.url = await Promise.race([listening, failed, timedOut]);
      // Listening is not serving (the sync server's workers may still be starting): poll /health.
      await Promise.race([waitForHealth(child.url, deadline), failed, timedOut]);
      child.ready = true;
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), KILL_AFTER_MS);
      await exit;
      clearTimeout(timer);
    },
  };
  return child;
}

async function waitForHealth(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) return; // the timeout race reports it
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function portEnvOf(name: ServiceName): string {
  return isPython(name) ? TARGETS[name].portEnv : serviceSpec(name).portEnv;
}

/** A URL a client on this machine can use for a server bound to `url`'s host. */
function clientUrl(url: string): string {
  return url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
}
