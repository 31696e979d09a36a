// What every server entry does the same way: read its config, listen, print one line, stop
// cleanly on SIGTERM/SIGINT, and turn start-up failures into one readable line and exit code 1.

import type { Server } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Model } from '../../lib/registry.ts';
import { loadConfig, type ServerConfig, type ServiceName, serviceSpec } from './config.ts';

/** True when the module is the process entry (`tsx servers/koa.ts`), false when a test imports it. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && path.resolve(entry) === fileURLToPath(moduleUrl);
}

/** Print one line to stderr and exit 1: for users, not a stack trace. */
export function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

export function configOrFail(name: ServiceName): ServerConfig {
  try {
    return loadConfig(name);
  } catch (err) {
    fail(`${name}: ${(err as Error).message}`);
  }
}

/** Listens on a net.Server with a deep backlog. */
export function listenServer(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Thousands of clients may connect at once (the upstream bench, the sync server's queue);
    // a refused SYN would only be retried by the client's kernel a second later.
    server.listen({ host, port, backlog: BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export const BACKLOG = 4096;

/** The one line for a failed listen: the port and the variable that changes it. */
export function listenError(err: unknown, { name, host, port }: ServerConfig): string {
  const code = (err as NodeJS.ErrnoException).code;
  const env = serviceSpec(name).portEnv;
  if (code === 'EADDRINUSE') return `${name}: port ${port} is already in use (set ${env} to use another)`;
  if (code === 'EACCES')
    return `${name}: no permission to listen on port ${port} (set ${env} to use another)`;
  return `${name}: cannot listen on ${host}:${port}: ${(err as Error).message}`;
}

/**
 * Runs `listen`, or exits with one line naming the port and the variable that changes it.
 * Returns the URL with the actual port (the config may say 0).
 */
export async function listenOrFail(
  server: Server,
  config: ServerConfig,
  listen: (host: string, port: number) => Promise<unknown> = (host, port) => listenServer(server, host, port),
): Promise<string> {
  const { host, port } = config;
  try {
    await listen(host, port);
  } catch (err) {
    fail(listenError(err, config));
  }
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
}

/** The one line every server prints; the launcher reads the URL from it (port 0 support). */
export function announce(name: ServiceName, url: string, model: Model, workers: number): void {
  console.log(`${name} listening on ${url} (${model}, ${workers} worker${workers === 1 ? '' : 's'})`);
}

/**
 * Runs `stop` once on SIGTERM or SIGINT (repeats are ignored: Ctrl-C and the launcher's SIGTERM
 * often arrive together), then exits 0; exits anyway after `forceAfterMs`. Also stops when the
 * launcher that spawned this process with an IPC channel goes away.
 */
export function onShutdown(stop: () => Promise<void>, forceAfterMs = 5000): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), forceAfterMs).unref();
    stop().then(
      () => process.exit(0),
      (err) => fail(`shutdown failed: ${(err as Error).message}`),
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  if (process.connected) {
    process.once('disconnect', handler);
    // The channel must not keep the server alive by itself, nor stop it from exiting.
    process.channel?.unref();
  }
}

/** Stops accepting, closes idle keep-alive sockets now and busy ones after a short grace. */
export async function closeHttpServer(
  server: Server & { closeIdleConnections?(): void; closeAllConnections?(): void },
  graceMs = 1000,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections?.();
  const timer = setTimeout(() => server.closeAllConnections?.(), graceMs);
  await closed;
  clearTimeout(timer);
}

export interface BuiltServer {
  readonly server: Server;
  readonly model: Model;
  /** Defaults to server.listen; Fastify listens through its own listen(). */
  listen?(host: string, port: number): Promise<unknown>;
  /** Defaults to closeHttpServer(server). */
  stop?(): Promise<void>;
}

/** The whole life of a single-process server (upstream, koa, fastify). */
export async function runServer(
  name: ServiceName,
  build: (config: ServerConfig) => BuiltServer,
): Promise<void> {
  const config = configOrFail(name);
  const built = build(config);
  const url = await listenOrFail(built.server, config, built.listen?.bind(built));
  onShutdown(() => (built.stop ? built.stop() : closeHttpServer(built.server)));
  announce(name, url, built.model, 1);
}
