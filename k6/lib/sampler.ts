// The CPU sampler: when it reads /stats (its ticks, laid on the slot plan) and its arithmetic:
// from two consecutive readings of a server, the CPU percentage between them and the CPU
// seconds that fall inside a slot's measurement window.

import { ms, type Plan, slotEnd, warmupEnd } from './plan.ts';

export type TickKind = 'drain-check' | 'slot-start' | 'tick' | 'window-start' | 'window-end';

export interface Tick {
  /** Seconds from the start of the test. */
  readonly at: number;
  readonly slot: number;
  readonly kind: TickKind;
  /** Inside [warmup end, slot end]: CPU between two such ticks of a slot is the slot's. */
  readonly inWindow: boolean;
}

/**
 * When the CPU sampler reads /stats: at each slot's start, every sample interval, exactly at
 * the warm-up end and at the slot end, so the CPU counted for a slot is the CPU spent in
 * its measurement window and nothing else. Half a gap before each slot, a `drain-check`
 * reads the sync server's /stats instead: it must have nothing in flight or queued then.
 */
export function samplerTicks(plan: Plan): Tick[] {
  const ticks: Tick[] = [];
  plan.slots.forEach((slot, index) => {
    const start = slot.startSeconds;
    const from = warmupEnd(slot);
    const to = slotEnd(slot);
    ticks.push({
      at: ms(Math.max(0, start - slot.gapSeconds / 2)),
      slot: index,
      kind: 'drain-check',
      inWindow: false,
    });
    ticks.push({ at: start, slot: index, kind: 'slot-start', inWindow: false });
    for (let k = 1; ; k++) {
      const at = ms(start + k * plan.sampleIntervalSeconds);
      if (at >= to) break;
      // Skip grid points too close to the window edges, which get ticks of their own.
      if (Math.abs(at - from) < plan.sampleIntervalSeconds / 4) continue;
      if (to - at < plan.sampleIntervalSeconds / 4) continue;
      ticks.push({ at, slot: index, kind: 'tick', inWindow: at > from });
    }
    ticks.push({ at: from, slot: index, kind: 'window-start', inWindow: true });
    ticks.push({ at: to, slot: index, kind: 'window-end', inWindow: true });
  });
  const order: Record<TickKind, number> = {
    'drain-check': 0,
    'slot-start': 1,
    tick: 2,
    'window-start': 2,
    'window-end': 3,
  };
  return ticks.sort((a, b) => a.at - b.at || a.slot - b.slot || order[a.kind] - order[b.kind]);
}

/** The fields of a server's GET /stats the suite reads. */
export interface ServerStats {
  readonly pid: number;
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly uptimeSeconds: number;
}

export interface Reading {
  readonly tick: Tick;
  readonly stats: ServerStats;
  /** Client clock when the answer arrived, ms. */
  readonly atMs: number;
}

export interface SampleMetrics {
  /** Percent of one core between the previous reading and this one (absent on a slot's first). */
  readonly cpuPercent?: number;
  /** CPU seconds between the previous reading and this one, when both lie in the window. */
  readonly cpuSecondsInWindow?: number;
  readonly rssBytes: number;
  /** Requests being served plus connections waiting for a sync worker. */
  readonly inFlight: number;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A JSON object from a response body (text or already parsed); null for anything else. */
function jsonObject(body: unknown): Record<string, unknown> | null {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return null;
    }
  }
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
}

export function parseStats(body: unknown): ServerStats | null {
  const o = jsonObject(body);
  if (!o) return null;
  if (!isNumber(o.cpuSeconds) || !isNumber(o.rssBytes)) return null;
  return {
    pid: isNumber(o.pid) ? o.pid : 0,
    cpuSeconds: o.cpuSeconds,
    rssBytes: o.rssBytes,
    inFlight: isNumber(o.inFlight) ? o.inFlight : 0,
    queued: isNumber(o.queued) ? o.queued : 0,
    uptimeSeconds: isNumber(o.uptimeSeconds) ? o.uptimeSeconds : 0,
  };
}

export function sampleMetrics(prev: Reading | null, cur: Reading): SampleMetrics {
  const base = { rssBytes: cur.stats.rssBytes, inFlight: cur.stats.inFlight + cur.stats.queued };
  // Only readings of the same slot, and of the same server process, are compared: a restarted
  // server starts its CPU counter again.
  if (!prev || prev.tick.slot !== cur.tick.slot || prev.stats.pid !== cur.stats.pid) return base;
  const cpu = cur.stats.cpuSeconds - prev.stats.cpuSeconds;
  if (cpu < 0) return base;
  // The server's own clock is the one its CPU counter runs on; the client's is the fallback.
  const uptime = cur.stats.uptimeSeconds - prev.stats.uptimeSeconds;
  const wall = uptime > 0 ? uptime : (cur.atMs - prev.atMs) / 1000;
  const out: { cpuPercent?: number; cpuSecondsInWindow?: number; rssBytes: number; inFlight: number } = base;
  if (wall > 0) out.cpuPercent = (cpu / wall) * 100;
  if (prev.tick.inWindow && cur.tick.inWindow) out.cpuSecondsInWindow = cpu;
  return out;
}

/** What the runner's self-stats URL reports: the k6 process's CPU and the whole machine's. */
export interface GeneratorStats {
  /** user + system CPU of the k6 process since it started. */
  readonly k6CpuSeconds: number;
  /** CPU time of all cores since boot, busy (not idle or iowait) and total, from /proc/stat. */
  readonly machineBusySeconds: number;
  readonly machineTotalSeconds: number;
  /** The runner's clock, seconds. */
  readonly atSeconds: number;
}

export function parseGeneratorStats(body: unknown): GeneratorStats | null {
  const o = jsonObject(body) ?? {};
  const keys = ['k6CpuSeconds', 'machineBusySeconds', 'machineTotalSeconds', 'atSeconds'] as const;
  if (!keys.every((k) => isNumber(o[k]))) return null;
  return {
    k6CpuSeconds: o.k6CpuSeconds as number,
    machineBusySeconds: o.machineBusySeconds as number,
    machineTotalSeconds: o.machineTotalSeconds as number,
    atSeconds: o.atSeconds as number,
  };
}

/** k6's CPU in percent of one core, and the machine's busy share of all cores, between two readings. */
export function generatorLoad(
  from: GeneratorStats,
  to: GeneratorStats,
): { k6CpuPercent: number; machineBusyPercent: number } | null {
  const wall = to.atSeconds - from.atSeconds;
  const total = to.machineTotalSeconds - from.machineTotalSeconds;
  if (!(wall > 0) || !(total > 0)) return null;
  return {
    k6CpuPercent: ((to.k6CpuSeconds - from.k6CpuSeconds) / wall) * 100,
    machineBusyPercent: ((to.machineBusySeconds - from.machineBusySeconds) / total) * 100,
  };
}

/** The sync server has drained when nothing is being served or waiting for a worker. */
export const drained = (stats: ServerStats): boolean => stats.inFlight === 0 && stats.queued === 0;
