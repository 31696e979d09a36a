// The load generator's own CPU, served to k6 while it runs. At thousands of requests per
// second k6 competes with the servers for the same cores, so a knee may be the generator's
// rather than the server's. k6 cannot read its own CPU, so the runner serves it on loopback:
// the k6 process's user+system seconds (/proc/<pid>/stat) and the whole machine's busy and
// total CPU seconds (/proc/stat), sampled by the suite at each slot's window edges.
// The same server reports the CPU and RSS of a black-box target's process tree (proc-tree.ts)
// under /proc/port/<port>/stats and /proc/pid/<pid>/stats: a URL k6 polls like any /stats.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readProcStat, readTree, TICKS } from './proc-tree.ts';

/** utime + stime of one process, in seconds; null when it is gone or not on Linux. */
export function processCpuSeconds(pid: number): number | null {
  return readProcStat(pid)?.cpuSeconds ?? null;
}

/** All cores' busy (neither idle nor iowait) and total CPU seconds since boot. */
export function machineCpuSeconds(text = readFileSync('/proc/stat', 'utf8')): {
  busy: number;
  total: number;
} {
  const line = text.split('\n').find((l) => l.startsWith('cpu ')) ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: (total - idle) / TICKS, total: total / TICKS };
}

export interface SelfStatsServer {
  readonly url: string;
  /** The processes to report on (summed), once they have started. */
  setPids(pids: readonly number[]): void;
  close(): Promise<void>;
}

/** `/proc/port/<n>/stats` or `/proc/pid/<n>/stats`: the path a process-tree stats URL ends with. */
const TREE_ROUTE = /^\/proc\/(port|pid)\/(\d+)\/stats$/;

export async function startSelfStats(): Promise<SelfStatsServer> {
  let pids: readonly number[] = [];
  const server = http.createServer((req, res) => {
    const tree = TREE_ROUTE.exec(req.url ?? '');
    if (tree) {
      const read = readTree(tree[1] === 'port' ? { port: Number(tree[2]) } : { pid: Number(tree[2]) });
      res.writeHead('error' in read ? 503 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(read));
      return;
    }
    // Every k6 process of the run (several with --instances): the generator's whole cost.
    const each = pids.map(processCpuSeconds);
    const cpu =
      each.length === 0 || each.some((c) => c === null)
        ? null
        : each.reduce<number>((a, b) => a + (b ?? 0), 0);
    const machine = machineCpuSeconds();
    const body = JSON.stringify({
      k6CpuSeconds: cpu,
      machineBusySeconds: machine.busy,
      machineTotalSeconds: machine.total,
      atSeconds: performance.now() / 1000,
    });
    res.writeHead(cpu === null ? 503 : 200, { 'Content-Type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    setPids: (p) => {
      pids = p;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The runner's one self-stats server, started the first time a target or the sweep needs it. */
export interface SelfStatsOnDemand {
  get(): Promise<SelfStatsServer>;
  /** The server's URL if it was started, else undefined. */
  readonly url: string | undefined;
  setPids(pids: readonly number[]): void;
  close(): Promise<void>;
}

export function selfStatsOnDemand(): SelfStatsOnDemand {
  let started: Promise<SelfStatsServer> | null = null;
  let server: SelfStatsServer | null = null;
  return {
    get: () => {
      started ??= startSelfStats().then((s) => {
        server = s;
        return s;
      });
      return started;
    },
    get url() {
      return server?.url;
    },
    setPids: (pids) => server?.setPids(pids),
    close: async () => {
      await server?.close();
    },
  };
}
