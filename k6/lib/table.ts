// The terminal table printed at the end of a run, like the seed's: per scenario the sync and
// async latencies, the measured speedups and the theory's, then the recommendation.

import { ASYNC_SERVERS, SERVER_NAMES, SYNC_SERVER } from '../../lib/registry.ts';
import { fmtLatency, fmtNumber, fmtPercent, fmtSpeedup, textTable } from './format.ts';
import { failures, type Summary } from './summary.ts';

export function renderTable(summary: Summary): string {
  const out: string[] = [];
  out.push('');
  out.push(
    `IO benchmark: ${summary.syncWorkers} sync worker(s), time scale ${summary.timeScale}` +
      (summary.k6Version ? `, ${summary.k6Version}` : '') +
      `, ${summary.generatedAt}`,
  );
  out.push('');
  out.push('Latency: mean of the requests in each measurement window; speedup = express mean / async mean');
  out.push(
    textTable(
      ['Scenario', 'VUs', 'Delay', ...SERVER_NAMES, `speedup ${ASYNC_SERVERS.join('/')}`, 'theory'],
      summary.scenarios.map((s) => [
        s.name,
        String(s.vus),
        fmtLatency(s.delaySeconds * 1000),
        ...SERVER_NAMES.map((n) => fmtLatency(s.servers[n]?.avg)),
        ASYNC_SERVERS.map((n) => fmtSpeedup(s.speedup[n]?.latency)).join(' / '),
        fmtSpeedup(s.theorySpeedup),
      ]),
    ),
  );
  out.push('');
  out.push(
    'Throughput (req/s in the window) and server CPU per request; speedup = async req/s / express req/s',
  );
  out.push(
    textTable(
      [
        'Scenario',
        ...SERVER_NAMES.map((n) => `${n} req/s`),
        ...SERVER_NAMES.map((n) => `${n} CPU`),
        'speedup',
        'theory',
      ],
      summary.scenarios.map((s) => [
        s.name,
        ...SERVER_NAMES.map((n) => fmtNumber(s.servers[n]?.rps)),
        ...SERVER_NAMES.map((n) => {
          const v = s.servers[n]?.cpuMsPerRequest;
          return v === null || v === undefined ? 'n/a' : `${v.toFixed(2)} ms`;
        }),
        ASYNC_SERVERS.map((n) => fmtSpeedup(s.speedup[n]?.throughput)).join(' / '),
        fmtSpeedup(s.theorySpeedup),
      ]),
    ),
  );
  const open = summary.openModel;
  if (open) {
    out.push('');
    out.push(
      `Open model (${open.name}): ${fmtNumber(open.ratePerSecond)} req/s offered for ${open.durationSeconds} s, ` +
        `at most ${open.maxVUs} VUs, timeout ${fmtLatency(open.timeoutSeconds * 1000)} (not part of the speedups)`,
    );
    out.push(
      textTable(
        ['Server', 'req/s', 'p50', 'p95', 'errors', 'timeouts', 'dropped', 'sent'],
        SERVER_NAMES.filter((n) => open.servers[n]).map((n) => {
          const f = open.servers[n];
          return [
            n,
            fmtNumber(f?.rps),
            fmtLatency(f?.p50),
            fmtLatency(f?.p95),
            fmtPercent(f?.errorRate),
            String(f?.timeouts ?? 0),
            String(f?.droppedIterations ?? 0),
            String(f?.sent ?? 0),
          ];
        }),
      ),
    );
  }
  out.push('');
  out.push(
    `Average speedup ${fmtSpeedup(summary.averageSpeedup)}, max ${fmtSpeedup(summary.maxSpeedup)} ` +
      `(latency, ${ASYNC_SERVERS.join(' and ')} over ${SYNC_SERVER}; throughput average ${fmtSpeedup(summary.averageThroughputSpeedup)})`,
  );
  out.push(`Recommendation: ${summary.recommendation}`);
  const failed = failures(summary);
  const counted = summary.checks.filter((c) => c.kind !== 'fidelity');
  const fidelity = summary.checks.filter((c) => c.kind === 'fidelity');
  out.push(
    `Checks: ${counted.length - failed.length} passed, ${failed.length} failed; ` +
      `fidelity (speedup ±10% of theory, async p50 ±5% of delay): ${fidelity.filter((c) => c.ok).length}/${fidelity.length}`,
  );
  for (const c of failed) out.push(c.message);
  for (const c of fidelity.filter((f) => !f.ok)) out.push(c.message);
  out.push('');
  return out.join('\n');
}
