// npm run bench:soak   (SOAK_SECONDS=600 SOAK_VUS=200 SOAK_DELAY=0.5 SOAK_SERVERS=koa,fastify)
//
// A soak, not a test: holds the async servers at high concurrency for a long time and prints
// whether anything drifts. Starts the upstream and the servers (startServers, free ports), then
// drives every server at once with SOAK_VUS closed-loop clients each (an undici keep-alive pool,
// as the servers' own), all calling /io?delay=SOAK_DELAY, and prints per time window:
// - the latency each request added over its IO delay (p50/p99/max): parsing, scheduling and the
//   server's event-loop lag, measured from outside, as the routes have no hook for it;
// - a /health probe once a second on its own connection: the server's responsiveness without IO;
// - errors (non-200 or no answer within delay + 10 s);
// - the server's RSS and CPU (sampled from /stats every SOAK_SAMPLE_SECONDS) and, for the
//   driver, its own event-loop delay and RSS, so a saturated driver is not mistaken for a slow
//   server.
// At the end: RSS after warm-up, at the end, growth and slope (a leak shows as a steady slope),
// CPU per request and the error count. Ctrl-C stops early and still prints what ran.
// Express can be added (SOAK_SERVERS=koa,fastify,express); it gets as many clients as workers
// (SOAK_EXPRESS_VUS), since more would only queue.

import os from 'node:os';
import { createHistogram, monitorEventLoopDelay, type RecordableHistogram } from 'node:perf_hooks';
import { Client, Pool } from 'undici';
import { NODE_TARGET_NAMES, type NodeTargetName } from '../lib/registry.ts';
import { startServers } from '../servers/launch.ts';

const env = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`${name} must be a positive number, got '${raw}'`);
    process.exit(1);
  }
  return value;
};
const SECONDS = env('SOAK_SECONDS', 600);
const VUS = Math.round(env('SOAK_VUS', 200));
const DELAY = env('SOAK_DELAY', 0.5);
const SAMPLE_SECONDS = env('SOAK_SAMPLE_SECONDS', 5);
const WINDOWS = Math.round(env('SOAK_WINDOWS', 10));
const WORKERS = Math.round(env('SYNC_WORKERS', os.availableParallelism()));
const EXPRESS_VUS = Math.round(env('SOAK_EXPRESS_VUS', WORKERS));
/** Left out of the RSS baseline: pools filling, JIT warming. */
const WARMUP_SECONDS = Math.min(30, SECONDS / 10);
const TIMEOUT_MS = DELAY * 1000 + 10_000;
const names = (process.env.SOAK_SERVERS || 'koa,fastify').split(',').map((s) => s.trim()) as NodeTargetName[];
for (const name of names) {
  if (!NODE_TARGET_NAMES.includes(name)) {
    console.error(`SOAK_SERVERS: unknown server '${name}' (known: ${NODE_TARGET_NAMES.join(', ')})`);
    process.exit(1);
  }
}

interface Window {
  readonly added: RecordableHistogram; // µs over the delay
  readonly probe: RecordableHistogram; // µs of a /health round trip
  requests: number;
  errors: number;
  rssBytes: number;
  cpuSeconds: number;
  served: number;
}
interface Sample {
  at: number;
  rssBytes: number;
  cpuSeconds: number;
  served: number;
}
interface Driven {
  readonly name: NodeTargetName;
  readonly vus: number;
  readonly windows: Window[];
  readonly samples: Sample[];
  readonly firstErrors: string[];
}
interface DriverWindow {
  loopP50: number;
  loopP99: number;
  loopMax: number;
  rssBytes: number;
}

const newWindow = (): Window => ({
  added: createHistogram(),
  probe: createHistogram(),
  requests: 0,
  errors: 0,
  rssBytes: 0,
  cpuSeconds: 0,
  served: 0,
});

const servers = await startServers({
  only: ['upstream', ...names],
  ports: Object.fromEntries(['upstream', ...names].map((n) => [n, 0])),
  syncWorkers: WORKERS,
});
const started = performance.now();
const windowMs = (SECONDS * 1000) / WINDOWS;
const windowOf = (at: number) => Math.min(WINDOWS - 1, Math.floor((at - started) / windowMs));
let stopping = false;
const deadline = started + SECONDS * 1000;
const running = () => !stopping && performance.now() < deadline;

const machine = `${os.cpus()[0]?.model ?? '?'}, ${os.availableParallelism()} CPUs, node ${process.version}`;
console.log(
  `soak: ${names.join(', ')} for ${SECONDS} s, ${VUS} clients each` +
    `${names.includes('express') ? ` (express: ${EXPRESS_VUS}, ${WORKERS} workers)` : ''}, ` +
    `/io?delay=${DELAY}, ${WINDOWS} windows of ${(windowMs / 1000).toFixed(0)} s; ${machine}; ${new Date().toISOString()}`,
);

const driven: Driven[] = names.map((name) => ({
  name,
  vus: name === 'express' ? EXPRESS_VUS : VUS,
  windows: Array.from({ length: WINDOWS }, newWindow),
  samples: [],
  firstErrors: [],
}));
const driverWindows: DriverWindow[] = [];
// The histogram holds the interval between ticks of a LOOP_RESOLUTION_MS timer; the lag is the excess.
const LOOP_RESOLUTION_MS = 10;
const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
const lagMs = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
loop.enable();

const noteError = (d: Driven, w: Window, message: string) => {
  w.errors++;
  if (d.firstErrors.length < 5)
    d.firstErrors.push(`+${((performance.now() - started) / 1000).toFixed(1)} s ${message}`);
};

async function client(d: Driven, pool: Pool): Promise<void> {
  while (running()) {
    const t = performance.now();
    // Counted in the window where the answer arrives, so a window's figures are final when it closes.
    const done = () => d.windows[windowOf(performance.now())] as Window;
    try {
      const res = await pool.request({
        method: 'GET',
        path: `/io?delay=${DELAY}`,
        signal: AbortSignal.timeout(Math.ceil(TIMEOUT_MS)),
      });
      const text = await res.body.text();
      const w = done();
      w.requests++;
      if (res.statusCode !== 200) {
        noteError(d, w, `${res.statusCode} ${text.slice(0, 120)}`);
        await sleep(100); // a failing server is not hammered in a tight loop
        continue;
      }
      w.added.record(Math.max(1, Math.round((performance.now() - t - DELAY * 1000) * 1000)));
    } catch (err) {
      const w = done();
      w.requests++;
      noteError(d, w, (err as Error).message);
      await sleep(100);
    }
  }
}

async function probe(d: Driven, url: string): Promise<void> {
  const health = new Client(url, { keepAliveTimeout: 60_000 });
  while (running()) {
    const t = performance.now();
    try {
      const res = await health.request({
        method: 'GET',
        path: '/health',
        signal: AbortSignal.timeout(10_000),
      });
      await res.body.text();
      (d.windows[windowOf(t)] as Window).probe.record(
        Math.max(1, Math.round((performance.now() - t) * 1000)),
      );
    } catch (err) {
      noteError(d, d.windows[windowOf(t)] as Window, `/health: ${(err as Error).message}`);
    }
    await sleep(1000);
  }
  await health.close();
}

async function sampler(d: Driven, url: string): Promise<void> {
  const stats = new Client(url);
  const take = async () => {
    try {
      const res = await stats.request({ method: 'GET', path: '/stats', signal: AbortSignal.timeout(10_000) });
      const body = (await res.body.json()) as Omit<Sample, 'at'>;
      const at = performance.now();
      d.samples.push({ at, rssBytes: body.rssBytes, cpuSeconds: body.cpuSeconds, served: body.served });
      const w = d.windows[windowOf(at)] as Window;
      Object.assign(w, { rssBytes: body.rssBytes, cpuSeconds: body.cpuSeconds, served: body.served });
    } catch (err) {
      noteError(d, d.windows[windowOf(performance.now())] as Window, `/stats: ${(err as Error).message}`);
    }
  };
  await take();
  while (running()) {
    await sleep(Math.min(SAMPLE_SECONDS * 1000, Math.max(0, deadline - performance.now())));
    await take();
  }
  await stats.close();
}

/** Prints each window as it closes, so a long run shows progress. */
async function reporter(): Promise<void> {
  for (let i = 0; i < WINDOWS && running(); i++) {
    await sleep(Math.max(0, started + (i + 1) * windowMs - performance.now()));
    driverWindows[i] = {
      loopP50: lagMs(loop.percentile(50)),
      loopP99: lagMs(loop.percentile(99)),
      loopMax: lagMs(loop.max),
      rssBytes: process.memoryUsage.rss(),
    };
    loop.reset();
    const line = driven.map((d) => {
      const w = d.windows[i] as Window;
      return `${d.name} ${w.requests} req, +${ms(w.added.percentile(50))}/${ms(w.added.percentile(99))} ms, ${w.errors} err, ${mb(w.rssBytes)} MB`;
    });
    console.log(
      `window ${i + 1}/${WINDOWS}: ${line.join(' | ')} | driver loop p99 ${(driverWindows[i] as DriverWindow).loopP99.toFixed(1)} ms`,
    );
  }
}

const onSignal = () => {
  if (stopping) return;
  stopping = true;
  console.log('stopping early: finishing the requests under way');
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const pools = driven.map((d) => {
  const url = servers.urls[d.name];
  // One connection per client: the pool never queues inside the driver.
  const pool = new Pool(url, { connections: d.vus, pipelining: 1, keepAliveTimeout: 60_000 });
  return {
    pool,
    work: [...Array.from({ length: d.vus }, () => client(d, pool)), probe(d, url), sampler(d, url)],
  };
});
await Promise.all([reporter(), ...pools.flatMap((p) => p.work)]);
const elapsedSeconds = (performance.now() - started) / 1000;
await Promise.all(pools.map((p) => p.pool.close()));
await servers.stop();
printSummary(elapsedSeconds);

function printSummary(elapsed: number): void {
  const ran = Math.max(1, Math.min(WINDOWS, Math.ceil((elapsed * 1000) / windowMs)));
  console.log(`\nadded latency over the ${DELAY} s IO delay, per window (ms), and resources`);
  const header =
    'server    window        req    req/s   add p50  add p99  add max  health p99  errors  RSS MB  CPU s/1k req  driver loop p99';
  console.log(header);
  for (const d of driven) {
    let prev = d.samples[0];
    for (let i = 0; i < ran; i++) {
      const w = d.windows[i] as Window;
      const from = (i * windowMs) / 1000;
      const to = Math.min(elapsed, ((i + 1) * windowMs) / 1000);
      const cpuPerK =
        prev && w.served > prev.served
          ? ((w.cpuSeconds - prev.cpuSeconds) / (w.served - prev.served)) * 1000
          : NaN;
      if (w.served) prev = { at: 0, rssBytes: w.rssBytes, cpuSeconds: w.cpuSeconds, served: w.served };
      console.log(
        [
          d.name.padEnd(8),
          `${from.toFixed(0)}-${to.toFixed(0)} s`.padStart(11),
          String(w.requests).padStart(8),
          (w.requests / Math.max(1e-9, to - from)).toFixed(0).padStart(8),
          ms(w.added.percentile(50)).padStart(9),
          ms(w.added.percentile(99)).padStart(8),
          ms(w.added.max).padStart(8),
          ms(w.probe.percentile(99)).padStart(11),
          String(w.errors).padStart(7),
          mb(w.rssBytes).padStart(7),
          (Number.isNaN(cpuPerK) ? '-' : cpuPerK.toFixed(2)).padStart(13),
          `${(driverWindows[i]?.loopP99 ?? NaN).toFixed(1)} ms`.padStart(16),
        ].join(' '),
      );
    }
  }

  console.log(`\nover the whole run (RSS baseline after ${WARMUP_SECONDS.toFixed(0)} s of warm-up)`);
  console.log(
    'server      requests  errors   RSS start   RSS end   growth    max   slope MB/min   CPU s/1k req',
  );
  for (const d of driven) {
    const after = d.samples.filter((s) => s.at - started >= WARMUP_SECONDS * 1000);
    const base = after[0] ?? d.samples[0];
    const last = d.samples.at(-1);
    const first = d.samples[0];
    const requests = d.windows.reduce((n, w) => n + w.requests, 0);
    const errors = d.windows.reduce((n, w) => n + w.errors, 0);
    const max = Math.max(...d.samples.map((s) => s.rssBytes));
    const cpuPerK =
      first && last && last.served > first.served
        ? ((last.cpuSeconds - first.cpuSeconds) / (last.served - first.served)) * 1000
        : NaN;
    console.log(
      [
        d.name.padEnd(8),
        String(requests).padStart(12),
        String(errors).padStart(7),
        `${mb(base?.rssBytes ?? 0)} MB`.padStart(11),
        `${mb(last?.rssBytes ?? 0)} MB`.padStart(9),
        `${signed(((last?.rssBytes ?? 0) - (base?.rssBytes ?? 0)) / 2 ** 20)} MB`.padStart(9),
        `${mb(max)}`.padStart(6),
        signed(slopeMbPerMinute(after)).padStart(14),
        (Number.isNaN(cpuPerK) ? '-' : cpuPerK.toFixed(2)).padStart(14),
      ].join(' '),
    );
    for (const e of d.firstErrors) console.log(`  first errors: ${e}`);
  }
  const driverRss = driverWindows.filter(Boolean).map((w) => w.rssBytes);
  console.log(
    `driver: event-loop delay p99 per window ${driverWindows
      .filter(Boolean)
      .map((w) => w.loopP99.toFixed(1))
      .join(', ')} ms; RSS ${mb(driverRss[0] ?? 0)} -> ${mb(driverRss.at(-1) ?? 0)} MB`,
  );
}

/** Least-squares slope of RSS over time, MB per minute. */
function slopeMbPerMinute(samples: readonly Sample[]): number {
  if (samples.length < 2) return NaN;
  const xs = samples.map((s) => s.at / 60_000);
  const ys = samples.map((s) => s.rssBytes / 2 ** 20);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
function ms(us: number): string {
  return Number.isFinite(us) && us > 0 ? (us / 1000).toFixed(1) : '-';
}
function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
function signed(n: number): string {
  return Number.isNaN(n) ? '-' : `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;
}
