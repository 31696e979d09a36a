// Real servers for the server tests: started through the same launcher as `npm run servers`, on
// free ports, torn down after the suite. Plus a tiny HTTP client that opens a fresh connection per
// request (as a k6 VU against a Connection: close server does) and times it.

import http from 'node:http';
import net from 'node:net';
import { after, before } from 'node:test';
import { NODE_TARGET_NAMES, type NodeTargetName, TARGETS } from '../../lib/registry.ts';
import { freePort } from '../../scripts/free-port.ts';
import {
  type RunningServers,
  type ServiceName,
  type StartOptions,
  startServers,
} from '../../servers/launch.ts';

/** The servers written in TypeScript, and the async ones among them. */
export const NODE_SERVERS: readonly NodeTargetName[] = NODE_TARGET_NAMES;
export const NODE_ASYNC: readonly NodeTargetName[] = NODE_TARGET_NAMES.filter(
  (n) => TARGETS[n].model === 'async',
);

/**
 * Starts servers before the suite and stops them after it. Read `urls` and `pids` inside tests
 * (they are filled by the before hook).
 */
export function useServers<N extends ServiceName = ServiceName>(
  options: StartOptions<N> = {},
): RunningServers<N> {
  let running: RunningServers<N> | undefined;
  before(async () => {
    const ports = Object.fromEntries((options.only ?? ['upstream', ...NODE_SERVERS]).map((n) => [n, 0]));
    running = await startServers<N>({ ...options, ports: { ...ports, ...options.ports } });
  });
  after(() => running?.stop());
  const get = () => {
    if (!running) throw new Error('servers are not started yet (use them inside a test)');
    return running;
  };
  return {
    get urls() {
      return get().urls;
    },
    get pids() {
      return get().pids;
    },
    get lines() {
      return get().lines;
    },
    get statsUrls() {
      return get().statsUrls;
    },
    get exited() {
      return get().exited;
    },
    stop: () => get().stop(),
  };
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
  /** Wall time from sending to the end of the response. */
  ms: number;
}

/**
 * GET (or another method) on a fresh connection, or on `agent`'s kept-alive ones; the body is
 * parsed as JSON when it is JSON.
 */
export function request<T = Record<string, unknown>>(
  url: string,
  options: { method?: string; body?: string; timeoutMs?: number; agent?: http.Agent } = {},
): Promise<Reply<T>> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const agent = options.agent ?? false;
    const req = http.request(url, { method: options.method ?? 'GET', agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        const json = String(res.headers['content-type']).startsWith('application/json');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: (json ? JSON.parse(text) : text) as T,
          ms: performance.now() - started,
        });
      });
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** N concurrent GETs of the same URL; resolves with every reply and the wall time of the batch. */
export async function concurrently(url: string, n: number): Promise<{ replies: Reply[]; ms: number }> {
  const started = performance.now();
  const replies = await Promise.all(Array.from({ length: n }, () => request(url)));
  return { replies, ms: performance.now() - started };
}

/** Polls `probe` every 20 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A loopback port with nothing listening: connections to it are refused. */
export const closedPort = freePort;

/** A TCP server on a free port that accepts connections and never answers: an upstream that hangs. */
export async function silentServer(): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Seconds -> the delay query value; keeps test URLs readable. */
export const io = (base: string, delay: number) => `${base}/io?delay=${delay}`;
export const fanout = (base: string, delay: number, concurrent: number) =>
  `${base}/fanout?delay=${delay}&concurrent=${concurrent}`;
