// The names k6's samples carry: the metrics the suite emits, the tags on them and the `name`
// values of its requests. The suite writes them, and the summary, the InfluxDB reader and the
// dashboards read the same constants, so a rename cannot leave a panel silently empty.
// lib/registry.ts re-exports them beside the ports, targets and scenarios.

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
  /**
   * Gauge: the length of a slot's measurement window in seconds, once per slot at its end.
   * Each slot is sized from its own target, so requests per second in InfluxDB are
   * io_completed / this, per slot; a ratio of counts alone would compare unequal windows.
   */
  slotWindowSeconds: 'slot_window_seconds',
  /** Trend: requests in flight (and, on the sync server, connections queued for a worker). */
  serverInFlight: 'server_in_flight',
  /** Gauge: the theory's expected speedup (lib/theory.ts) for the scenario, so dashboards can draw it. */
  theorySpeedup: 'theory_speedup',
  /** Trend, streams: time to first token (k6's timings.waiting of a /stream request), ms. */
  streamTtft: 'stream_ttft',
  /** Counter, streams: tokens (server-sent events) received inside the measurement window. */
  streamTokens: 'stream_tokens',
  /** Gauge: one point per k6 process at setup, tagged with the run's configuration (k6/lib/run-info.ts). */
  runInfo: 'run_info',
  /** Gauge, sweep: the load generator's own CPU in a slot's window, percent of one core. */
  sweepK6CpuPercent: 'sweep_k6_cpu_percent',
  /** Gauge, sweep: the whole machine's busy CPU in a slot's window, percent of all cores. */
  sweepMachineBusyPercent: 'sweep_machine_busy_percent',
  /** Counter: IO calls the upstream answered in full during a slot (its /profile/usage), one point per slot. */
  upstreamIoCalls: 'upstream_io_calls',
  /** Counter: the seconds of IO those calls waited, as the upstream was asked to wait them. */
  upstreamIoSeconds: 'upstream_io_seconds',
} as const;

export const TAGS = {
  scenario: 'scenario',
  server: 'server',
  model: 'model',
  /** `warmup` for requests that started before the closed loop reached steady state, else `measure`. */
  phase: 'phase',
  /** k6's request `name` tag: the route, never the full URL, so series stay few. */
  name: 'name',
  /** Sweep slots: the number of concurrent clients N, as a decimal string. */
  clients: 'clients',
  /** Mix slots: the CPU work per request c in ms, as a decimal string. */
  cpu: 'cpu_ms',
  /** The run every sample belongs to (k6's convention), and the load generator that sent it. */
  testid: 'testid',
  instance: 'instance',
  /**
   * The VU that sent the sample. InfluxDB keeps one point per series and nanosecond, and k6's own
   * `vu` is metadata its InfluxDB output does not write: without this tag two VUs of one slot
   * answered in the same nanosecond would overwrite each other's samples. Sweep slots, with
   * thousands of VUs, use SWEEP.vuLanes values (lib/registry.ts) instead of one per VU.
   */
  vu: 'vu_id',
} as const;

/** `name` tag values: the measured IO requests and the CPU sampler's polls (kept apart in every query). */
export const REQUEST_NAMES = {
  io: '/io',
  stream: '/stream',
  stats: '/stats',
  health: '/health',
  /** The upstream's profile routes, set and read by the CPU sampler (k6/upstream.ts). */
  profile: '/profile',
} as const;

export type Phase = 'warmup' | 'measure';
