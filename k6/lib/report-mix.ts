// The mix sweep's part of report.html and of the terminal output: throughput and p50 against
// the CPU work per request c on log axes, each target's theory dashed in its own colour, and
// the crossover of every async target against the sync reference, measured and predicted.

import { fmtLatency, fmtNumber, fmtSpeedup, textTable } from './format.ts';
import { CROSSOVER_TOLERANCE, type Crossover, type MixPoint, type MixResult } from './mix.ts';
import { card, esc, page } from './report.ts';
import { type LineSeries, lineChart } from './svg.ts';
import { targetColor } from './targets.ts';

const fmtMs = (v: number): string => `${+v.toFixed(v < 10 ? 2 : 0)} ms`;
const fmtShare = (v: number | null): string => (v === null ? 'n/a' : `${v.toFixed(0)}%`);
/** An axis tick: short enough that the last decade's label fits the chart. */
const fmtTick = (v: number): string => (v >= 1000 ? `${v / 1000} s` : `${v}`);
const fmtRps = (v: number | null): string => (v === null ? 'n/a' : v >= 10 ? v.toFixed(0) : v.toFixed(1));

/** One measured and one dashed theory line per target; c = 0 has no place on a log axis. */
function curves(
  mix: MixResult,
  pick: (p: MixPoint) => number | null,
  theory: (p: MixPoint) => number,
): LineSeries[] {
  return mix.targets.flatMap((t, i) => {
    const pts = mix.points
      .filter((p) => p.server === t.name && p.cpuMs > 0)
      .sort((a, b) => a.cpuMs - b.cpuMs);
    if (pts.length === 0) return [];
    const color = targetColor(t.name, i);
    return [
      { name: t.name, color, points: pts.map((p) => [p.cpuMs, pick(p)] as const) },
      {
        name: `${t.name} theory`,
        color,
        dashed: true,
        points: pts.map((p) => [p.cpuMs, theory(p)] as const),
      },
    ];
  });
}

interface MixCurve {
  readonly measured: (p: MixPoint) => number | null;
  readonly theory: (p: MixPoint) => number;
  readonly format: (v: number) => string;
}

/** A figure against c on log–log axes; c = 0 is left to the table. */
function vsCpu(mix: MixResult, title: string, curve: MixCurve): string {
  return lineChart({
    title,
    series: curves(mix, curve.measured, curve.theory),
    formatX: fmtTick,
    formatY: curve.format,
    xLabel: 'CPU work per request c, ms (log)',
    note: 'c = 0 is in the table (no place on a log axis)',
  });
}

/** What a crossover says, in one line of the table or the terminal. */
export function describeCrossover(c: Crossover): string {
  const predicted = c.predictedMs === null ? 'never (theory)' : `predicted ${fmtMs(c.predictedMs)}`;
  if (c.status === 'never') {
    return `at or above ${c.reference} at every c measured (${predicted})`;
  }
  if (c.status === 'below')
    return `below ${c.reference} already at c = ${fmtMs(c.measuredMs ?? 0)} (${predicted})`;
  const within =
    c.withinTolerance === null
      ? ''
      : `, ${fmtSpeedup(c.ratio)} of it: ${c.withinTolerance ? 'within' : 'outside'} ±${CROSSOVER_TOLERANCE * 100}%`;
  return `falls below ${c.reference} at c ≈ ${fmtMs(c.measuredMs ?? 0)} (${predicted}${within})`;
}

function targetsLine(mix: MixResult): string {
  return mix.targets
    .map((t) => {
      if (t.model === 'async') return `${t.name} (async, P=${t.processes ?? 1})`;
      return `${t.name} (sync, W=${t.workers ?? 1}${t.threads ? `×${t.threads} threads` : ''})`;
    })
    .join(', ');
}

export function renderMixSection(mix: MixResult): string {
  const d = mix.delaySeconds * 1000;
  const k = mix.cores === null ? 'K not given' : `K = ${mix.cores} cores`;
  const chart = (title: string, note: string, curve: MixCurve) => card(title, note, vsCpu(mix, title, curve));
  const throughput = chart(
    'Throughput vs CPU per request',
    `Responses completed per second in each window, N = ${mix.clients}, d = ${fmtLatency(d)}. Dashed: theory, sync min(W/(d+c), min(W,K)/c), async min(N/(d+c), min(P,K)/c).`,
    { measured: (p) => p.rps, theory: (p) => p.theoryRps, format: fmtRps },
  );
  const latency = chart(
    'Median latency vs CPU per request',
    'p50 of the measured requests. Dashed: the theory’s mean, N over its throughput (a closed loop).',
    { measured: (p) => p.p50, theory: (p) => p.theoryLatencyMs, format: fmtLatency },
  );
  const crossRows = mix.crossovers
    .map(
      (c) =>
        `<tr><td>${esc(c.server)}</td><td>${c.processes}</td><td>${c.predictedMs === null ? 'never' : fmtMs(c.predictedMs)}</td><td>${c.measuredMs === null ? 'none' : fmtMs(c.measuredMs)}</td><td class="${c.withinTolerance === false ? 'bad' : c.withinTolerance ? 'ok' : ''}">${c.ratio === null ? '' : fmtSpeedup(c.ratio)}</td><td>${c.atLeastReferenceEverywhere ? 'yes' : 'no'}</td><td style="white-space:normal;text-align:left">${esc(describeCrossover(c))}</td></tr>`,
    )
    .join('\n');
  const crossovers = card(
    `Where async stops paying, against ${mix.reference ?? 'no sync reference'}`,
    `The c past which each async target serves fewer requests per second than the sync reference: measured (interpolated on log c between the two points around it) and predicted by the theory, a·d/(min(N, W·T) − a) with a = min(P, K) (d/(W − 1) for one process); the issue asks for ±${CROSSOVER_TOLERANCE * 100}%.`,
    `<table><thead><tr><th>target</th><th>P</th><th>predicted</th><th>measured</th><th>measured ÷ predicted</th><th>≥ reference at every c</th><th>reading</th></tr></thead><tbody>${crossRows}</tbody></table>`,
  );
  const rows = [...mix.points]
    .sort((a, b) => a.cpuMs - b.cpuMs || a.server.localeCompare(b.server))
    .map(
      (p) =>
        `<tr><td>${esc(p.server)}</td><td>${fmtMs(p.cpuMs)}</td><td>${fmtRps(p.rps)}</td><td>${fmtRps(p.theoryRps)}</td><td>${fmtLatency(p.p50)}</td><td>${fmtLatency(p.p95)}</td><td>${fmtLatency(p.theoryLatencyMs)}</td><td>${fmtNumber(p.cpuMsPerRequest, 2)}</td><td>${fmtShare(p.cpuPercent)}</td><td>${fmtShare(p.machineBusyPercent)}</td><td>${fmtNumber((p.errorRate ?? 0) * 100, 1)}%</td></tr>`,
    )
    .join('\n');
  const skipped = mix.skipped.length
    ? `<p class="muted small">Not measured: ${esc(mix.skipped.map((s) => `${s.server} at c = ${fmtMs(s.cpuMs ?? 0)} (${s.reason})`).join('; '))}.</p>`
    : '';
  const table = card(
    'All mix points',
    'Per target and c: throughput beside the theory, p50 and p95 beside the theory’s mean, server CPU per request (ms; about c plus the server’s own cost per request), its CPU in percent of one core, and the whole machine’s busy share in the window: near 100%, a CPU-bound point measured the crowded machine as much as the server.',
    `<table><thead><tr><th>target</th><th>c</th><th>req/s</th><th>theory</th><th>p50</th><th>p95</th><th>theory</th><th>CPU ms/req</th><th>CPU</th><th>machine</th><th>errors</th></tr></thead><tbody>${rows}</tbody></table>${skipped}`,
  );
  return `<h1 style="margin-top:24px">CPU work per request: the mix sweep</h1>
<div class="muted">N = ${mix.clients} · d = ${fmtLatency(d)} · ${k} · ${esc(targetsLine(mix))} · ${esc(mix.generatedAt)}${mix.k6Version ? ` · ${esc(mix.k6Version)}` : ''}</div>
<div style="height:12px"></div>
<div class="grid">
${throughput}
${latency}
</div>
<div style="height:16px"></div>
${crossovers}
<div style="height:16px"></div>
${table}`;
}

/** A page with the mix only, for a run that has no suite summary to go with it. */
export function renderMixReport(mix: MixResult): string {
  return page('IO benchmark: CPU work per request', renderMixSection(mix));
}

/** The highest of the machine's busy shares, `n/a` when none was measured. */
function busiest(values: readonly (number | null | undefined)[]): string {
  const known = values.filter((v): v is number => typeof v === 'number');
  return known.length ? `${Math.round(Math.max(...known))}%` : 'n/a';
}

/** The terminal's view: one row per c, req/s (theory) and p50 per target, then the crossovers. */
export function renderMixTable(mix: MixResult): string {
  const names = mix.targets.map((t) => t.name);
  const cs = [...new Set(mix.points.map((p) => p.cpuMs))].sort((a, b) => a - b);
  const at = (c: number, server: string) => mix.points.find((p) => p.cpuMs === c && p.server === server);
  const out: string[] = [
    '',
    `Mix sweep: N = ${mix.clients}, d = ${fmtLatency(mix.delaySeconds * 1000)}, ${mix.cores === null ? 'K not given' : `K = ${mix.cores}`}; ${targetsLine(mix)}`,
    '',
    'req/s (theory in brackets) and p50 per target; server CPU ms per request; the machine’s busiest window',
    textTable(
      [
        'c',
        ...names.map((n) => `${n} req/s`),
        ...names.map((n) => `${n} p50`),
        ...names.map((n) => `${n} CPU`),
        'machine',
      ],
      cs.map((c) => {
        const pts = names.map((s) => at(c, s));
        return [
          fmtMs(c),
          ...pts.map((p) => (p ? `${fmtRps(p.rps)} (${fmtRps(p.theoryRps)})` : '—')),
          ...pts.map((p) => (p ? fmtLatency(p.p50) : '—')),
          ...pts.map((p) => (p ? fmtNumber(p.cpuMsPerRequest, 1) : '—')),
          busiest(pts.map((p) => p?.machineBusyPercent)),
        ];
      }),
    ),
    '',
  ];
  for (const c of mix.crossovers) {
    out.push(
      `Crossover ${c.server} (P=${c.processes}): ${describeCrossover(c)}; ≥ ${c.reference} at every c: ${c.atLeastReferenceEverywhere ? 'yes' : 'no'}`,
    );
  }
  for (const s of mix.skipped)
    out.push(`Not measured: ${s.server} at c = ${fmtMs(s.cpuMs ?? 0)}: ${s.reason}`);
  out.push('');
  return out.join('\n');
}
