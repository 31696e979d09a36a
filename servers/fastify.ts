// The async server on Fastify 5: same routes and handlers as Koa, over the same non-blocking
// upstream client.
//
//   node --import tsx servers/fastify.ts      (FASTIFY_PORT, default 8004; HOST; UPSTREAM_URL)

import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { asyncHandlers, runAsyncServer } from './lib/async-server.ts';
import { answerNodeRejections, clientErrorResponse, SERVER_OPTIONS } from './lib/http.ts';
import { toErrorResponse } from './lib/http-error.ts';
import { checkTarget, routeMiss } from './lib/params.ts';
import { JSON_ROUTES, openRelay } from './lib/routes.ts';
import { BACKLOG, isMain } from './lib/serve.ts';
import { RequestCounter, type StatsBody } from './lib/stats.ts';
import type { UpstreamClient } from './lib/upstream-client.ts';

export interface FastifyOptions {
  readonly upstream: UpstreamClient;
  /** fastify-cluster runs this same app in each of its processes, with the cluster's /stats. */
  readonly server?: 'fastify' | 'fastify-cluster';
  readonly workers?: number;
  readonly counter?: RequestCounter;
  readonly stats?: () => Promise<StatsBody>;
}

export function buildFastify({
  upstream,
  server = 'fastify',
  workers = 1,
  counter = new RequestCounter(),
  stats,
}: FastifyOptions): FastifyInstance {
  const handlers = asyncHandlers(server, upstream, counter, workers, stats);
  const app = Fastify({
    logger: false,
    http: SERVER_OPTIONS,
    // Malformed requests and bad URLs (`/%E0`) get `{error}` like everything else.
    clientErrorHandler: clientErrorResponse,
    frameworkErrors: (err, _req, reply) => sendError(reply, err),
  });

  answerNodeRejections(app.server);
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.url !== '/stats') counter.track(reply.raw);
    checkTarget(req.url);
  });
  for (const path of JSON_ROUTES) {
    app.get(path, (req) => handlers[path](req.query as Record<string, unknown>));
  }
  app.get('/stream', async (req, reply) => {
    const relay = await openRelay(upstream, req.query as Record<string, unknown>, reply.raw);
    // Fastify steps aside: the relay writes the events onto the raw response as they come.
    reply.hijack();
    relay(reply.raw);
  });
  // Fastify answers an unmatched method with 404; the shared rule gives 405 on a known path.
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, routeMiss(req.method, req.url.split('?')[0] ?? '')),
  );
  // Our HttpErrors and Fastify's own (bad querystring, body too large, ...) come out as `{error}`.
  app.setErrorHandler((err, _req, reply) => sendError(reply, err));
  return app;
}

function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, headers, body } = toErrorResponse(err);
  return reply.code(status).headers(headers).send(body);
}

if (isMain(import.meta.url)) {
  await runAsyncServer('fastify', (upstream) => {
    const app = buildFastify({ upstream });
    return {
      server: app.server,
      listen: (host, port) => app.listen({ host, port, backlog: BACKLOG }),
      close: () => app.close(),
    };
  });
}
