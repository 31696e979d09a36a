// The suite's calls to the upstream (k6 side): its IO profile set before each slot starts, and
// the IO it served during the slot read back once nothing of the slot is in flight there,
// emitted as two counters tagged like the slot's other samples. What is sent and read is
// k6/lib/io-usage.ts; only the CPU sampler calls this, and it runs on the first k6 process
// only (segmentation.ts), so a run sets each profile once.

import { sleep } from 'k6';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { METRICS, REQUEST_NAMES, TAGS } from '../lib/registry.ts';
import { slotTags } from './lib/executors.ts';
import { PROFILE_PATH, parseUsage, profileBody, type Usage, usagePath } from './lib/io-usage.ts';
import type { Slot } from './lib/plan.ts';

const ioCalls = new Counter(METRICS.upstreamIoCalls);
const ioSeconds = new Counter(METRICS.upstreamIoSeconds);
const params = (timeout = '5s') => ({
  tags: { [TAGS.name]: REQUEST_NAMES.profile },
  responseType: 'text' as const,
  timeout,
});

/** The upstream's answer to GET /profile, for setup() to check it is one before any slot. */
export function upstreamStatus(url: string): number {
  return http.get(`${url}${PROFILE_PATH}`, params()).status;
}

/** PUT /profile: the slot's IO from now on, for every call that names no delay of its own. */
export function setProfile(url: string, slot: Slot): void {
  const res = http.put(
    `${url}${PROFILE_PATH}`,
    JSON.stringify(profileBody(slot)),
    Object.assign(params(), { headers: { 'Content-Type': 'application/json' } }),
  );
  if (res.status !== 200)
    console.warn(`upstream refused the profile of ${slot.id}: ${res.status} ${res.body}`);
}

function readUsage(url: string, slot: Slot): Usage | null {
  const res = http.get(`${url}${usagePath(slot.id)}`, params());
  try {
    return res.status === 200 ? parseUsage(JSON.parse(String(res.body))) : null;
  } catch {
    return null;
  }
}

const USAGE_POLL_SECONDS = 0.05;

/**
 * Emits a finished slot's IO usage. Its calls still being answered (a sync server working off
 * its queue after k6 left) are waited for until `untilMs`; past it the usage is emitted as it
 * stands, and said.
 */
export function recordUsage(url: string, slot: Slot, untilMs: number): void {
  let usage = readUsage(url, slot);
  while (usage && usage.inFlight > 0 && Date.now() + USAGE_POLL_SECONDS * 1000 < untilMs) {
    sleep(USAGE_POLL_SECONDS);
    usage = readUsage(url, slot);
  }
  if (!usage) {
    console.warn(`IO usage of ${slot.id} not read from the upstream: not counted`);
    return;
  }
  if (usage.inFlight > 0)
    console.warn(`IO usage of ${slot.id}: ${usage.inFlight} calls still in flight, not counted`);
  const tags = slotTags(slot);
  ioCalls.add(usage.calls, tags);
  ioSeconds.add(usage.ioSeconds, tags);
}
