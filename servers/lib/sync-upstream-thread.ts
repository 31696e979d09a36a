// The helper thread of sync-upstream.ts: performs the upstream calls with the async client and
// wakes the blocked main thread after each reply (and after each event of a stream).

import type { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { HttpError } from './http-error.ts';
import type { CallReply, CallRequest, HelperData } from './sync-upstream.ts';
import { createUpstreamClient } from './upstream-client.ts';

const { port, flag, upstreamUrl, timeoutMs } = workerData as HelperData;
const client = createUpstreamClient({ upstreamUrl, timeoutMs });
const signal = new Int32Array(flag);
/** Streams under way, so an `abort` from the worker can end one. */
const open = new Map<number, { controller: AbortController; body?: Readable }>();

function reply(message: CallReply): void {
  port.postMessage(message);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

function failure(id: number, err: unknown): CallReply {
  const status = err instanceof HttpError ? err.status : 502;
  return { id, ok: false, status, message: err instanceof Error ? err.message : String(err) };
}

port.on('message', async (request: CallRequest) => {
  const { id } = request;
  if (request.kind === 'abort') {
    const s = open.get(id);
    s?.controller.abort();
    s?.body?.destroy();
    open.delete(id);
    return;
  }
  if (request.kind === 'io') {
    try {
      reply({ id, ok: true, delay: await client.call(request.params) });
    } catch (err) {
      reply(failure(id, err));
    }
    return;
  }
  const state: { controller: AbortController; body?: Readable } = { controller: new AbortController() };
  open.set(id, state);
  try {
    state.body = await client.stream(request.params, state.controller.signal);
    for await (const chunk of state.body) reply({ id, chunk: String(chunk) });
    reply({ id, ok: true });
  } catch (err) {
    // An abort the worker asked for needs no answer: it has stopped listening.
    if (open.has(id)) reply(failure(id, err));
  } finally {
    open.delete(id);
  }
});

parentPort?.postMessage('ready');
