// The worker sweep (workers-sweep.ts) as the terminal table and its report page: per sync target,
// latency, throughput, CPU and RSS against W beside the theory, and the verdict on where more
// workers stop helping. The rows are built once for both.

import { fmtBytes, fmtLatency, fmtNumber, fmtPercent, textTable } from './format.ts';
import { xmlEscape as esc } from './junit.ts';
import { card, page } from './report.ts';
import type { WorkersSweep, WorkersTarget } from './workers-sweep.ts';

const HEADER = ['W', 'p50', 'theory p50', 'p95', 'req/s', 'theory req/s', 'CPU/req', 'CPU', 'RSS', 'errors'];

function rows(t: WorkersTarget): string[][] {
  return t.points.map((p) => [
    p.threads > 1 ? `${p.workers} × ${p.threads}` : String(p.workers),
    fmtLatency(p.p50),
    fmtLatency(p.theoryP50Ms),
    fmtLatency(p.p95),
    fmtNumber(p.rps),
    fmtNumber(p.theoryRps),
    p.cpuMsPerRequest === null ? 'n/a' : `${p.cpuMsPerRequest.toFixed(2)} ms`,
    `${fmtNumber(p.cpuPercentAvg, 0)}%`,
    fmtBytes(p.rssBytesMax),
    fmtPercent(p.errorRate, 2),
  ]);
}

const title = (w: WorkersSweep) =>
  `Worker sweep: ${w.scenario}, N = ${w.vus} clients, d = ${fmtLatency(w.delaySeconds * 1000)}, W = ${w.sweep.join(', ')}`;

const asyncLine = (w: WorkersSweep) =>
  w.async.length
    ? `async beside them: ${w.async.map((a) => `${a.name} p50 ${fmtLatency(a.p50)}, ${fmtNumber(a.rps)} req/s, RSS ${fmtBytes(a.rssBytesMax)}`).join('; ')}`
    : 'no async target measured beside them: the async latency is taken as d';

export function renderWorkersTable(w: WorkersSweep): string {
  const out = ['', title(w)];
  for (const t of w.targets) out.push('', t.name, textTable(HEADER, rows(t)), t.note);
  out.push('', asyncLine(w));
  if (w.stopped) out.push(`stopped: ${w.stopped.reason}`);
  out.push('');
  return out.join('\n');
}

export function renderWorkersSection(w: WorkersSweep): string {
  const tables = w.targets.map((t) =>
    card(
      `${t.name}: W = ${w.sweep.join(', ')}`,
      esc(t.note),
      `<table><thead><tr>${HEADER.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows(t)
        .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`,
    ),
  );
  return [
    card(
      title(w),
      `Each W in a run of its own (the server restarted with W workers). ${esc(asyncLine(w))}.`,
      '',
    ),
    ...tables,
  ].join('\n');
}

export const renderWorkersReport = (w: WorkersSweep): string =>
  page(
    title(w),
    `<header><div class="title"><h1>${esc(title(w))}</h1></div></header>\n${renderWorkersSection(w)}`,
  );
