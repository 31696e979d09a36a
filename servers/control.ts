// The control target: the same routes and upstream client as koa and fastify on plain
// node:http, with no framework in between. It is the reference for "how good can async be
// on this machine": what separates Koa or Fastify from it is the framework's own cost.
//
//   node --import tsx servers/control.ts      (CONTROL_PORT, default 8007; HOST; UPSTREAM_URL)

import http from 'node:http';
import { asyncHandlers, runAsyncServer } from './lib/async-server.ts';
import { handleClientErrors, pathOf, queryOf, SERVER_OPTIONS, sendError, sendJson } from './lib/http.ts';
import { checkTarget, isRoutePath, routeMiss } from './lib/params.ts';
import { openRelay } from './lib/routes.ts';
import { closeHttpServer, isMain } from './lib/serve.ts';
import { RequestCounter } from './lib/stats.ts';
import type { UpstreamClient } from './lib/upstream-client.ts';

export function createControlServer({ upstream }: { upstream: UpstreamClient }): http.Server {
  const counter = new RequestCounter();
  const handlers = asyncHandlers('control', upstream, counter);
  const server = http.createServer(SERVER_OPTIONS, (req, res) => {
    const path = pathOf(req);
    if (path !== '/stats') counter.track(res);
    (async () => {
      checkTarget(req.url ?? '');
      const readOnly = req.method === 'GET' || req.method === 'HEAD';
      if (!readOnly || !isRoutePath(path)) throw routeMiss(req.method ?? '', path);
      const query = queryOf(req.url ?? '');
      if (path === '/stream') return (await openRelay(upstream, query, res))(res);
      sendJson(res, 200, await handlers[path](query));
    })().catch((err) => sendError(res, err));
  });
  return handleClientErrors(server);
}

if (isMain(import.meta.url)) {
  await runAsyncServer('control', (upstream) => {
    const server = createControlServer({ upstream });
    return { server, close: () => closeHttpServer(server) };
  });
}
