// The one place where ports, servers, scenarios, metric names and limits live. Servers,
// k6 scripts, the orchestrator, the dashboards and the tests all import from here, so a
// port or a scenario is changed once. Pure data and pure functions only: this file is
// bundled into k6 (no Node built-ins) as well as run by Node.

export type Model = 'sync' | 'async';

export interface ServiceSpec {
  /** Default TCP port; overridden by the environment variable `portEnv`. */
  readonly port: number;
  readonly portEnv: string;
  /** Environment variable that points clients (k6, the runner) at an already running instance. */
  readonly urlEnv: string;
}

export type Runtime = 'node' | 'python';

export interface TargetSpec extends ServiceSpec {
  readonly model: Model;
  readonly framework: string;
  /** How the launcher starts it: a `servers/<name>.ts` file, or a Python server in servers/python/. */
  readonly runtime: Runtime;
  /**
   * Where /stats is served when the server cannot answer it on its own port while every worker
   * is busy (Gunicorn's sync workers): a small thread in the server's master process.
   */
  readonly stats?: ServiceSpec;
  /**
   * Python targets: the file in servers/python/ that starts it, and the modules it imports (the
   * launcher checks them before starting, naming the Debian packages of PYTHON_PACKAGES).
   */
  readonly python?: { readonly entry: string; readonly modules: readonly string[] };
  /** Threads per worker, reported by /health as `threads`: the target serves W·T requests at once. */
  readonly threaded?: true;
}

export const UPSTREAM: ServiceSpec = { port: 8001, portEnv: 'UPSTREAM_PORT', urlEnv: 'UPSTREAM_URL' };

/**
 * The built-in targets: the servers this project ships. A run measures a selection of them
 * (TARGETS, default DEFAULT_TARGETS) plus any server a user names by URL (k6/lib/targets.ts).
 * Within a scenario they are measured in this order, sync first.
 */
export const TARGETS = {
  express: {
    port: 8002,
    portEnv: 'EXPRESS_PORT',
    urlEnv: 'EXPRESS_URL',
    model: 'sync',
    framework: 'Express 5 (cluster, one request per worker)',
    runtime: 'node',
  },
  flask: {
    port: 8005,
    portEnv: 'FLASK_PORT',
    urlEnv: 'FLASK_URL',
    model: 'sync',
    framework: 'Flask on Gunicorn (sync workers)',
    runtime: 'python',
    stats: { port: 8015, portEnv: 'FLASK_STATS_PORT', urlEnv: 'FLASK_STATS_URL' },
    python: { entry: 'flask_app.py', modules: ['flask', 'gunicorn', 'requests'] },
  },
  // The alternatives to migrating (docs/targets.md): the same Flask app on Gunicorn's other
  // workers. gthread is sync with W·T slots; gevent runs the same blocking code cooperatively, so
  // it behaves as async (one process waits on any number of calls) and is measured as such.
  'flask-gthread': {
    port: 8008,
    portEnv: 'FLASK_GTHREAD_PORT',
    urlEnv: 'FLASK_GTHREAD_URL',
    model: 'sync',
    framework: 'Flask on Gunicorn (gthread workers, SYNC_THREADS threads each)',
    runtime: 'python',
    stats: { port: 8018, portEnv: 'FLASK_GTHREAD_STATS_PORT', urlEnv: 'FLASK_GTHREAD_STATS_URL' },
    python: { entry: 'flask_gthread_app.py', modules: ['flask', 'gunicorn', 'requests'] },
    threaded: true,
  },
  'flask-gevent': {
    port: 8009,
    portEnv: 'FLASK_GEVENT_PORT',
    urlEnv: 'FLASK_GEVENT_URL',
    model: 'async',
    framework: 'Flask on Gunicorn (gevent workers, monkey-patched requests)',
    runtime: 'python',
    python: { entry: 'flask_gevent_app.py', modules: ['flask', 'gunicorn', 'requests', 'gevent'] },
  },
  koa: {
    port: 8003,
    portEnv: 'KOA_PORT',
    urlEnv: 'KOA_URL',
    model: 'async',
    framework: 'Koa 3',
    runtime: 'node',
  },
  fastify: {
    port: 8004,
    portEnv: 'FASTIFY_PORT',
    urlEnv: 'FASTIFY_URL',
    model: 'async',
    framework: 'Fastify 5',
    runtime: 'node',
  },
  quart: {
    port: 8006,
    portEnv: 'QUART_PORT',
    urlEnv: 'QUART_URL',
    model: 'async',
    framework: 'Quart on Hypercorn (asyncio)',
    runtime: 'python',
    python: { entry: 'quart_app.py', modules: ['quart', 'hypercorn', 'httpx'] },
  },
  fastapi: {
    port: 8010,
    portEnv: 'FASTAPI_PORT',
    urlEnv: 'FASTAPI_URL',
    model: 'async',
    framework: 'FastAPI on Uvicorn (asyncio)',
    runtime: 'python',
    python: { entry: 'fastapi_app.py', modules: ['fastapi', 'uvicorn', 'httpx'] },
  },
  control: {
    port: 8007,
    portEnv: 'CONTROL_PORT',
    urlEnv: 'CONTROL_URL',
    model: 'async',
    framework: 'plain Node http module (no framework)',
    runtime: 'node',
  },
  // Async on every core: the answer to "one event loop uses one core" without leaving Node.
  'fastify-cluster': {
    port: 8011,
    portEnv: 'FASTIFY_CLUSTER_PORT',
    urlEnv: 'FASTIFY_CLUSTER_URL',
    model: 'async',
    framework: 'Fastify 5 in a Node cluster (ASYNC_PROCESSES processes, default CPU count)',
    runtime: 'node',
  },
} as const satisfies Record<string, TargetSpec>;

export type TargetName = keyof typeof TARGETS;
export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[];
/** The targets written in TypeScript, each a `servers/<name>.ts` the launcher runs with Node. */
export type NodeTargetName = {
  [K in TargetName]: (typeof TARGETS)[K]['runtime'] extends 'node' ? K : never;
}[TargetName];
export const NODE_TARGET_NAMES = TARGET_NAMES.filter(
  (n) => TARGETS[n].runtime === 'node',
) as NodeTargetName[];
/** What a run measures when TARGETS is not set: the three servers of the original comparison. */
/** The targets run by Debian's python3, each a `servers/python/<entry>`. */
export type PythonTargetName = Exclude<TargetName, NodeTargetName>;
export const PYTHON_TARGET_NAMES = TARGET_NAMES.filter(
  (n) => TARGETS[n].runtime === 'python',
) as PythonTargetName[];
export const DEFAULT_TARGETS: readonly TargetName[] = ['express', 'koa', 'fastify'];
/** The sync target every speedup is computed against, unless REFERENCE names another. */
export const DEFAULT_REFERENCE = 'express';

/**
 * Debian packages the Python targets import; the launcher names the missing one instead of
 * letting a traceback say it.
 */
export const PYTHON_PACKAGES: Readonly<Record<string, string>> = {
  flask: 'python3-flask',
  gunicorn: 'gunicorn',
  requests: 'python3-requests',
  quart: 'python3-quart',
  hypercorn: 'python3-hypercorn',
  httpx: 'python3-httpx',
  gevent: 'python3-gevent',
  fastapi: 'python3-fastapi',
  uvicorn: 'python3-uvicorn',
};

export const INFLUXDB = { port: 8086, database: 'k6', urlEnv: 'INFLUXDB_URL' } as const;
export const GRAFANA = { port: 3001 } as const;

/** Local runs bind loopback only; containers set HOST=0.0.0.0. */
export const DEFAULT_HOST = '127.0.0.1';

export type ScenarioName = 'baseline' | 'low' | 'medium' | 'high' | 'stress' | 'llm' | 'db' | 'stream';

/** How the upstream draws each request's delay (see DISTRIBUTIONS); `delaySeconds` is its scale. */
export interface LatencyProfile {
  readonly dist: Distribution;
  /** Lognormal only: the log-standard-deviation. */
  readonly sigma?: number;
}

/** A streamed answer: `tokens` server-sent events, one every `intervalSeconds` after the first. */
export interface StreamSpec {
  readonly tokens: number;
  readonly intervalSeconds: number;
}

export interface ScenarioSpec {
  readonly name: ScenarioName;
  /** Concurrent clients (k6 VUs), each in a closed loop: next request when the last one answered. */
  readonly vus: number;
  /**
   * IO delay every request waits on, in seconds, before the time scale is applied: exactly, or
   * the median (lognormal) or mean (exponential) of a profile; for a stream, the first token's.
   */
  readonly delaySeconds: number;
  readonly description: string;
  readonly profile?: LatencyProfile;
  readonly stream?: StreamSpec;
  /** Run only when named in SCENARIOS (or by its own npm script), not by default. */
  readonly optIn?: boolean;
}

/** The seed's five scenarios. Their ratios are the claim under test; the time scale only shrinks them. */
export const SCENARIOS: readonly ScenarioSpec[] = [
  {
    name: 'baseline',
    vus: 1,
    delaySeconds: 0.5,
    description: 'one client: nothing to overlap, both models should tie',
  },
  { name: 'low', vus: 5, delaySeconds: 1.0, description: 'low concurrency' },
  { name: 'medium', vus: 10, delaySeconds: 1.0, description: 'medium concurrency' },
  { name: 'high', vus: 20, delaySeconds: 0.5, description: 'high concurrency' },
  { name: 'stress', vus: 50, delaySeconds: 0.3, description: 'stress: many clients, short waits' },
  {
    name: 'llm',
    vus: 20,
    delaySeconds: 0.8,
    profile: { dist: 'lognormal', sigma: 0.6 },
    description: 'an LLM API: lognormal, median 0.8 s, p99 about 3.2 s (4x the median)',
    optIn: true,
  },
  {
    name: 'db',
    vus: 50,
    delaySeconds: 0.01,
    profile: { dist: 'lognormal', sigma: 1.2 },
    description: 'a database: median 10 ms, mean 20 ms, p99 about 160 ms (rare slow queries)',
    optIn: true,
  },
  {
    name: 'stream',
    vus: 20,
    delaySeconds: 0.3,
    profile: { dist: 'lognormal', sigma: 0.5 },
    stream: { tokens: 50, intervalSeconds: 0.02 },
    description: 'an LLM token stream over SSE: first token after ~0.3 s, then 50 tokens 20 ms apart',
    optIn: true,
  },
];

/** Mean of a profile's delay whose scale (median or mean) is `delaySeconds`, ignoring the clamp at 60 s. */
export function meanDelaySeconds(delaySeconds: number, profile: LatencyProfile | undefined): number {
  if (profile?.dist !== 'lognormal') return delaySeconds;
  const sigma = profile.sigma ?? DEFAULT_SIGMA;
  return delaySeconds * Math.exp((sigma * sigma) / 2);
}

/** The mean time a request holds its worker: the delay, plus the stream after its first token. */
export function meanServiceSeconds(spec: Pick<ScenarioSpec, 'delaySeconds' | 'profile' | 'stream'>): number {
  const stream = spec.stream ? (spec.stream.tokens - 1) * spec.stream.intervalSeconds : 0;
  return meanDelaySeconds(spec.delaySeconds, spec.profile) + stream;
}

/**
 * The concurrency sweep (`npm run k6:sweep`): closed-model slots at each N for every target,
 * at one delay, to draw the whole curve rather than five points.
 */
export const SWEEP = {
  /** Value of the `scenario` tag of every sweep slot; `clients` tells the points apart. */
  scenario: 'sweep',
  vus: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
  delaySeconds: 0.3,
  /** Slot length before the time scale; a sync slot is never shorter than six of its cycles. */
  slotSeconds: 10,
  /** A sync target is measured up to the first N whose theoretical mean passes this many delays. */
  syncStopDelays: 20,
  /** What the sweep measures when TARGETS is not set: the control beside the defaults. */
  targets: ['express', 'koa', 'fastify', 'control'],
  /**
   * VUs of a sweep slot share this many `vu_id` values (TAGS.vu). Measured on a sweep of
   * N = 200, 1000, 2000 over four targets: a value per VU made 170,000 series and InfluxDB
   * 1.1 GB; 64 lanes, 17,800 series and 0.43 GB (no tag: 0.29 GB), and InfluxDB still held
   * every request k6 counted. Two samples can meet only on one lane in one nanosecond.
   */
  vuLanes: 64,
} as const;

/**
 * The mix sweep (npm run k6:mix, docs/k6.md): N clients and one IO delay d fixed, the CPU work
 * per request c swept, one slot per (target, c), to show where async stops paying
 * (lib/theory.ts, crossoverCpuSeconds).
 */
export const MIX = {
  /** Value of the `scenario` tag of every mix slot; `cpu_ms` (TAGS.cpu) tells the points apart. */
  scenario: 'mix',
  vus: 20,
  delaySeconds: 0.1,
  cpuMs: [0, 1, 2, 5, 10, 20, 50, 100, 200],
  /** Slot length before the time scale; a slot is never shorter than six of its own cycles. */
  slotSeconds: 10,
  /** A slot whose six theoretical cycles pass this (before the time scale) is skipped and said. */
  maxSlotSeconds: 60,
  /** What the mix measures when TARGETS is not set: sync, one event loop, one per core. */
  targets: ['express', 'koa', 'fastify-cluster'],
} as const;

/**
 * Tag value of the open-model (arrival-rate) variant of the stress scenario. It is kept out
 * of the closed-model rows (its requests are not the theory's closed loop) and reported apart.
 */
export const STRESS_OPEN_SCENARIO = 'stress-open';

/** Request validation bounds shared by every server (DESIGN.md, "The routes"). */
export const LIMITS = {
  minDelaySeconds: 0,
  maxDelaySeconds: 60,
  minConcurrent: 1,
  maxConcurrent: 1000,
  /** Longest request target accepted; longer gets 414. */
  maxUrlLength: 2048,
  /** Lognormal shape: the log of the delay has this standard deviation. */
  minSigma: 0,
  maxSigma: 3,
  /** `seed` picks the draw: an integer in [0, 2^32 - 1]. */
  maxSeed: 4294967295,
  /** /stream: events per response, and the seconds between two of them. */
  minTokens: 1,
  maxTokens: 10000,
  minIntervalSeconds: 0,
  maxIntervalSeconds: 10,
  /** /io's `cpu`: milliseconds of computation in the handler before the upstream call. */
  minCpuMs: 0,
  maxCpuMs: 10000,
} as const;

/**
 * How the upstream draws a request's delay from `delay` (DESIGN.md, latency profiles):
 * fixed waits exactly `delay`; exponential has mean `delay`; lognormal has median `delay`
 * and shape `sigma`. A draw is clamped to LIMITS.maxDelaySeconds.
 */
export const DISTRIBUTIONS = ['fixed', 'exponential', 'lognormal'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];
export const DEFAULT_SIGMA = 1;

// The metric, tag and request names of the samples (lib/metrics.ts).
export { METRICS, type Phase, REQUEST_NAMES, TAGS } from './metrics.ts';

/** The seed's migration decision matrix, keyed by average speedup. */
export const RECOMMENDATIONS = [
  { below: 2, label: 'moderate benefit' },
  { below: 5, label: 'good candidate' },
  { below: 10, label: 'strong case' },
  { below: Number.POSITIVE_INFINITY, label: 'migrate' },
] as const;

export function recommendationFor(averageSpeedup: number): string {
  const row = RECOMMENDATIONS.find((r) => averageSpeedup < r.below);
  // The last row has an infinite bound, so only NaN reaches here.
  return row ? row.label : 'unknown';
}
