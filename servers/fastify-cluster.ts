// Async on every core: the Fastify app of fastify.ts in a Node cluster of ASYNC_PROCESSES
// processes (default the CPU count), one event loop per core on one shared port. Where one
// async process is bound by its single core (CPU work per request, cpu=), this is the async
// answer to more sync workers. How the processes share /stats: lib/async-cluster.ts.
//
//   node --import tsx servers/fastify-cluster.ts   (FASTIFY_CLUSTER_PORT, default 8011;
//                                                    ASYNC_PROCESSES; HOST; UPSTREAM_URL)

import cluster from 'node:cluster';
import { buildFastify } from './fastify.ts';
import { clusterWorkerStats, listenInCluster, runAsyncClusterPrimary } from './lib/async-cluster.ts';
import { upstreamClientFor } from './lib/async-server.ts';
import { BACKLOG, configOrFail, isMain } from './lib/serve.ts';
import { RequestCounter } from './lib/stats.ts';

if (isMain(import.meta.url)) {
  const config = configOrFail('fastify-cluster');
  if (cluster.isPrimary) {
    await runAsyncClusterPrimary('fastify-cluster', config);
  } else {
    const upstream = upstreamClientFor(config);
    const counter = new RequestCounter();
    const app = buildFastify({
      upstream,
      server: 'fastify-cluster',
      workers: config.asyncProcesses,
      counter,
      stats: clusterWorkerStats(counter),
    });
    // The primary's cluster module shares the port: every worker listens on it, port 0 included.
    await listenInCluster(config, (host, port) => app.listen({ host, port, backlog: BACKLOG }));
  }
}
