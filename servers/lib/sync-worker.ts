// A worker of the sync server: receives one connection at a time from the arbiter (arbiter.ts),
// serves it with a blocking handler, and reports back when the connection has closed.

import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { type ConnMessage, HEAD_TIMEOUT_MS, type WorkerReport } from './arbiter.ts';
import { processUsage, type RequestCounter } from './stats.ts';

/**
 * `server` never listens: connections arrive as handles over IPC and are injected with
 * emit('connection'), after putting back the bytes the primary already read.
 */
export async function runSyncWorker(
  server: Server,
  ready: Promise<void>,
  counter: RequestCounter,
): Promise<void> {
  const report = (type: WorkerReport['type']) => {
    process.send?.({ type, usage: processUsage(), served: counter.served } satisfies WorkerReport);
  };
  // Ctrl-C reaches the whole process group; the primary decides when workers stop (SIGTERM).
  process.on('SIGINT', () => {});
  // A request has started: the head timeout below no longer applies, whatever the wait.
  server.on('request', (req) => req.socket.setTimeout(0));

  process.on('message', (msg: ConnMessage, handle: unknown) => {
    if (msg?.type !== 'conn') return;
    // Node sends the message alone when the socket closed just before it left the primary: say
    // done at once, or the primary would count this worker busy forever.
    if (!handle) return report('done');
    const socket = handle as Socket;
    // One connection, one request: this worker is idle again only once it is closed.
    socket.once('close', () => report('done'));
    // Bytes after the head (a body) that never complete a request must not hold the worker forever.
    socket.setTimeout(HEAD_TIMEOUT_MS, () => socket.destroy());
    socket.unshift(Buffer.from(msg.head, 'base64'));
    server.emit('connection', socket);
    socket.resume();
  });

  await ready;
  report('ready');
}
