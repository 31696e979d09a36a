// What the upstream counts: the waits and streams open now (/stats, which proves no stream
// leaks), and per slot the calls it served under each profile and the seconds they waited, so a
// runner learns how many IO calls, and how much IO time, a target's requests really made, whether
// or not the target can be asked (a black-box target cannot).

import type { ServerResponse } from 'node:http';
import { drawDelay } from './delay-dist.ts';
import { DEFAULT_PROFILE, type IoProfile, nthDraw } from './io-profile.ts';

/** The upstream's /stats counts. */
export interface UpstreamStats {
  inFlight: number;
  streamsOpen: number;
  served: number;
}

export interface SlotUsage {
  readonly slot: string;
  /** Calls answered in full. */
  readonly calls: number;
  /** Their summed waits: the drawn delay, plus (tokens - 1)·interval for a stream or completion. */
  readonly ioSeconds: number;
  /** Calls whose client left before the answer was complete (not in `calls`). */
  readonly abandoned: number;
  /** Calls still being answered. */
  readonly inFlight: number;
}

/** The wait of one call: its first byte (or token) after `delay`, the rest over `streamSeconds`. */
export interface Wait {
  readonly delay: number;
  readonly streamSeconds: number;
}

interface Slot {
  readonly profile: IoProfile;
  /** Draws made under the profile: the next seed offset. */
  draws: number;
  calls: number;
  ioSeconds: number;
  abandoned: number;
  inFlight: number;
}

/** Slots remembered; beyond it the oldest is forgotten, so a long-lived upstream stays small. */
const MAX_SLOTS = 10_000;

export class IoLedger {
  readonly stats: UpstreamStats = { inFlight: 0, streamsOpen: 0, served: 0 };
  #current: Slot;
  readonly #slots = new Map<string, Slot>();

  constructor(profile: IoProfile = DEFAULT_PROFILE) {
    this.#current = this.#open(profile);
  }

  get profile(): IoProfile {
    return this.#current.profile;
  }

  /**
   * Starts a slot. A slot id set again starts over (zero counts, seeds from the profile's seed),
   * so a rerun draws the same delays; calls still running under the old one count there.
   */
  start(profile: IoProfile): void {
    this.#current = this.#open(profile);
  }

  /** The next draw under the current profile (what a call that names no delay gets). */
  draw(): { delay: number; tokens: number; interval: number } {
    const slot = this.#current;
    const { tokens, interval } = slot.profile;
    return { delay: drawDelay(nthDraw(slot.profile, slot.draws++)), tokens, interval };
  }

  /**
   * Counts one call: open (`inFlight` a wait, `streamsOpen` a stream) until its connection is
   * done with it; under the current slot (the one in force when it arrived) served when its
   * response has been sent in full, abandoned when the client left before.
   */
  count(res: ServerResponse, kind: 'inFlight' | 'streamsOpen', wait: Wait): void {
    const slot = this.#current;
    const { stats } = this;
    stats[kind]++;
    slot.inFlight++;
    let finished = false;
    res.once('finish', () => {
      finished = true;
      stats.served++;
      slot.calls++;
      slot.ioSeconds += wait.delay + wait.streamSeconds;
    });
    res.once('close', () => {
      stats[kind]--;
      slot.inFlight--;
      if (!finished) slot.abandoned++;
    });
  }

  usage(id: string): SlotUsage | undefined {
    const slot = this.#slots.get(id);
    return slot && usageOf(slot);
  }

  all(): SlotUsage[] {
    return [...this.#slots.values()].map(usageOf);
  }

  #open(profile: IoProfile): Slot {
    const slot: Slot = { profile, draws: 0, calls: 0, ioSeconds: 0, abandoned: 0, inFlight: 0 };
    this.#slots.delete(profile.slot);
    this.#slots.set(profile.slot, slot);
    if (this.#slots.size > MAX_SLOTS) this.#slots.delete(this.#slots.keys().next().value as string);
    return slot;
  }
}

function usageOf(slot: Slot): SlotUsage {
  return {
    slot: slot.profile.slot,
    calls: slot.calls,
    // Summed floats drift in the last digits (0.1 + 0.2); microseconds are far below any timer.
    ioSeconds: Math.round(slot.ioSeconds * 1e6) / 1e6,
    abandoned: slot.abandoned,
    inFlight: slot.inFlight,
  };
}
