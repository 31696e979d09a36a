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
import { HttpError } from './http-error.ts';
import type { UpstreamClientOptions } from './upstream-client.ts';

export interface SyncUpstreamClient {
  /** One GET /io?delay=S that blocks the calling thread until the answer; throws HttpError 502/504. */
  call(delaySeconds: number): void;
  /** Resolves once the helper thread has loaded (the first call is not slowed down by its start). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** Sent to the helper thread. */
export interface CallRequest {
  readonly id: number;
  readonly delaySeconds: number;
}

/** Sent back; `id` ties it to its call so a late answer to a call that gave up is discarded. */
export type CallReply =
  | { readonly id: number; readonly ok: true }
  | { readonly id: number; readonly ok: false; readonly status: number; readonly message: string };

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

  return {
    get ready() {
      return helper.ready;
    },
    call(delaySeconds) {
      // A helper that crashed is replaced before the call (its 'exit' event arrived while idle).
      if (!helper.alive) helper = startHelper(options);
      const { port, flag } = helper;
      drain(port); // late answers to calls that already gave up
      const id = ++lastId;
      const budgetMs = delaySeconds * 1000 + options.timeoutMs;
      const deadline = performance.now() + budgetMs + BACKSTOP_SLACK_MS;
      Atomics.store(flag, 0, 0);
      port.postMessage({ id, delaySeconds } satisfies CallRequest);
      for (;;) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          throw new HttpError(504, `upstream did not answer within ${Math.round(budgetMs)} ms`);
        }
        Atomics.wait(flag, 0, 0, remaining);
        // Reset before reading: a reply posted after this line sets the flag again, so the next
        // wait returns at once instead of missing it.
        Atomics.store(flag, 0, 0);
        for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
          const reply = m.message as CallReply;
          if (reply.id !== id) continue;
          if (reply.ok) return;
          throw new HttpError(reply.status, reply.message);
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
