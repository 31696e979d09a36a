// The sync server: Express 5 behind a Gunicorn-style arbiter, SYNC_WORKERS worker processes that
// each serve one request at a time with their thread blocked on the upstream (Flask + requests).
// Why the primary dispatches connections itself rather than leaving it to Node's cluster, and how
// that mirrors Gunicorn's sync workers: lib/arbiter.ts. How the thread blocks: lib/sync-upstream.ts.
//
//   node --import tsx servers/express.ts   (EXPRESS_PORT, default 8002; SYNC_WORKERS; HOST; UPSTREAM_URL)

import cluster from 'node:cluster';
import http from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { runArbiter } from './lib/arbiter.ts';
import { handleClientErrors, SERVER_OPTIONS } from './lib/http.ts';
import { toErrorResponse } from './lib/http-error.ts';
import { checkTarget, parseStreamParams, routeMiss } from './lib/params.ts';
import { createHandlers, JSON_ROUTES, SSE_HEADERS } from './lib/routes.ts';
import { configOrFail, isMain } from './lib/serve.ts';
import { RequestCounter, type StatsBody, singleProcessStats } from './lib/stats.ts';
import { createSyncUpstreamClient, type SyncUpstreamClient } from './lib/sync-upstream.ts';
import { runSyncWorker } from './lib/sync-worker.ts';

export interface ExpressAppOptions {
  readonly upstream: SyncUpstreamClient;
  /** Reported by /health; the processes of the whole cluster. */
  readonly workers: number;
  readonly counter?: RequestCounter;
  /** In the cluster the primary answers /stats; this only serves an app used on its own. */
  readonly stats?: () => StatsBody;
}

export function createExpressApp({
  upstream,
  workers,
  counter = new RequestCounter(),
  stats,
}: ExpressAppOptions): Express {
  const handlers = createHandlers({
    server: 'express',
    upstream: { model: 'sync', call: (params) => upstream.call(params) },
    workers,
    stats: stats ?? singleProcessStats('express', 'sync', counter, workers),
  });
  const app = express();
  app.disable('etag');
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Express alone would also answer /IO and /io/; the other servers (and the contract) do not.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  // Every answer is fresh: Express alone would turn /io into a bodiless 304 for `If-None-Match: *`.
  Object.defineProperty(app.request, 'fresh', { get: () => false });

  app.use((req, res, next) => {
    // Gunicorn's sync worker has no keep-alive: one request per connection, then close.
    res.setHeader('Connection', 'close');
    if (req.path !== '/stats') counter.track(res);
    checkTarget(req.originalUrl);
    next();
  });
  for (const path of JSON_ROUTES) {
    app.get(path, async (req, res) => {
      res.json(await handlers[path](req.query));
    });
  }
  // A stream holds the worker from the first byte to the last, as a Gunicorn sync worker
  // relaying one does; headers go out with the first event, so an upstream that fails before
  // it still gets a JSON 502/504.
  app.get('/stream', async (req, res) => {
    const params = parseStreamParams(req.query);
    try {
      await upstream.stream(
        params,
        (chunk) => {
          if (!res.headersSent) res.writeHead(200, SSE_HEADERS);
          res.write(chunk);
        },
        () => res.destroyed || res.socket?.destroyed !== false,
      );
    } catch (err) {
      if (!res.headersSent) throw err;
      // Mid-stream the status is sent: say what broke as an event, then end the stream.
      res.write(`event: error\ndata: ${JSON.stringify(toErrorResponse(err).body)}\n\n`);
    }
    if (!res.headersSent) res.writeHead(200, SSE_HEADERS);
    res.end();
  });
  app.use((req) => {
    throw routeMiss(req.method, req.path);
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { status, headers, body } = toErrorResponse(err);
    res.status(status).set(headers).json(body);
  });
  return app;
}

if (isMain(import.meta.url)) {
  const config = configOrFail('express');
  if (cluster.isPrimary) {
    await runArbiter('express', config);
  } else {
    const upstream = createSyncUpstreamClient({
      upstreamUrl: config.upstreamUrl,
      timeoutMs: config.upstreamTimeoutMs,
    });
    const counter = new RequestCounter();
    const app = createExpressApp({ upstream, workers: config.syncWorkers, counter });
    await runSyncWorker(handleClientErrors(http.createServer(SERVER_OPTIONS, app)), upstream.ready, counter);
  }
}
