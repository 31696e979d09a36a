// npm run bench:upstream [-- 1000 2000 5000 --delay=1]
//
// Shows that the upstream is never the bottleneck: fires batches of concurrent GET /io?delay=S
// from this process (a keep-alive pool, like the async servers') at an upstream in its own
// process, and prints how much each request took beyond the delay it asked for. The figures
// include this client's own overhead, so they are an upper bound on what the upstream adds.
// A benchmark that prints figures, not a test: nothing here passes or fails.

import os from 'node:os';
import { Pool } from 'undici';
import { startServers } from '../servers/launch.ts';

const args = process.argv.slice(2);
const delay = Number(args.find((a) => a.startsWith('--delay='))?.slice('--delay='.length) ?? 1);
const batches = args.filter((a) => /^\d+$/.test(a)).map(Number);
if (batches.length === 0) batches.push(1000, 2000, 5000);

const servers = await startServers({ only: ['upstream'], ports: { upstream: 0 } });
const pool = new Pool(servers.urls.upstream, { connections: Math.max(...batches), keepAliveTimeout: 60_000 });

/**
 * n requests; with `spreadMs` their starts are spread evenly over that window (for spreadMs =
 * delay, n are in flight at once in steady state, as n closed-loop clients produce), else all
 * leave in one burst.
 */
async function batch(
  n: number,
  spreadMs = 0,
): Promise<{ added: number[]; wallMs: number; errors: number; peak: number }> {
  const started = performance.now();
  let errors = 0;
  let inFlight = 0;
  let peak = 0;
  const added = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      if (spreadMs) await sleepUntil(started + (i * spreadMs) / n);
      inFlight++;
      peak = Math.max(peak, inFlight);
      const t = performance.now();
      try {
        const res = await pool.request({ method: 'GET', path: `/io?delay=${delay}` });
        await res.body.text();
        if (res.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
      inFlight--;
      return performance.now() - t - delay * 1000;
    }),
  );
  return { added: added.sort((a, b) => a - b), wallMs: performance.now() - started, errors, peak };
}

function sleepUntil(at: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`.padStart(10);

console.log(
  `upstream bench: node ${process.version}, ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? '?'}), ` +
    `${new Date().toISOString()}, delay ${delay} s`,
);
// Warm-up: opens the pool's connections and lets both processes' JIT settle before measuring.
await batch(Math.max(...batches));
for (const [title, spreadMs] of [
  [`starts spread over ${delay} s (steady state: N waiting at once)`, delay * 1000],
  ['one burst (N sent in the same instant: parsing and answering them is queued)', 0],
] as const) {
  console.log(`\n${title}`);
  console.log('         N   peak   added p50   added p99   added max   errors');
  for (const n of batches) {
    const { added, errors, peak } = await batch(n, spreadMs);
    console.log(
      `${String(n).padStart(10)} ${String(peak).padStart(6)} ${fmt(pct(added, 50))}  ${fmt(pct(added, 99))}  ` +
        `${fmt(added.at(-1) ?? 0)}     ${errors}`,
    );
  }
}
await pool.close();
await servers.stop();
