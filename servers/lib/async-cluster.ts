// An async server on every core: P processes (ASYNC_PROCESSES, default the CPU count) run the
// same async app on one shared port through Node's cluster, whose primary hands connections out
// round-robin. Unlike the sync server's arbiter (arbiter.ts) nothing here waits for a worker to
// be idle: each worker takes any number of requests, as a single async process does, and the
// cluster only multiplies the event loops, so CPU work per request (cpu=) spreads over P cores.
//
// /stats must count every process, like the arbiter's. A worker asked for it asks the primary,
// the primary asks every worker for its own figures and answers with their sum (sumProcesses,
// the arbiter's too). A worker whose event loop is stuck in a long computation cannot answer
// at once: after REPORT_WAIT_MS its last report is used instead, so /stats never hangs on it.

import cluster, { type Worker } from 'node:cluster';
import type { NodeTargetName } from '../../lib/registry.ts';
import { replaceWorker, stopWorkers } from './cluster.ts';
import type { ServerConfig } from './config.ts';
import { HttpError } from './http-error.ts';
import { announce, fail, listenError, onShutdown } from './serve.ts';
import {
  type ProcessReport,
  processUsage,
  type RequestCounter,
  type StatsBody,
  sumProcesses,
} from './stats.ts';

const REPORT_WAIT_MS = 500;
const STATS_WAIT_MS = 5000;

type ToPrimary =
  | { type: 'failed'; message: string }
  | { type: 'stats?'; id: number }
  | { type: 'report'; id: number; report: ProcessReport & { inFlight: number } };
type ToWorker = { type: 'report?'; id: number } | { type: 'stats'; id: number; body: StatsBody };

interface WorkerState {
  readonly worker: Worker;
  listening: boolean;
  last: ProcessReport & { inFlight: number };
}

export async function runAsyncClusterPrimary(server: NodeTargetName, config: ServerConfig): Promise<void> {
  const processes = config.asyncProcesses;
  const workers = new Map<number, WorkerState>();
  const dead = { cpuSeconds: 0, served: 0 };
  const waiting = new Map<number, () => void>();
  let nextId = 0;
  let stopping = false;
  let started = false;
  let onListening: (url: string) => void = () => {};
  const allListening = new Promise<string>((resolve) => {
    onListening = resolve;
  });

  /** Fresh figures from every worker that answers in time; the last ones of any that does not. */
  const stats = async (): Promise<StatsBody> => {
    const id = nextId++;
    const live = [...workers.values()];
    let pending = live.length;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, REPORT_WAIT_MS);
      waiting.set(id, () => {
        if (--pending === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      for (const w of live) w.worker.send({ type: 'report?', id } satisfies ToWorker);
      if (pending === 0) resolve();
    });
    waiting.delete(id);
    let inFlight = 0;
    for (const w of workers.values()) inFlight += w.last.inFlight;
    return {
      server,
      model: 'async',
      workers: processes,
      pid: process.pid,
      ...sumProcesses(
        [...workers.values()].map((w) => w.last),
        dead,
      ),
      inFlight,
      queued: 0,
      uptimeSeconds: process.uptime(),
    };
  };

  const fork = (): void => {
    const worker = cluster.fork();
    const state: WorkerState = {
      worker,
      listening: false,
      last: { usage: { cpuSeconds: 0, rssBytes: 0 }, served: 0, inFlight: 0 },
    };
    workers.set(worker.id, state);
    worker.on('message', (msg: ToPrimary) => {
      // A worker that cannot listen says why once, here, rather than each worker on stderr.
      if (msg?.type === 'failed' && !started) {
        stopping = true;
        for (const w of workers.values()) w.worker.process.kill('SIGKILL');
        fail(msg.message);
      }
      if (msg?.type === 'report') {
        state.last = msg.report;
        waiting.get(msg.id)?.();
      } else if (msg?.type === 'stats?') {
        stats().then((body) => {
          if (worker.isConnected()) worker.send({ type: 'stats', id: msg.id, body } satisfies ToWorker);
        });
      }
    });
    worker.on('listening', (address) => {
      state.listening = true;
      if (!started && [...workers.values()].every((w) => w.listening) && workers.size === processes) {
        started = true;
        const host = address.address ?? config.host;
        onListening(`http://${host.includes(':') ? `[${host}]` : host}:${address.port}`);
      }
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker.id);
      dead.cpuSeconds += state.last.usage.cpuSeconds;
      dead.served += state.last.served;
      if (stopping) return;
      const others = [...workers.values()].map((w) => w.worker);
      replaceWorker(server, worker, { code, signal }, { started, wasUp: state.listening, others }, fork);
    });
  };

  // Before the first fork: a SIGTERM while workers still start (the launcher stopping us
  // because another server failed) must stop them through us. Without the handler the
  // primary would die at once, and a worker still setting up its channel crashed on EPIPE.
  onShutdown(async () => {
    stopping = true;
    await stopWorkers([...workers.values()].map((w) => w.worker));
  });
  for (let i = 0; i < processes; i++) fork();
  const url = await allListening;
  announce(server, url, 'async', processes);
}

/**
 * In a worker: listens on the port the cluster shares, or hands the reason to the primary (which
 * prints it once for the whole server) and exits.
 */
export async function listenInCluster(
  config: ServerConfig,
  listen: (host: string, port: number) => Promise<unknown>,
): Promise<void> {
  // Ctrl-C reaches the whole process group; the primary decides when workers stop (SIGTERM).
  process.on('SIGINT', () => {});
  try {
    await listen(config.host, config.port);
  } catch (err) {
    process.send?.({ type: 'failed', message: listenError(err, config) } satisfies ToPrimary, () =>
      process.exit(1),
    );
  }
}

/**
 * In a worker: answers the primary's requests for this process's figures, and returns the
 * /stats of the whole cluster (asked of the primary).
 */
export function clusterWorkerStats(counter: RequestCounter): () => Promise<StatsBody> {
  const answers = new Map<number, (body: StatsBody) => void>();
  let nextId = 0;
  process.on('message', (msg: ToWorker) => {
    if (msg?.type === 'report?') {
      const report = { usage: processUsage(), served: counter.served, inFlight: counter.inFlight };
      process.send?.({ type: 'report', id: msg.id, report } satisfies ToPrimary);
    } else if (msg?.type === 'stats') {
      answers.get(msg.id)?.(msg.body);
    }
  });
  return () =>
    new Promise<StatsBody>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        answers.delete(id);
        reject(new HttpError(503, `the cluster's primary did not send /stats within ${STATS_WAIT_MS} ms`));
      }, STATS_WAIT_MS);
      answers.set(id, (body) => {
        clearTimeout(timer);
        answers.delete(id);
        resolve(body);
      });
      process.send?.({ type: 'stats?', id } satisfies ToPrimary);
    });
}
