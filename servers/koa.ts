// The async server on Koa 3: handlers await the shared non-blocking upstream client, so one
// process waits on any number of upstream calls at once.
//
//   node --import tsx servers/koa.ts      (KOA_PORT, default 8003; HOST; UPSTREAM_URL)

import http from 'node:http';
import Koa from 'koa';
import { asyncHandlers, runAsyncServer } from './lib/async-server.ts';
import { handleClientErrors, SERVER_OPTIONS } from './lib/http.ts';
import { toErrorResponse } from './lib/http-error.ts';
import { checkTarget, isRoutePath, routeMiss } from './lib/params.ts';
import { openRelay } from './lib/routes.ts';
import { closeHttpServer, isMain } from './lib/serve.ts';
import { RequestCounter } from './lib/stats.ts';
import type { UpstreamClient } from './lib/upstream-client.ts';

export function createKoaApp({ upstream }: { upstream: UpstreamClient }): Koa {
  const counter = new RequestCounter();
  const handlers = asyncHandlers('koa', upstream, counter);
  const app = new Koa();
  // Errors become `{error}` responses below; nothing is logged per request.
  app.silent = true;
  // Four fixed routes: a lookup in the shared table is all the routing needed (no koa-router).
  app.use(async (ctx) => {
    if (ctx.path !== '/stats') counter.track(ctx.res);
    try {
      checkTarget(ctx.url);
      const readOnly = ctx.method === 'GET' || ctx.method === 'HEAD';
      if (!readOnly || !isRoutePath(ctx.path)) throw routeMiss(ctx.method, ctx.path);
      if (ctx.path === '/stream') {
        const relay = await openRelay(upstream, ctx.query, ctx.res);
        // Koa steps aside: the relay writes the events onto the raw response as they come.
        ctx.respond = false;
        relay(ctx.res);
        return;
      }
      ctx.body = await handlers[ctx.path](ctx.query);
    } catch (err) {
      const { status, headers, body } = toErrorResponse(err);
      ctx.status = status;
      ctx.set(headers);
      ctx.body = body;
    }
  });
  return app;
}

if (isMain(import.meta.url)) {
  await runAsyncServer('koa', (upstream) => {
    const server = handleClientErrors(
      http.createServer(SERVER_OPTIONS, createKoaApp({ upstream }).callback()),
    );
    return { server, close: () => closeHttpServer(server) };
  });
}
