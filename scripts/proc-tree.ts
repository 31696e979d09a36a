// CPU and RSS of a server read from outside it, for a black-box target that has no /stats:
// the processes that own the listening socket of its port (or the process `pid=` names) and
// all their descendants, so Gunicorn's arbiter and every worker, or a Node cluster's primary
// and its workers, count as one server. Linux /proc only:
//
//   /proc/net/tcp{,6}   the inode of the socket listening on the port
//   /proc/*/fd/*        which processes hold `socket:[inode]`
//   /proc/*/stat        parents (for the descendants) and CPU ticks; /proc/*/status VmRSS
//
// A process can only read the fds of processes of its own user (or any, as root): a server
// run by another user is not found by its port, and `pid=` is the way to name it.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { cpuUndecided } from '../k6/lib/black-box.ts';
import type { Target } from '../k6/lib/targets.ts';
import { procRssBytes } from '../servers/lib/stats.ts';

/** Kernel clock ticks per second (USER_HZ): 100 on every Linux build this runs on. */
export const TICKS = 100;

/** The fields of /proc/<pid>/stat this project reads; CPU in seconds. */
export interface ProcStat {
  readonly comm: string;
  readonly ppid: number;
  /** user + system CPU of the process itself. */
  readonly cpuSeconds: number;
  /** user + system CPU of its children that have exited and been waited for. */
  readonly reapedCpuSeconds: number;
}

/** One process's /proc/<pid>/stat; null when it is gone or not on Linux. */
export function readProcStat(pid: number): ProcStat | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces; fields after its closing ')' are fixed.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  const ticks = (i: number) => Number(fields[i]);
  return {
    comm: stat.slice(stat.indexOf('(') + 1, close),
    ppid: ticks(1),
    cpuSeconds: (ticks(11) + ticks(12)) / TICKS,
    reapedCpuSeconds: (ticks(13) + ticks(14)) / TICKS,
  };
}

/** What /stats answers, for a process tree: the fields the suite's sampler reads (sampler.ts). */
export interface TreeStats {
  /** CPU of every live process of the tree, plus what its members have reaped of exited ones. */
  readonly cpuSeconds: number;
  /** Summed over the processes, as the servers' own /stats do (shared pages count in each). */
  readonly rssBytes: number;
  /** The tree's root: the sampler compares two readings only when it is the same process. */
  readonly pid: number;
  readonly pids: readonly number[];
  /** Unknown from outside; 0 so that a sync target never seems to have a backlog. */
  readonly inFlight: 0;
  readonly queued: 0;
  /** The reader's clock, seconds: the interval between two readings is timed where they are made. */
  readonly uptimeSeconds: number;
}

export type TreeSelector = { readonly port: number } | { readonly pid: number };

const TCP_LISTEN = '0A';

/** Inodes of the sockets listening on a TCP port, IPv4 and IPv6 (/proc/net/tcp, tcp6). */
export function listeningInodes(port: number, read = (f: string) => readFileSync(f, 'utf8')): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = read(file);
    } catch {
      continue; // no IPv6 in this kernel
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      const local = f[1]?.split(':')[1];
      if (local && Number.parseInt(local, 16) === port && f[3] === TCP_LISTEN && f[9] && f[9] !== '0') {
        inodes.add(f[9]);
      }
    }
  }
  return inodes;
}

const pidsInProc = (): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);

/** The processes holding any of these sockets (only those this user may inspect). */
export function socketOwners(inodes: ReadonlySet<string>): number[] {
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  const owners: number[] = [];
  for (const pid of pidsInProc()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      try {
        if (wanted.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) {
          owners.push(pid);
          break;
        }
      } catch {
        // closed meanwhile
      }
    }
  }
  return owners;
}

/** The roots (owners whose parent is not an owner: the arbiter, not its workers) and every descendant. */
export function processTree(
  owners: readonly number[],
  stats: ReadonlyMap<number, ProcStat>,
): { roots: number[]; pids: number[] } {
  const own = new Set(owners);
  const roots = owners.filter((p) => !own.has(stats.get(p)?.ppid ?? -1));
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  const pids: number[] = [];
  const queue = roots.slice();
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (pids.includes(pid)) continue;
    pids.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return { roots, pids };
}

function allStats(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const pid of pidsInProc()) {
    const s = readProcStat(pid);
    if (s) out.set(pid, s);
  }
  return out;
}

/** A zombie has no VmRSS line, a process gone has no file: 0 for either. */
const rssBytes = (pid: number): number => procRssBytes(pid) ?? 0;

/** The owners found for a port last time: the fd scan is the slow part, the owners rarely change. */
const ownersByPort = new Map<number, { key: string; owners: number[] }>();

function ownersOf(port: number): number[] | string {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return `nothing listens on port ${port} on this machine`;
  const key = [...inodes].sort().join(',');
  const cached = ownersByPort.get(port);
  if (cached?.key === key && cached.owners.every((p) => readProcStat(p) !== null)) return cached.owners;
  const owners = socketOwners(inodes);
  if (owners.length === 0) {
    return `port ${port} is listening but no process of this user holds its socket (another user's or a container's): name the process with pid=`;
  }
  ownersByPort.set(port, { key, owners });
  return owners;
}

/** CPU and RSS of the tree behind a port or a pid, or why it cannot be read. */
export function readTree(selector: TreeSelector): TreeStats | { error: string } {
  const owners = 'port' in selector ? ownersOf(selector.port) : [selector.pid];
  if (typeof owners === 'string') return { error: owners };
  const stats = allStats();
  const { roots, pids } = processTree(owners, stats);
  const root = roots[0];
  if (root === undefined || !stats.has(root)) {
    return { error: `no process ${'pid' in selector ? selector.pid : owners.join(', ')} on this machine` };
  }
  // A published container port is held by docker-proxy, whose CPU is not the server's.
  const proxy = roots.find((p) => stats.get(p)?.comm === 'docker-proxy');
  if (proxy !== undefined) {
    return {
      error: `port ${'port' in selector ? selector.port : '?'} is docker-proxy's (pid ${proxy}): name the container's process with pid=`,
    };
  }
  let cpu = 0;
  let rss = 0;
  for (const pid of pids) {
    const s = stats.get(pid);
    // An exited worker's CPU moves into its parent's reaped figure: the sum never drops.
    if (s) cpu += s.cpuSeconds + s.reapedCpuSeconds;
    rss += rssBytes(pid);
  }
  return {
    cpuSeconds: cpu,
    rssBytes: rss,
    pid: root,
    pids,
    inFlight: 0,
    queued: 0,
    uptimeSeconds: performance.now() / 1000,
  };
}

/** Whether a URL's host is this machine (loopback, one of its addresses, or its name). */
export function isLocalHost(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (
    host === 'localhost' ||
    host === os.hostname() ||
    /^127\./.test(host) ||
    host === '::1' ||
    host === '0.0.0.0'
  ) {
    return true;
  }
  return Object.values(os.networkInterfaces()).some((list) => list?.some((a) => a.address === host));
}

/** The port a URL reaches (its scheme's default when none is written). */
export const portOf = (url: string): number => {
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
};

/**
 * How the runner measures a black-box target that has no stats URL: its process tree when it
 * runs on this machine (by `pid=`, else by its port), through the runner's stats server at
 * `readerUrl`; not at all when it is elsewhere. Throws one line when a local tree cannot be read.
 */
export function placeCpu(target: Target, readerUrl: string): { target: Target; note: string } {
  if (!cpuUndecided(target)) return { target, note: '' };
  const where = `${target.name} (${target.url})`;
  if (target.pid === undefined && !isLocalHost(target.url)) {
    return {
      target: Object.assign({}, target, { cpu: 'not measured' as const }),
      note: `${where}: CPU and RSS not measured: it is not on this machine (stats= names a /stats it may serve)`,
    };
  }
  const selector: TreeSelector =
    target.pid !== undefined ? { pid: target.pid } : { port: portOf(target.url) };
  const read = readTree(selector);
  if ('error' in read) {
    throw new Error(
      `${where}: cannot read its CPU from outside: ${read.error} (or cpu=none not to measure it)`,
    );
  }
  const route = 'pid' in selector ? `pid/${selector.pid}` : `port/${selector.port}`;
  return {
    target: Object.assign({}, target, {
      statsUrl: `${readerUrl.replace(/\/+$/, '')}/proc/${route}`,
      cpu: 'process tree' as const,
    }),
    note: `${target.name}: CPU and RSS from its process tree (${read.pids.length} processes: ${read.pids.join(', ')})`,
  };
}
