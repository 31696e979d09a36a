// The sweep's part of report.html and of the terminal output: latency, throughput and
// speedup against N on log–log axes with the theory dashed beside each curve, each async
// target's knee, and which points the load generator limited.

import { SWEEP } from '../../lib/registry.ts';
import { QUEUE_FACTOR_TEXT } from '../../lib/theory.ts';
import { fmtLatency, fmtNumber, fmtSpeedup, textTable } from './format.ts';
import { card, esc, page } from './report.ts';
import { type LineSeries, lineChart } from './svg.ts';
import {
  KNEE_LATENCY_FACTOR,
  KNEE_THROUGHPUT_FACTOR,
  SATURATED_MACHINE_BUSY_PERCENT,
  type SweepPoint,
  type SweepResult,
} from './sweep.ts';
import { targetColor } from './targets.ts';

const THEORY = '#555555';
const fmtN = (v: number) => (v >= 1000 ? `${v / 1000}k` : String(v));

function curves(
  sweep: SweepResult,
  pick: (p: SweepPoint) => number | null,
  theory?: (p: SweepPoint) => number | null,
): LineSeries[] {
  const names = sweep.targets.map((t) => t.name);
  const out: LineSeries[] = [];
  for (const [i, t] of sweep.targets.entries()) {
    const pts = sweep.points.filter((p) => p.server === t.name).sort((a, b) => a.clients - b.clients);
    if (pts.length === 0) continue;
    out.push({
      name: t.name,
      color: targetColor(t.name, names.indexOf(t.name) ?? i),
      points: pts.map((p) => [p.clients, pick(p)] as const),
      hollowAt: pts.filter((p) => p.generatorBound).map((p) => p.clients),
    });
  }
  if (theory) {
    // One theory line per model: the first target of each carries it (they share d and W).
    for (const model of ['sync', 'async'] as const) {
      const t = sweep.targets.find((x) => x.model === model && sweep.points.some((p) => p.server === x.name));
      if (!t) continue;
      const pts = sweep.points.filter((p) => p.server === t.name).sort((a, b) => a.clients - b.clients);
      out.push({
        name: `${model} theory`,
        color: THEORY,
        dashed: true,
        points: pts.map((p) => [p.clients, theory(p)] as const),
      });
    }
  }
  return out;
}

export function renderSweepSection(sweep: SweepResult): string {
  const d = sweep.delaySeconds;
  const note = 'hollow: generator-bound';
  const latency = card(
    'Latency vs clients',
    `Mean latency of the measured requests at each N, d = ${fmtLatency(d * 1000)}. Dashed: theory, sync ${QUEUE_FACTOR_TEXT}·d and async d.`,
    lineChart({
      title: 'Latency vs N',
      series: curves(
        sweep,
        (p) => p.avg,
        (p) => p.theoryLatencyMs,
      ),
      formatX: fmtN,
      formatY: (v) => fmtLatency(v),
      xLabel: 'concurrent clients N (log)',
      note,
    }),
  );
  const throughput = card(
    'Throughput vs clients',
    'Responses completed per second in each window. Dashed: theory, sync W/d and async N/d.',
    lineChart({
      title: 'Throughput vs N',
      series: curves(
        sweep,
        (p) => p.rps,
        (p) => p.theoryRps,
      ),
      formatX: fmtN,
      formatY: (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(1)),
      xLabel: 'concurrent clients N (log)',
      note,
    }),
  );
  const asyncTargets = sweep.targets.filter((t) => t.model === 'async');
  const speedupSeries: LineSeries[] = curves(sweep, (p) => (p.model === 'async' ? p.speedup : null)).filter(
    (s) => asyncTargets.some((t) => t.name === s.name),
  );
  const firstAsync = asyncTargets[0];
  if (firstAsync && sweep.reference) {
    speedupSeries.push({
      name: 'theory',
      color: THEORY,
      dashed: true,
      points: sweep.points
        .filter((p) => p.server === firstAsync.name)
        .sort((a, b) => a.clients - b.clients)
        .map((p) => [p.clients, p.theorySpeedup] as const),
    });
  }
  const speedup = card(
    `Speedup over ${sweep.reference ?? 'the sync target'} vs clients`,
    `${esc(sweep.reference ?? '')} mean ÷ async mean at each N where both were measured (the sync curve stops where its mean passed ${SWEEP.syncStopDelays}·d).`,
    lineChart({
      title: 'Speedup vs N',
      series: speedupSeries,
      formatX: fmtN,
      formatY: (v) => fmtSpeedup(v),
      xLabel: 'concurrent clients N (log)',
      note,
    }),
  );
  const kneeRows = asyncTargets
    .map((t) => {
      const k = sweep.knees[t.name];
      if (!k) return `<tr><td>${esc(t.name)}</td><td colspan="4">ideal at every N measured</td></tr>`;
      return `<tr><td>${esc(t.name)}</td><td>${k.clients}</td><td style="white-space:normal;text-align:left">${esc(k.reason)}</td><td>${fmtNumber(k.cpuPercent, 0)}% / ${fmtNumber(k.k6CpuPercent, 0)}%</td><td class="${k.generatorBound ? 'off' : 'ok'}">${k.generatorBound ? 'load generator' : 'server'}</td></tr>`;
    })
    .join('\n');
  const knees = card(
    'Knees: where each async server stops being ideal',
    `The first N where p50 > ${KNEE_LATENCY_FACTOR}·d or throughput < ${KNEE_THROUGHPUT_FACTOR}·N/d. CPU: the server’s and k6’s at that point, in percent of one core. Limited by: the load generator when the machine was at least ${SATURATED_MACHINE_BUSY_PERCENT}% busy and k6 used at least as much CPU as the server.`,
    `<table><thead><tr><th>target</th><th>knee N</th><th>why</th><th>CPU server / k6</th><th>limited by</th></tr></thead><tbody>${kneeRows}</tbody></table>`,
  );
  const rows = [...sweep.points]
    .sort((a, b) => a.clients - b.clients || a.server.localeCompare(b.server))
    .map(
      (p) =>
        `<tr><td>${esc(p.server)}</td><td>${p.clients}</td><td>${fmtLatency(p.p50)}</td><td>${fmtLatency(p.p95)}</td><td>${fmtLatency(p.p99)}</td><td>${fmtLatency(p.avg)}</td><td>${fmtLatency(p.theoryLatencyMs)}</td><td>${fmtNumber(p.rps)}</td><td>${fmtNumber(p.theoryRps)}</td><td>${p.cpuMsPerRequest === null ? 'n/a' : p.cpuMsPerRequest.toFixed(2)}</td><td>${fmtNumber(p.k6CpuPercent, 0)}%</td><td>${fmtNumber(p.machineBusyPercent, 0)}%</td><td>${p.generatorBound ? 'yes' : ''}</td></tr>`,
    )
    .join('\n');
  const skipped = sweep.skipped.length
    ? `<p class="muted small">Not measured: ${esc(
        sweep.skipped.map((s) => `${s.server} at N=${s.clients}`).join(', '),
      )} (${esc(sweep.skipped[0]?.reason ?? '')}).</p>`
    : '';
  const table = card(
    'All sweep points',
    'Per target and N: latency percentiles and mean beside the theory, throughput beside the theory, server CPU per request (ms), k6’s own CPU (percent of one core) and the machine’s busy share.',
    `<table><thead><tr><th>target</th><th>N</th><th>p50</th><th>p95</th><th>p99</th><th>mean</th><th>theory</th><th>req/s</th><th>theory</th><th>CPU ms/req</th><th>k6 CPU</th><th>machine</th><th>gen.-bound</th></tr></thead><tbody>${rows}</tbody></table>${skipped}`,
  );
  return `<h1 style="margin-top:24px">Concurrency sweep</h1>
<div class="muted">d = ${fmtLatency(d * 1000)} · ${esc(sweep.targets.map((t) => `${t.name}${t.workers ? ` (W=${t.workers})` : ''}`).join(', '))} · ${esc(sweep.generatedAt)}${sweep.k6Version ? ` · ${esc(sweep.k6Version)}` : ''}</div>
<div style="height:12px"></div>
<div class="grid">
${latency}
${throughput}
${speedup}
${knees}
</div>
<div style="height:16px"></div>
${table}`;
}

/** A page with the sweep only, for a run that has no suite summary to go with it. */
export function renderSweepReport(sweep: SweepResult): string {
  return page('IO benchmark: concurrency sweep', renderSweepSection(sweep));
}

/** The terminal's view of a sweep: one row per N, one column group per target. */
export function renderSweepTable(sweep: SweepResult): string {
  const names = sweep.targets.map((t) => t.name);
  const ns = [...new Set(sweep.points.map((p) => p.clients))].sort((a, b) => a - b);
  const at = (n: number, server: string) => sweep.points.find((p) => p.clients === n && p.server === server);
  const out: string[] = ['', `Concurrency sweep, d = ${fmtLatency(sweep.delaySeconds * 1000)}`, ''];
  out.push('Mean latency (theory in brackets) and req/s per target; * = generator-bound');
  out.push(
    textTable(
      ['N', ...names.map((n) => `${n} mean`), ...names.map((n) => `${n} req/s`), 'k6 CPU'],
      ns.map((n) => {
        const pts = names.map((s) => at(n, s));
        const k6 = pts.map((p) => p?.k6CpuPercent).filter((v): v is number => typeof v === 'number');
        return [
          String(n),
          ...pts.map((p) => (p ? `${fmtLatency(p.avg)} (${fmtLatency(p.theoryLatencyMs)})` : '—')),
          ...pts.map((p) => (p ? `${fmtNumber(p.rps)}${p.generatorBound ? '*' : ''}` : '—')),
          k6.length ? `${Math.round(Math.max(...k6))}%` : 'n/a',
        ];
      }),
    ),
  );
  out.push('');
  for (const t of sweep.targets.filter((x) => x.model === 'async')) {
    const k = sweep.knees[t.name];
    out.push(
      k
        ? `Knee ${t.name}: N = ${k.clients} (${k.reason}; server CPU ${fmtNumber(k.cpuPercent, 0)}%, k6 ${fmtNumber(k.k6CpuPercent, 0)}%; limited by ${k.generatorBound ? 'the load generator' : 'the server'})`
        : `Knee ${t.name}: none, ideal at every N measured`,
    );
  }
  if (sweep.skipped.length) {
    const bySever = [...new Set(sweep.skipped.map((s) => s.server))];
    for (const server of bySever) {
      const list = sweep.skipped.filter((s) => s.server === server).map((s) => s.clients);
      out.push(
        `Stopped early: ${server} not measured at N = ${list.join(', ')}: its mean passed ${SWEEP.syncStopDelays}× the delay at fewer clients`,
      );
    }
  }
  out.push('');
  return out.join('\n');
}
