// The blocking upstream client of the sync server: Flask + requests in Node clothes.
//
// A Gunicorn sync worker's thread is stuck inside `requests.get()` for the whole upstream wait:
// it cannot accept, parse or answer anything else. Node has no synchronous HTTP client, so the
// call runs on a helper thread (the async client of upstream-client.ts, keep-alive like a
// requests.Session) while the worker's main thread sleeps in Atomics.wait on a shared flag and
// then takes the reply with receiveMessageOnPort, which reads a MessagePort without the event loop
// (the synckit pattern). Not a sleep and not a queue in front of async code: the event loop of
// the worker really stops, timers and sockets included, exactly as a blocked Python thread does.

import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
  type WorkerOptions,
} from 'node:worker_threads';
import { longestDelay } from './delay-dist.ts';
import { HttpError } from './http-error.ts';
import type { IoParams, StreamParams } from './params.ts';
import type { UpstreamClientOptions } from './upstream-client.ts';

export interface SyncUpstreamClient {
  /**
   * One GET /io that blocks the calling thread until the answer; returns the delay the upstream
   * drew (seconds); throws HttpError 502/504.
   */
  call(params: IoParams): number;
  /**
   * One GET /stream, relayed the way a sync worker relays it: the thread blocks until the next
   * event, `write`s it, lets it flush, and blocks again, until the stream ends. Throws HttpError
   * 502/504 when the upstream fails before the first event. When `gone()` says the client left,
   * the upstream stream is ended and the call returns: the worker is free again.
   */
  stream(params: StreamParams, write: (chunk: string) => void, gone: () => boolean): Promise<void>;
  /** Resolves once the helper thread has loaded (the first call is not slowed down by its start). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** Sent to the helper thread. */
export type CallRequest =
  | { readonly id: number; readonly kind: 'io'; readonly params: IoParams }
  | { readonly id: number; readonly kind: 'stream'; readonly params: StreamParams }
  | { readonly id: number; readonly kind: 'abort' };

/** Sent back; `id` ties it to its call so a late answer to a call that gave up is discarded. */
export type CallReply =
  | { readonly id: number; readonly ok: true; readonly delay?: number }
  | { readonly id: number; readonly ok: false; readonly status: number; readonly message: string }
  | { readonly id: number; readonly chunk: string };

export interface HelperData extends UpstreamClientOptions {
  readonly port: MessagePort;
  /** Int32 slot the helper sets to 1 (and notifies) after posting a reply. */
  readonly flag: SharedArrayBuffer;
}

/**
 * The helper applies the timeout itself and answers 504; this backstop only matters if the
 * helper thread is stuck or gone, so the worker still comes back within a bounded time.
 */
const BACKSTOP_SLACK_MS = 250;

interface Helper {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly flag: Int32Array;
  readonly ready: Promise<void>;
  alive: boolean;
}

export function createSyncUpstreamClient(options: UpstreamClientOptions): SyncUpstreamClient {
  let helper = startHelper(options);
  let lastId = 0;

  function send(request: CallRequest): number {
    // A helper that crashed is replaced before the call (its 'exit' event arrived while idle).
    if (!helper.alive) helper = startHelper(options);
    drain(helper.port); // late answers to calls that already gave up
    Atomics.store(helper.flag, 0, 0);
    helper.port.postMessage(request);
    return request.id;
  }

  /** Blocks the thread until the helper's next reply to call `id`, or throws 504 after the budget. */
  function next(id: number, budgetMs: number): CallReply {
    const { port, flag } = helper;
    const deadline = performance.now() + budgetMs + BACKSTOP_SLACK_MS;
    for (;;) {
      const m = receiveMessageOnPort(port);
      if (m) {
        const reply = m.message as CallReply;
        if (reply.id === id) return reply;
        continue;
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0)
        throw new HttpError(504, `upstream did not answer within ${Math.round(budgetMs)} ms`);
      Atomics.wait(flag, 0, 0, remaining);
      // Reset before reading: a reply posted after this line sets the flag again, so the next
      // wait returns at once instead of missing it.
      Atomics.store(flag, 0, 0);
    }
  }

  return {
    get ready() {
      return helper.ready;
    },
    call(params) {
      const id = send({ id: ++lastId, kind: 'io', params });
      const budgetMs = longestDelay(params) * 1000 + options.timeoutMs;
      for (;;) {
        const reply = next(id, budgetMs);
        if ('chunk' in reply) continue;
        if (reply.ok) return reply.delay ?? params.delay;
        throw new HttpError(reply.status, reply.message);
      }
    },
    async stream(params, write, gone) {
      const id = send({ id: ++lastId, kind: 'stream', params });
      // Until the first event: its longest delay plus the allowance; then the interval plus it.
      let budgetMs = longestDelay(params) * 1000 + options.timeoutMs;
      for (;;) {
        let reply: CallReply;
        try {
          reply = next(id, budgetMs);
        } catch (err) {
          helper.port.postMessage({ id, kind: 'abort' } satisfies CallRequest);
          throw err;
        }
        if (!('chunk' in reply)) {
          if (reply.ok) return;
          throw new HttpError(reply.status, reply.message);
        }
        write(reply.chunk);
        budgetMs = params.interval * 1000 + options.timeoutMs;
        // One turn of the event loop: the event is flushed, and a client that left is noticed
        // (a Gunicorn worker learns it from the failed write). No other request is taken here:
        // the arbiter hands this worker nothing until its connection has closed.
        await new Promise((resolve) => setImmediate(resolve));
        if (gone()) {
          helper.port.postMessage({ id, kind: 'abort' } satisfies CallRequest);
          return;
        }
      }
    },
    async close() {
      helper.alive = false;
      await helper.worker.terminate();
    },
  };
}

function startHelper(options: UpstreamClientOptions): Helper {
  const flagBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const { port1, port2 } = new MessageChannel();
  const data: HelperData = { ...options, port: port2, flag: flagBuffer };
  const worker = new Worker(tsWorkerSource(new URL('./sync-upstream-thread.ts', import.meta.url)), {
    eval: true,
    workerData: data,
    transferList: [port2],
  } satisfies WorkerOptions);
  // Neither the helper nor its port may keep a process alive that is otherwise done.
  worker.unref();
  port1.unref();
  const helper: Helper = {
    worker,
    port: port1,
    flag: new Int32Array(flagBuffer),
    alive: true,
    ready: new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`upstream helper thread exited with code ${code}`)));
    }),
  };
  helper.ready.catch(() => {}); // reported to whoever awaits `ready`; a later call restarts it
  worker.once('exit', () => {
    helper.alive = false;
  });
  return helper;
}

function drain(port: MessagePort): void {
  while (receiveMessageOnPort(port)) {}
}

/**
 * Worker threads do not inherit tsx's loader hooks on Node 20, so the thread starts from a line
 * of plain JavaScript that loads the TypeScript module through tsx's API.
 */
function tsWorkerSource(file: URL): string {
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return `import(${api}).then((tsx) => tsx.tsImport(${JSON.stringify(file.href)}, ${JSON.stringify(import.meta.url)}))`;
}
