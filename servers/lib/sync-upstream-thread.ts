// The helper thread of sync-upstream.ts: performs the upstream calls with the async client and
// wakes the blocked main thread after each reply.

import { parentPort, workerData } from 'node:worker_threads';
import { HttpError } from './http-error.ts';
import type { CallReply, CallRequest, HelperData } from './sync-upstream.ts';
import { createUpstreamClient } from './upstream-client.ts';

const { port, flag, upstreamUrl, timeoutMs } = workerData as HelperData;
const client = createUpstreamClient({ upstreamUrl, timeoutMs });
const signal = new Int32Array(flag);

port.on('message', async ({ id, delaySeconds }: CallRequest) => {
  let reply: CallReply;
  try {
    await client.call(delaySeconds);
    reply = { id, ok: true };
  } catch (err) {
    const status = err instanceof HttpError ? err.status : 502;
    reply = { id, ok: false, status, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});

parentPort?.postMessage('ready');
