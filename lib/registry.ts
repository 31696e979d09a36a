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

export interface MeasuredServerSpec extends ServiceSpec {
  readonly model: Model;
  readonly framework: string;
}

export const UPSTREAM: ServiceSpec = { port: 8001, portEnv: 'UPSTREAM_PORT', urlEnv: 'UPSTREAM_URL' };

/** The servers under test, in the order they are measured within a scenario (sync first). */
export const SERVERS = {
  express: {
    port: 8002,
    portEnv: 'EXPRESS_PORT',
    urlEnv: 'EXPRESS_URL',
    model: 'sync',
    framework: 'Express 5 (cluster, one request per worker)',
  },
  koa: { port: 8003, portEnv: 'KOA_PORT', urlEnv: 'KOA_URL', model: 'async', framework: 'Koa 3' },
  fastify: {
    port: 8004,
    portEnv: 'FASTIFY_PORT',
    urlEnv: 'FASTIFY_URL',
    model: 'async',
    framework: 'Fastify 5',
  },
} as const satisfies Record<string, MeasuredServerSpec>;

export type ServerName = keyof typeof SERVERS;
export const SERVER_NAMES = Object.keys(SERVERS) as ServerName[];
/** The server every async server is compared against. */
export const SYNC_SERVER: ServerName = 'express';
export const ASYNC_SERVERS = SERVER_NAMES.filter((name) => SERVERS[name].model === 'async');

export const INFLUXDB = { port: 8086, database: 'k6', urlEnv: 'INFLUXDB_URL' } as const;
export const GRAFANA = { port: 3001 } as const;

/** Local runs bind loopback only; containers set HOST=0.0.0.0. */
export const DEFAULT_HOST = '127.0.0.1';

export type ScenarioName = 'baseline' | 'low' | 'medium' | 'high' | 'stress';

export interface ScenarioSpec {
  readonly name: ScenarioName;
  /** Concurrent clients (k6 VUs), each in a closed loop: next request when the last one answered. */
  readonly vus: number;
  /** IO delay every request waits on, in seconds, before the time scale is applied. */
  readonly delaySeconds: number;
  readonly description: string;
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
];

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
} as const;

/**
 * Names of the metrics and tags the k6 suite emits. The dashboards and the summary read the
 * same constants, so a rename cannot leave a panel silently empty.
 */
export const METRICS = {
  /** k6 built-ins the project reads. */
  httpReqDuration: 'http_req_duration',
  httpReqFailed: 'http_req_failed',
  httpReqs: 'http_reqs',
  vus: 'vus',
  droppedIterations: 'dropped_iterations',
  /** Counter: /io responses that completed inside a slot's measurement window (throughput). */
  ioCompleted: 'io_completed',
  /** Trend: server CPU in percent of one core, sampled from /stats during a slot. */
  serverCpuPercent: 'server_cpu_percent',
  /** Counter: server CPU seconds (user+system, all processes) spent inside the measurement window. */
  serverCpuSeconds: 'server_cpu_seconds',
  /** Trend: resident set size of the server (all processes), bytes. */
  serverRssBytes: 'server_rss_bytes',
  /** Trend: requests in flight (and, on the sync server, connections queued for a worker). */
  serverInFlight: 'server_in_flight',
  /** Gauge: the theory's expected speedup max(1, N/W) for the scenario, so dashboards can draw it. */
  theorySpeedup: 'theory_speedup',
} as const;

export const TAGS = {
  scenario: 'scenario',
  server: 'server',
  model: 'model',
  /** `warmup` for requests that started before the closed loop reached steady state, else `measure`. */
  phase: 'phase',
  /** k6's request `name` tag: the route, never the full URL, so series stay few. */
  name: 'name',
} as const;

/** `name` tag values: the measured IO requests and the CPU sampler's polls (kept apart in every query). */
export const REQUEST_NAMES = { io: '/io', stats: '/stats', health: '/health' } as const;

export type Phase = 'warmup' | 'measure';

/** The seed's migration decision matrix, keyed by average speedup. */
export const RECOMMENDATIONS = [
  { below: 2, label: 'moderate benefit' },
  { below: 5, label: 'good candidate' },
  { below: 10, label: 'strong case' },
  { below: Number.POSITIVE_INFINITY, label: 'migrate' },
] as const;

/** The theory (DESIGN.md): W sync workers, N closed-loop clients -> speedup max(1, N/W). */
export function theorySpeedup(vus: number, syncWorkers: number): number {
  if (!(syncWorkers >= 1)) throw new RangeError(`syncWorkers must be >= 1, got ${syncWorkers}`);
  return Math.max(1, vus / syncWorkers);
}

export function recommendationFor(averageSpeedup: number): string {
  const row = RECOMMENDATIONS.find((r) => averageSpeedup < r.below);
  // The last row has an infinite bound, so only NaN reaches here.
  return row ? row.label : 'unknown';
}
