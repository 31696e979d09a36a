// The k6 suite: the five scenarios against the selected targets (default express, koa and
// fastify), one slot at a time, plus the open-model variant of stress and a CPU sampler. Everything but the k6 calls lives
// in ./lib (pure, unit-tested in Node). Bundled by esbuild.config.mjs into dist/suite.js.

import { fail, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';
import { METRICS, REQUEST_NAMES, SWEEP, TAGS } from '../lib/registry.ts';
import { asyncSpeedup } from '../lib/theory.ts';
import { k6DataArtifact, mixArtifacts, summaryArtifacts, sweepArtifacts } from './lib/artifacts.ts';
import { ENV, readConfig, runTags } from './lib/config.ts';
import { k6Duration, k6Scenarios, slotTags } from './lib/executors.ts';
import { ioUsageSpecs } from './lib/io-usage.ts';
import { machineReadableRequested, readSummaryData } from './lib/k6-summary-data.ts';
import { buildMix } from './lib/mix.ts';
import { buildPlan, windowSeconds } from './lib/plan.ts';
import {
  answered,
  countEvents,
  declaredRequests,
  firstRequestOffsetSeconds,
  requestPath,
} from './lib/request.ts';
import { runEnv } from './lib/run-info.ts';
import {
  drained,
  type GeneratorStats,
  generatorLoad,
  parseGeneratorStats,
  parseStats,
  type Reading,
  sampleMetrics,
  samplerTicks,
} from './lib/sampler.ts';
import { buildSummary, type SetupData } from './lib/summary.ts';
import { buildSweep } from './lib/sweep.ts';
import type { Target } from './lib/targets.ts';
import { k6Thresholds, measuredRoute, SUITE_METRICS, thresholdSpecs } from './lib/thresholds.ts';
import { recordUsage, setProfile, upstreamStatus } from './upstream.ts';

const config = readConfig(__ENV);
const plan = buildPlan(config);
const ticks = samplerTicks(plan);
const specs = [...thresholdSpecs(plan), ...ioUsageSpecs(plan, config.upstreamUrl)];
const upstream = config.upstreamUrl;

export const options = {
  tags: runTags(__ENV),
  // With an upstream, one iteration after the last tick reads the last slot's IO usage.
  scenarios: k6Scenarios(plan, ticks.length + (upstream ? 1 : 0)),
  thresholds: k6Thresholds(specs),
  // Every tag is built into every sample k6 makes (about ten per request), and the generator
  // shares the machine with the servers it measures: only the tags something reads are kept.
  // `name` tells the routes apart, `error_code` counts timeouts, `status` says why a request
  // failed. k6's own `scenario` tag is left out so that ours (the registry's scenario name,
  // set on each slot) is the one every sample carries; `url` would repeat `name`, and
  // `method`, `group`, `check`, `error` and `expected_response` are read by nothing.
  systemTags: ['status', 'name', 'error_code'],
  summaryTrendStats: ['avg', 'med', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)', 'min', 'max', 'count'],
  // /io answers are not read; /stats and /health ask for their bodies explicitly.
  discardResponseBodies: true,
  // setup() may wait for a backlog left by an earlier run to drain.
  setupTimeout: '180s',
};

const ioCompleted = new Counter(METRICS.ioCompleted);
const cpuPercent = new Trend(METRICS.serverCpuPercent);
const cpuSeconds = new Counter(METRICS.serverCpuSeconds);
const rssBytes = new Trend(METRICS.serverRssBytes);
const windowLength = new Gauge(METRICS.slotWindowSeconds);
const inFlight = new Trend(METRICS.serverInFlight);
const theory = new Gauge(METRICS.theorySpeedup);
const syncDrained = new Rate(SUITE_METRICS.syncDrained);
const runInfo = new Gauge(METRICS.runInfo);
const k6Cpu = new Gauge(METRICS.sweepK6CpuPercent);
const machineBusy = new Gauge(METRICS.sweepMachineBusyPercent);
const streamTtft = new Trend(METRICS.streamTtft, true);
const streamTokens = new Counter(METRICS.streamTokens);

const slotsById: Record<string, (typeof plan.slots)[number]> = {};
for (const slot of plan.slots) slotsById[slot.id] = slot;

function getJson(url: string, name: string): { status: number; body: unknown } {
  const res = http.get(url, { tags: { [TAGS.name]: name }, responseType: 'text', timeout: '5s' });
  let body: unknown = null;
  try {
    body = typeof res.body === 'string' ? JSON.parse(res.body) : null;
  } catch {
    body = null;
  }
  return { status: res.status, body };
}

// Drain is read from /stats: a sync target whose CPU is not measured (statsUrl '') cannot be
// waited for, and is not.
const syncTargets = config.targets.filter((t) => t.model === 'sync' && t.statsUrl !== '');
const targetsByName: Record<string, Target> = {};
for (const t of config.targets) targetsByName[t.name] = t;
// Black-box targets: the request each declared, sent instead of /io (throws here if unusable).
const declared = declaredRequests(config.targets);

const statsOf = (t: Target) => parseStats(getJson(`${t.statsUrl}/stats`, REQUEST_NAMES.stats).body);

const DRAIN_POLL_SECONDS = 0.05;

export function setup(): SetupData {
  // abort, not fail(): one line and no stack, before any slot is measured for nothing.
  const unreadable = machineReadableRequested(__ENV);
  if (unreadable) exec.test.abort(unreadable);
  const workers: Record<string, number> = {};
  // Threads count as workers (gthread: W·T); an async target's processes bound its CPU.
  const threads: Record<string, number> = {};
  const processes: Record<string, number> = {};
  for (const t of config.targets) {
    if (t.request) {
      // A black-box target has no /health: its model and W were declared in TARGETS.
      if (t.model === 'sync') workers[t.name] = config.workers[t.name] ?? 1;
      continue;
    }
    const { status, body } = getJson(`${t.url}/health`, REQUEST_NAMES.health);
    const h = (body || {}) as { model?: string; workers?: number; threads?: number };
    if (status !== 200) {
      fail(
        `${t.name} is not answering ${t.url}/health (status ${status}): start it or fix its URL (TARGETS)`,
      );
    }
    if (h.model !== t.model)
      fail(`${t.url}/health says model "${h.model}", expected "${t.model}" for ${t.name}`);
    if (t.model !== 'sync') {
      if (typeof h.workers === 'number' && h.workers >= 1) processes[t.name] = h.workers;
      continue;
    }
    if (typeof h.threads === 'number' && h.threads >= 1) {
      if (t.threads !== undefined && h.threads !== t.threads)
        fail(`${t.name} was planned with T=${t.threads} but its /health reports threads=${h.threads}`);
      threads[t.name] = h.threads;
    }
    const w = h.workers;
    if (typeof w !== 'number' || !(w >= 1)) fail(`${t.name} /health reports no worker count`);
    if (config.workersGiven[t.name] && w !== config.workers[t.name]) {
      fail(
        `${t.name} was planned with W=${config.workers[t.name]} but its /health reports workers=${w}: ` +
          `the slot plan and thresholds would not fit the server; run with -e ${ENV.syncWorkers}=${w}`,
      );
    }
    if (!config.workersGiven[t.name]) {
      console.warn(`${t.name}: W not given: slots planned for W=1 (the longest); theory uses W=${w}`);
    }
    workers[t.name] = w;
  }
  // A previous run (or another client) may have left a sync server busy; measuring on top
  // of that backlog would be unfair to it. Polled often: with several k6 processes, another
  // process's /health above keeps a sync worker busy for a moment, and every process's slots
  // count from the end of its own setup(), so a long wait here would start them late (a 1 s
  // poll once put one process's slots a whole second behind the other's).
  const deadline = Date.now() + 150_000;
  for (const t of syncTargets) {
    for (;;) {
      const stats = statsOf(t);
      if (stats && drained(stats)) break;
      if (Date.now() > deadline) fail(`${t.name} still has requests in flight or queued after 150 s`);
      sleep(DRAIN_POLL_SECONDS);
    }
  }
  if (!upstream) {
    console.log(`IO per request not measured: no upstream URL (${ENV.upstreamUrl}) to set the slots' IO on`);
  } else if (upstreamStatus(upstream) !== 200) {
    fail(
      `${upstream}/profile does not answer: the upstream at ${ENV.upstreamUrl} must be this project's (npm run servers)`,
    );
  }
  runInfo.add(1, {
    config: JSON.stringify(runEnv(config, config.instances)),
    workers: JSON.stringify(workers),
  });
  const ref = config.reference;
  console.log(
    `plan: ${plan.slots.length} slots, ${Math.round(plan.totalSeconds)} s, ` +
      `${ref ? `reference ${ref} W=${workers[ref]}` : 'no sync target'}, time scale ${config.timeScale}`,
  );
  return { workers, threads, processes };
}

/** What a slot's every request shares, worked out once per VU rather than per request. */
interface SlotRequest {
  readonly method: string;
  readonly base: string;
  /** The whole URL when every request of the slot asks the same (no drawn delays, or declared). */
  readonly fixedUrl: string | null;
  readonly body: string | null;
  readonly params: Record<'warmup' | 'measure', Record<string, unknown>>;
}
const slotRequests: Record<string, SlotRequest> = {};

function slotRequest(slot: (typeof plan.slots)[number]): SlotRequest {
  const known = slotRequests[slot.id];
  if (known) return known;
  const base = `${targetsByName[slot.server]?.url}`;
  // A black-box target gets the request it declared, the same in every slot.
  const own = declared[slot.server];
  const params = (phase: 'warmup' | 'measure') => ({
    headers: own ? own.headers : {},
    tags: { [TAGS.phase]: phase, [TAGS.name]: measuredRoute(slot) },
    timeout: k6Duration(slot.timeoutSeconds),
    // A stream's events are counted; other bodies are not read.
    responseType: slot.stream ? 'text' : 'none',
  });
  const drawn = slot.profile !== undefined && slot.profile.dist !== 'fixed';
  const made: SlotRequest = {
    method: own ? own.method : 'GET',
    base,
    fixedUrl: own ? `${base}${own.path}` : drawn ? null : `${base}${requestPath(slot, 0)}`,
    body: own ? own.body : null,
    params: { warmup: params('warmup'), measure: params('measure') },
  };
  slotRequests[slot.id] = made;
  return made;
}

let vuTagged = false;

/**
 * One /io request; closed and open slots differ only in their executor. k6 runs beside the
 * servers it measures, so this adds to each request only what a figure needs: one custom
 * sample (a completion inside the window) and no check (http_req_failed already counts
 * every request that did not answer 2xx).
 */
export function io(): void {
  const slot = slotsById[exec.scenario.name];
  if (!slot) return;
  if (!vuTagged) {
    // Every sample of this VU from here on (see TAGS.vu): no two VUs of a suite slot share a
    // series in InfluxDB; a sweep's VUs share SWEEP.vuLanes of them. A VU keeps its id.
    const id = exec.vu.idInTest;
    exec.vu.metrics.tags[TAGS.vu] = String(config.mode === 'sweep' ? id % SWEEP.vuLanes : id);
    vuTagged = true;
  }
  const request = slotRequest(slot);
  if (slot.kind === 'closed' && exec.vu.iterationInScenario === 0) {
    sleep(firstRequestOffsetSeconds(exec.vu.idInTest, slot.delaySeconds));
  }
  const start = exec.scenario.startTime;
  const windowFrom = start + slot.warmupSeconds * 1000;
  const windowTo = start + slot.durationSeconds * 1000;
  const phase = Date.now() < windowFrom ? 'warmup' : 'measure';
  const url = request.fixedUrl ?? `${request.base}${requestPath(slot, exec.scenario.iterationInTest)}`;
  const res = http.request(request.method, url, request.body, request.params[phase]);
  const done = Date.now();
  // Throughput counts responses completed inside the window only: those still in flight at
  // the slot end finish during the graceful stop and would add up to N to the sync count.
  const inWindow = done >= windowFrom && done <= windowTo;
  if (answered(res.status) && inWindow) ioCompleted.add(1);
  if (slot.stream && answered(res.status)) {
    // Time to first byte of a stream is the time to its first token.
    streamTtft.add(res.timings.waiting, { [TAGS.phase]: phase });
    if (inWindow) streamTokens.add(countEvents(res.body as string));
  }
}

let previous: Reading | null = null;
let samplerIteration = 0;
const theoryShown: Record<string, boolean> = {};

/** The CPU sampler: one iteration per tick of the plan (see samplerTicks). */
export function sampleStats(data: SetupData): void {
  // The sampler's own count, not k6's iterationInTest: with execution segments (--instances)
  // that number is spread over the processes and skipped ticks (seen: slots 6 and 8 of 8 never
  // sampled, and the iterations past the last tick run many times over).
  const tick = ticks[samplerIteration++];
  if (!tick) {
    if (upstream) lastUsage(upstream);
    return;
  }
  const wait = exec.scenario.startTime + tick.at * 1000 - Date.now();
  if (wait > 0) sleep(wait / 1000);
  const slot = plan.slots[tick.slot];
  if (!slot) return;
  const tags = slotTags(slot);

  if (tick.kind === 'drain-check' && upstream) {
    // Set in the gap, before the slot's first request; then the previous slot's usage, read
    // until this slot starts (its last calls may still be answered).
    setProfile(upstream, slot);
    const before = plan.slots[tick.slot - 1];
    if (before) recordUsage(upstream, before, exec.scenario.startTime + slot.startSeconds * 1000);
  }
  if (tick.kind === 'drain-check') {
    // In the gap before the slot: every sync server must have answered everything by now.
    for (const t of syncTargets) {
      const stats = statsOf(t);
      if (stats) syncDrained.add(drained(stats), tags);
    }
    const refW = config.reference ? data.workers[config.reference] : undefined;
    if (!theoryShown[slot.scenario] && slot.kind === 'closed' && refW) {
      theoryShown[slot.scenario] = true;
      theory.add(asyncSpeedup(slot.vus, refW), { [TAGS.scenario]: slot.scenario });
    }
    console.log(
      `slot ${tick.slot + 1}/${plan.slots.length} ${slot.scenario}/${slot.server}: ` +
        (slot.arrivals
          ? `${Math.round(slot.arrivals.perTimeUnit / slot.arrivals.timeUnitSeconds)} req/s open model`
          : `${slot.vus} VUs`) +
        ` × ${slot.delaySeconds} s delay${slot.cpuMs !== undefined ? ` + ${slot.cpuMs} ms CPU` : ''}, ${slot.durationSeconds} s`,
    );
    return;
  }

  const statsUrl = targetsByName[slot.server]?.statsUrl;
  // A target whose CPU is not measured (a remote black-box one) has nothing to poll.
  const res = statsUrl
    ? http.get(`${statsUrl}/stats`, {
        tags: Object.assign({ [TAGS.name]: REQUEST_NAMES.stats }, tags),
        responseType: 'text',
        timeout: '5s',
      })
    : null;
  if (config.sweep.selfStatsUrl && (tick.kind === 'window-start' || tick.kind === 'window-end')) {
    sampleGenerator(tick.kind, tags);
  }
  if (tick.kind === 'window-end') windowLength.add(windowSeconds(slot), tags);
  const stats = res ? parseStats(res.body) : null;
  if (!stats) return;
  const reading: Reading = { tick, stats, atMs: Date.now() };
  const m = sampleMetrics(previous, reading);
  previous = reading;
  rssBytes.add(m.rssBytes, tags);
  inFlight.add(m.inFlight, tags);
  if (m.cpuPercent !== undefined) cpuPercent.add(m.cpuPercent, tags);
  if (m.cpuSecondsInWindow !== undefined) cpuSeconds.add(m.cpuSecondsInWindow, tags);
}

/** The last slot's usage, once k6 cut its last requests (the end of its graceful stop). */
function lastUsage(url: string): void {
  const last = plan.slots[plan.slots.length - 1];
  if (!last) return;
  const cut =
    exec.scenario.startTime + (last.startSeconds + last.durationSeconds + last.gracefulStopSeconds) * 1000;
  if (cut > Date.now()) sleep((cut - Date.now()) / 1000);
  recordUsage(url, last, cut + last.gapSeconds * 1000);
}

let windowStart: GeneratorStats | null = null;

/** The load generator's own CPU over a slot's window, from the runner's self-stats URL. */
function sampleGenerator(kind: 'window-start' | 'window-end', tags: Record<string, string>): void {
  const reading = parseGeneratorStats(getJson(`${config.sweep.selfStatsUrl}`, REQUEST_NAMES.stats).body);
  if (kind === 'window-start') {
    windowStart = reading;
    return;
  }
  const load = windowStart && reading ? generatorLoad(windowStart, reading) : null;
  windowStart = null;
  if (!load) return;
  k6Cpu.add(load.k6CpuPercent, tags);
  machineBusy.add(load.machineBusyPercent, tags);
}

export function handleSummary(raw: unknown): Record<string, string> {
  const read = readSummaryData(raw);
  // k6 lets no handleSummary set its exit code, so a refusal writes no summary.json at all:
  // the runner then fails on its absence instead of reporting a summary with holes.
  if ('refusal' in read) return { stderr: `${read.refusal}\n` };
  const data = read.data;
  const dir = config.resultsDir;
  if (config.mode === 'sweep') {
    // The runner adds the last suite summary's sections to report.html when it has one.
    const sweep = buildSweep({ data, config, plan, now: new Date() });
    return Object.assign(sweepArtifacts(dir, sweep), k6DataArtifact(dir, data));
  }
  if (config.mode === 'mix') {
    const mix = buildMix({ data, config, plan, now: new Date() });
    return Object.assign(mixArtifacts(dir, mix), k6DataArtifact(dir, data));
  }
  const summary = buildSummary({ data, config, plan, specs, now: new Date() });
  const files = Object.assign(summaryArtifacts(dir, summary), k6DataArtifact(dir, data));
  // One process of several saw its slice only: the runner prints the whole run's table.
  if (config.instances > 1)
    files.stdout = `\ninstance ${__ENV[ENV.instance] ?? '?'}: the summary of its slice is in ${dir}/\n`;
  return files;
}
