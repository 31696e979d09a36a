// What the async servers (koa, fastify, control, fastify-cluster's processes) share around
// their framework: route handlers that await one non-blocking upstream client, and a process
// that builds that client from its configuration and closes it after the server.

import type { Server } from 'node:http';
import type { NodeTargetName } from '../../lib/registry.ts';
import type { ServerConfig, ServiceName } from './config.ts';
import { createHandlers, type Handler, type JsonRoute } from './routes.ts';
import { runServer } from './serve.ts';
import { type RequestCounter, type StatsBody, singleProcessStats } from './stats.ts';
import { createUpstreamClient, type UpstreamClient } from './upstream-client.ts';

/** The handlers of an async server; /stats is its own process's unless `stats` says otherwise. */
export function asyncHandlers(
  server: NodeTargetName,
  upstream: UpstreamClient,
  counter: RequestCounter,
  workers = 1,
  stats?: () => StatsBody | Promise<StatsBody>,
): Record<JsonRoute, Handler> {
  return createHandlers({
    server,
    upstream: { model: 'async', call: (params) => upstream.call(params) },
    workers,
    stats: stats ?? singleProcessStats(server, 'async', counter, workers),
  });
}

export function upstreamClientFor(config: ServerConfig): UpstreamClient {
  return createUpstreamClient({ upstreamUrl: config.upstreamUrl, timeoutMs: config.upstreamTimeoutMs });
}

export interface AsyncServer {
  readonly server: Server;
  /** Defaults to server.listen; Fastify listens through its own listen(). */
  listen?(host: string, port: number): Promise<unknown>;
  close(): Promise<void>;
}

/** The whole life of a single-process async server; its upstream client closes after it. */
export function runAsyncServer(
  name: ServiceName,
  build: (upstream: UpstreamClient) => AsyncServer,
): Promise<void> {
  return runServer(name, (config) => {
    const upstream = upstreamClientFor(config);
    const built = build(upstream);
    return {
      server: built.server,
      model: 'async',
      listen: built.listen?.bind(built),
      async stop() {
        await built.close();
        await upstream.close();
      },
    };
  });
}
