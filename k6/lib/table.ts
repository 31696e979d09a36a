// The terminal table printed at the end of a run, like the seed's: per scenario the sync and
// async latencies, the measured speedups and the theory's, then the recommendation.

import { QUEUE_FACTOR_TEXT } from '../../lib/theory.ts';
import { failures } from './checks.ts';
import { fmtLatency, fmtNumber, fmtPercent, fmtSpeedup, textTable } from './format.ts';
import { renderDecisionText } from './render-decision.ts';
import { renderIoText } from './render-io.ts';
import { FIDELITY_P50_TOLERANCE, FIDELITY_SPEEDUP_TOLERANCE } from './speedup.ts';
import type { Summary } from './summary.ts';

export function renderTable(summary: Summary): string {
  const names = summary.targets.map((t) => t.name);
  // Black-box targets: CPU read from their process tree, or not at all (a remote one).
  const outside = summary.targets.filter((t) => t.cpuMeasuredBy);
  const cpuBy = Object.fromEntries(outside.map((t) => [t.name, t.cpuMeasuredBy]));
  const ref = summary.reference ?? 'the sync target';
  const compared = names.filter((n) => n !== summary.reference);
  const asyncNames = summary.targets.filter((t) => t.model === 'async').map((t) => t.name);
  const out: string[] = [];
  out.push('');
  out.push(
    `IO benchmark: ${summary.reference ? `reference ${summary.reference} with ${summary.syncWorkers} sync worker(s)` : 'no sync target'}, time scale ${summary.timeScale}` +
      (summary.k6Version ? `, ${summary.k6Version}` : '') +
      `, ${summary.generatedAt}`,
  );
  out.push('');
  out.push(`Latency: mean of the requests in each measurement window; speedup = ${ref} mean / target mean`);
  out.push(
    textTable(
      ['Scenario', 'VUs', 'Delay', ...names, `speedup ${compared.join('/')}`, 'theory'],
      summary.scenarios.map((s) => [
        s.name,
        String(s.vus),
        fmtLatency(s.delaySeconds * 1000),
        ...names.map((n) => fmtLatency(s.servers[n]?.avg)),
        compared.map((n) => fmtSpeedup(s.speedup[n]?.latency)).join(' / '),
        theoryCell(s, compared),
      ]),
    ),
  );
  out.push('');
  out.push(
    `Throughput (req/s in the window) and server CPU per request; speedup = target req/s / ${ref} req/s`,
  );
  out.push(
    textTable(
      ['Scenario', ...names.map((n) => `${n} req/s`), ...names.map((n) => `${n} CPU`), 'speedup', 'theory'],
      summary.scenarios.map((s) => [
        s.name,
        ...names.map((n) => fmtNumber(s.servers[n]?.rps)),
        ...names.map((n) => {
          const v = s.servers[n]?.cpuMsPerRequest;
          if (cpuBy[n] === 'not measured') return 'not measured';
          return v === null || v === undefined ? 'n/a' : `${v.toFixed(2)} ms`;
        }),
        compared.map((n) => fmtSpeedup(s.speedup[n]?.throughput)).join(' / '),
        theoryCell(s, compared),
      ]),
    ),
  );
  if (outside.length > 0) {
    out.push(
      `CPU: ${outside.map((t) => `${t.name} ${t.cpuMeasuredBy === 'process tree' ? 'read from its process tree' : 'not measured'}`).join(', ')}; the others from their own /stats`,
    );
  }
  const varied = summary.scenarios.filter((s) => s.profile || s.stream);
  if (varied.length > 0) {
    out.push('');
    out.push(
      `Variable IO: mean against the theory (${QUEUE_FACTOR_TEXT}·E[service] sync, E[service] async), the tail, and ${ref} ÷ target at each percentile`,
    );
    out.push(
      textTable(
        [
          'Scenario',
          'Server',
          'mean',
          'theory',
          'p50',
          'p95',
          'p99',
          'max',
          'ratio mean/p50/p95/p99',
          'TTFT p50/p95',
          'tokens/s',
        ],
        varied.flatMap((s) =>
          names.map((n) => {
            const f = s.servers[n];
            const sp = s.speedup[n];
            return [
              s.name,
              n,
              fmtLatency(f?.avg),
              fmtLatency(f?.theoryMeanMs),
              fmtLatency(f?.p50),
              fmtLatency(f?.p95),
              fmtLatency(f?.p99),
              fmtLatency(f?.max),
              sp
                ? [sp.latency, sp.tail.p50, sp.tail.p95, sp.tail.p99].map((x) => fmtSpeedup(x)).join(' / ')
                : '—',
              s.stream ? `${fmtLatency(f?.ttftP50)} / ${fmtLatency(f?.ttftP95)}` : '',
              s.stream ? fmtNumber(f?.tokensPerSecond, 0) : '',
            ];
          }),
        ),
      ),
    );
  }
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
        names
          .filter((n) => open.servers[n])
          .map((n) => {
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
      `(latency, ${asyncNames.join(', ')} over ${ref}; throughput average ${fmtSpeedup(summary.averageThroughputSpeedup)})`,
  );
  out.push(`Recommendation: ${summary.recommendation}`);
  const failed = failures(summary);
  const counted = summary.checks.filter((c) => c.kind !== 'fidelity');
  const fidelity = summary.checks.filter((c) => c.kind === 'fidelity');
  out.push(
    `Checks: ${counted.length - failed.length} passed, ${failed.length} failed; ` +
      `fidelity (speedup ±${FIDELITY_SPEEDUP_TOLERANCE * 100}% of theory, async p50 ±${FIDELITY_P50_TOLERANCE * 100}% of delay): ${fidelity.filter((c) => c.ok).length}/${fidelity.length}`,
  );
  for (const c of failed) out.push(c.message);
  for (const c of fidelity.filter((f) => !f.ok)) out.push(c.message);
  const io = renderIoText(summary);
  if (io) out.push(io);
  out.push(renderDecisionText(summary.decision));
  out.push('');
  return out.join('\n');
}

/** The theory per compared target when they differ (a second sync target), else the one figure. */
function theoryCell(s: Summary['scenarios'][number], compared: readonly string[]): string {
  const figures = compared.map((n) => s.speedup[n]?.theory ?? s.theorySpeedup);
  const distinct = new Set(figures.map((f) => f.toFixed(3)));
  return distinct.size > 1 ? figures.map((f) => fmtSpeedup(f)).join(' / ') : fmtSpeedup(s.theorySpeedup);
}
