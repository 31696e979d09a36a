// What /stats reports. The k6 suite samples it during a run and turns the difference of two
// samples into CPU seconds per slot, so every figure here is cumulative or instantaneous,
// never averaged.

import { readdirSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { Model, NodeTargetName } from '../../lib/registry.ts';

export interface StatsBody {
  server: NodeTargetName;
  model: Model;
  workers: number;
  pid: number;
  /** user + system CPU since start, every process of the server (cluster workers included). */
  cpuSeconds: number;
  /** Resident set size, every live process of the server. */
  rssBytes: number;
  /** Responses completed (every route but /stats, so the CPU sampler does not count itself). */
  served: number;
  /** Requests being handled now; on the sync server, busy workers. */
  inFlight: number;
  /** Connections waiting for an idle worker (sync only; always 0 on async). */
  queued: number;
  uptimeSeconds: number;
}

export interface ProcessUsage {
  cpuSeconds: number;
  rssBytes: number;
}

export function processUsage(): ProcessUsage {
  const cpu = process.cpuUsage();
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6, rssBytes: process.memoryUsage.rss() };
}

/** A process's resident set from /proc/<pid>/status; undefined when unreadable (no /proc, gone, a zombie). */
export function procRssBytes(pid: number): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * Another process's usage as of now, read from /proc (Linux): the CPU time of each of its live
 * threads (`schedstat`, in nanoseconds, the clock getrusage's figures come from) and its VmRSS.
 * Undefined where /proc cannot be read (another OS): the caller keeps the process's last report.
 * A thread that has exited is no longer listed, so this can fall below an earlier report: the
 * caller keeps the larger.
 */
export function liveUsage(pid: number): ProcessUsage | undefined {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    }
    const rssBytes = procRssBytes(pid);
    if (!Number.isFinite(ns) || rssBytes === undefined) return undefined;
    return { cpuSeconds: ns / 1e9, rssBytes };
  } catch {
    return undefined; // not Linux, or the process is gone (its last report stands)
  }
}

/** What one process of a cluster last reported: its usage and the responses it completed. */
export interface ProcessReport {
  usage: ProcessUsage;
  served: number;
}

/**
 * The cumulative figures of a cluster: the primary's own usage, every live process's last
 * report, and what processes that have died had reported (so CPU and served never go back).
 * The memory of the dead is gone with them.
 */
export function sumProcesses(
  reports: Iterable<ProcessReport>,
  dead: { cpuSeconds: number; served: number },
): { cpuSeconds: number; rssBytes: number; served: number } {
  const own = processUsage();
  const totals = {
    cpuSeconds: own.cpuSeconds + dead.cpuSeconds,
    rssBytes: own.rssBytes,
    served: dead.served,
  };
  for (const r of reports) {
    totals.cpuSeconds += r.usage.cpuSeconds;
    totals.rssBytes += r.usage.rssBytes;
    totals.served += r.served;
  }
  return totals;
}

/** served / inFlight counters of one process. */
export class RequestCounter {
  served = 0;
  inFlight = 0;

  /** Call once per request, before routing; counts it until its response closes. */
  track(res: ServerResponse): void {
    this.inFlight++;
    res.once('finish', () => {
      this.served++;
    });
    // 'close' also fires when the client goes away mid-request, so inFlight cannot leak.
    res.once('close', () => {
      this.inFlight--;
    });
  }
}

/** /stats of a single-process server. */
export function singleProcessStats(
  server: NodeTargetName,
  model: Model,
  counter: RequestCounter,
  workers = 1,
): () => StatsBody {
  return () => ({
    server,
    model,
    workers,
    pid: process.pid,
    ...processUsage(),
    served: counter.served,
    inFlight: counter.inFlight,
    queued: 0,
    uptimeSeconds: process.uptime(),
  });
}
