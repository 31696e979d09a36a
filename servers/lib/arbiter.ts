// The primary of the sync server: Gunicorn's arbiter in Node.
//
// Why not Node's cluster scheduling: measured with a blocking handler on 2 workers (6, 20 and 50
// concurrent requests, 4 runs each), wall time over theory was 1.02-1.39x with the default
// round-robin and 1.03-2.04x with SCHED_NONE. Both hand a connection to a worker that is still
// blocked on its previous one (round-robin takes turns blindly; with SCHED_NONE a worker accepts
// whenever its event loop runs, and then blocks with connections parked in its own backlog),
// while another worker sits idle. A primary that hands each connection only to a worker that has
// finished its previous one gave 1.03-1.08x on every run. That is what this file does:
//
// - The primary owns the listening socket. It reads each connection's request head itself
//   (bounded in size and time), answers GET /stats on the spot (so /stats works while every
//   worker is blocked), and puts every other connection in ONE FIFO queue, like the kernel
//   backlog that Gunicorn's sync workers share.
// - A worker is idle when it has reported ready or done. The primary gives the oldest queued
//   connection to an idle worker: it stops reading, and sends the socket handle plus the bytes
//   it has already read (`worker.send({ type: 'conn', head }, socket)`). The worker is busy from
//   that moment until it reports that the connection closed; one connection carries one request
//   (Connection: close), so one worker serves exactly one request at a time, as Gunicorn's sync
//   worker does.
// - A queued connection whose client goes away is dropped, so a backlog of abandoned connections
//   (k6 timeouts) drains at once instead of being served to nobody.
// - A worker that dies is replaced; its connection is lost with it, the queue carries on.

import cluster, { type Worker } from 'node:cluster';
import net, { type Socket } from 'node:net';
import { LIMITS, type NodeTargetName } from '../../lib/registry.ts';
import { replaceWorker, stopWorkers } from './cluster.ts';
import type { ServerConfig } from './config.ts';
import { rawJsonResponse } from './http.ts';
import { announce, listenOrFail, onShutdown } from './serve.ts';
import { liveUsage, type ProcessUsage, type StatsBody, sumProcesses } from './stats.ts';

/** Headers must arrive within this time; a client that stalls never reaches a worker. */
export const HEAD_TIMEOUT_MS = 10_000;
/** Node's own default limit on the request head (--max-http-header-size). */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Stop reading a queued connection beyond this; the rest waits in the kernel and follows the handle. */
const MAX_QUEUED_BYTES = 64 * 1024;
/**
 * Bytes Node's HTTP parser rejects wherever they appear in a request head: control characters
 * other than tab, CR and LF, a CR not followed by LF, an LF not preceded by CR.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control bytes is the point
const NEVER_IN_A_HEAD = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r[^\n]|(?<!\r)\n/;
/** How every request head starts (after optional empty lines): an upper-case method, then a space. */
const HEAD_START = /^(?:\r\n)*(?:\r|[A-Z-]*(?: |$))/;

/**
 * False when the bytes read so far can never become a request head (a TLS hello, an SSH banner,
 * bare LF line ends): no \r\n\r\n that makes them one is coming.
 */
function couldBeHead(head: Buffer): boolean {
  const text = head.toString('latin1');
  return HEAD_START.test(text) && !NEVER_IN_A_HEAD.test(text);
}

/** Primary -> worker. `head` (base64) is what the primary read from the socket before handing it over. */
export interface ConnMessage {
  type: 'conn';
  head: string;
}

/** Worker -> primary: ready at start, done after each connection, with cumulative figures. */
export interface WorkerReport {
  type: 'ready' | 'done';
  usage: ProcessUsage;
  served: number;
}

interface Conn {
  readonly socket: Socket;
  head: Buffer;
  queued: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Removes this primary's listeners before the socket leaves for a worker. */
  detach(): void;
}

interface WorkerState {
  readonly worker: Worker;
  ready: boolean;
  busy: boolean;
  usage: ProcessUsage;
  served: number;
}

export async function runArbiter(server: NodeTargetName, config: ServerConfig): Promise<void> {
  const queue = new Set<Conn>(); // insertion-ordered: the FIFO, with O(1) removal of a leaver
  const reading = new Set<Conn>();
  const workers = new Map<number, WorkerState>();
  const idle: WorkerState[] = [];
  /** What dead workers had reported, so cumulative CPU and served never go backwards. */
  const dead = { cpuSeconds: 0, served: 0 };
  let stopping = false;
  let started = false;
  let onAllReady = () => {};
  const allReady = new Promise<void>((resolve) => {
    onAllReady = resolve;
  });

  /**
   * Each worker's figures as of now where /proc can be read, else as of its last report (sent
   * after each connection). A worker spends CPU between connections too: V8's background threads
   * go on for seconds after a fresh process's first requests (0.43-0.50 s in the 12 s after, for
   * two workers). Counted only at each worker's next connection, that CPU fell into the first
   * measurement window after a pause: a run's first slot showed express at 12.7-15.8 ms per
   * request where the next showed 4.8 (test/proc-tree.test.ts). Read from /proc the workers
   * need not be woken: asking idle ones over IPC at each /stats cost them 6 ms of CPU a time.
   */
  const current = (w: WorkerState): WorkerState => {
    const pid = w.worker.process.pid;
    const live = pid === undefined ? undefined : liveUsage(pid);
    if (live && live.cpuSeconds >= w.usage.cpuSeconds) w.usage = live;
    return w;
  };

  const stats = (): StatsBody => {
    let inFlight = 0;
    for (const w of workers.values()) if (w.busy) inFlight++;
    return {
      server,
      model: 'sync',
      workers: config.syncWorkers,
      pid: process.pid,
      ...sumProcesses([...workers.values()].map(current), dead),
      inFlight,
      queued: queue.size,
      uptimeSeconds: process.uptime(),
    };
  };

  const dispatch = () => {
    while (idle.length > 0 && queue.size > 0) {
      const conn = queue.values().next().value as Conn;
      queue.delete(conn);
      if (conn.socket.destroyed) continue;
      handOff(conn, idle.shift() as WorkerState);
    }
  };

  const handOff = (conn: Conn, state: WorkerState) => {
    const { socket } = conn;
    conn.detach();
    stopReading(socket);
    // Bytes the stream had buffered but not yet emitted travel with the head.
    for (let chunk: Buffer | null = socket.read(); chunk !== null; chunk = socket.read()) {
      conn.head = Buffer.concat([conn.head, chunk]);
    }
    state.busy = true;
    const message: ConnMessage = { type: 'conn', head: conn.head.toString('base64') };
    state.worker.send(message, socket, (err) => {
      // The worker died between being idle and receiving it: the connection is lost with it.
      if (err) socket.destroy();
    });
  };

  const close = (conn: Conn, status?: number, error?: string) => {
    clearTimeout(conn.timer);
    reading.delete(conn);
    queue.delete(conn);
    if (status === undefined) conn.socket.destroy();
    else conn.socket.end(rawJsonResponse(status, { error }));
  };

  const onHeadComplete = (conn: Conn, headEnd: number) => {
    clearTimeout(conn.timer);
    reading.delete(conn);
    const requestLine = conn.head.subarray(0, conn.head.indexOf('\r\n')).toString('latin1');
    const [method, target = ''] = requestLine.split(' ');
    const isStats = target.split('?')[0] === '/stats' && target.length <= LIMITS.maxUrlLength;
    if (method === 'GET' && isStats && conn.head.length === headEnd) {
      conn.socket.end(rawJsonResponse(200, stats()));
      return;
    }
    // Anything else, malformed requests included, is a worker's job (its parser answers 400).
    conn.queued = true;
    queue.add(conn);
    dispatch();
  };

  const accept = (socket: Socket) => {
    if (stopping) return void socket.destroy();
    const gone = () => close(conn);
    const onData = (chunk: Buffer) => {
      conn.head = Buffer.concat([conn.head, chunk]);
      if (conn.queued) {
        if (conn.head.length > MAX_QUEUED_BYTES) socket.pause();
        return;
      }
      const end = conn.head.indexOf('\r\n\r\n');
      if (end !== -1) return onHeadComplete(conn, end + 4);
      // Not HTTP/1: pass it on now and let the worker's parser answer 400 at once, rather than
      // wait HEAD_TIMEOUT_MS for the end of a head that is not coming.
      if (!couldBeHead(conn.head)) return onHeadComplete(conn, conn.head.length);
      if (conn.head.length > MAX_HEAD_BYTES) {
        // The same split a worker makes: a target over the URL limit is 414, other bulk is 431.
        const lineEnd = conn.head.indexOf('\r\n');
        if ((lineEnd === -1 ? conn.head.length : lineEnd) > LIMITS.maxUrlLength) {
          close(conn, 414, `request target must be at most ${LIMITS.maxUrlLength} characters`);
        } else {
          close(conn, 431, `request head larger than ${MAX_HEAD_BYTES} bytes`);
        }
      }
    };
    const conn: Conn = {
      socket,
      head: Buffer.alloc(0),
      queued: false,
      timer: setTimeout(
        () => close(conn, 408, `request head not received within ${HEAD_TIMEOUT_MS / 1000} s`),
        HEAD_TIMEOUT_MS,
      ),
      detach() {
        socket.off('data', onData);
        socket.off('end', gone);
        socket.off('close', gone);
      },
    };
    reading.add(conn);
    socket.on('error', () => {}); // a reset by the client ends in 'close' below
    socket.on('close', gone);
    socket.on('end', gone); // the client left (a timed-out k6 request)
    socket.on('data', onData);
  };

  const fork = (): void => {
    const worker = cluster.fork();
    const state: WorkerState = {
      worker,
      ready: false,
      busy: false,
      usage: { cpuSeconds: 0, rssBytes: 0 },
      served: 0,
    };
    workers.set(worker.id, state);
    worker.on('message', (msg: WorkerReport) => {
      if (msg?.type !== 'ready' && msg?.type !== 'done') return;
      // Never below what /stats already counted from /proc (a report can be older than that read).
      state.usage = { ...msg.usage, cpuSeconds: Math.max(msg.usage.cpuSeconds, state.usage.cpuSeconds) };
      state.served = msg.served;
      state.ready = true;
      state.busy = false;
      if (!idle.includes(state)) idle.push(state);
      if (!started && workers.size === config.syncWorkers && [...workers.values()].every((w) => w.ready)) {
        started = true;
        onAllReady();
      }
      dispatch();
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker.id);
      const i = idle.indexOf(state);
      if (i !== -1) idle.splice(i, 1);
      dead.cpuSeconds += state.usage.cpuSeconds;
      dead.served += state.served;
      if (stopping) return;
      const others = [...workers.values()].map((w) => w.worker);
      replaceWorker(server, worker, { code, signal }, { started, wasUp: state.ready, others }, fork);
    });
  };

  const listener = net.createServer(accept);
  const url = await listenOrFail(listener, config);

  // Before the first fork, as in async-cluster.ts: a SIGTERM during start-up stops the workers
  // through the primary instead of leaving one to crash on a closed channel.
  onShutdown(async () => {
    stopping = true;
    listener.close();
    for (const conn of [...reading, ...queue]) close(conn);
    await stopWorkers([...workers.values()].map((w) => w.worker));
  });
  for (let i = 0; i < config.syncWorkers; i++) fork();
  await allReady;
  announce(server, url, 'sync', config.syncWorkers);
}

/**
 * Stops the primary reading from a socket before its handle is sent. pause() alone only stops
 * emitting: libuv would keep reading into this process, and bytes read after the handle left
 * would be lost. readStop() leaves them in the kernel, where the worker reads them.
 */
function stopReading(socket: Socket): void {
  socket.pause();
  const handle = (socket as unknown as { _handle?: { reading?: boolean; readStop?(): number } })._handle;
  if (handle?.readStop) {
    handle.reading = false;
    handle.readStop();
  }
}
