// results/report.html: one self-contained page (inline CSS, inline SVG, no script, no
// network) that answers the question at a glance: how much faster, against what theory, at
// what CPU cost.

import { QUEUE_FACTOR_TEXT } from '../../lib/theory.ts';
import { failures } from './checks.ts';
import { fmtBytes, fmtLatency, fmtNumber, fmtPercent, fmtSpeedup } from './format.ts';
import { xmlEscape } from './junit.ts';
import { renderDecisionHtml } from './render-decision.ts';
import { renderIoHtml } from './render-io.ts';
import {
  FIDELITY_P50_TOLERANCE,
  FIDELITY_SPEEDUP_TOLERANCE,
  SPEEDUP_MAX_FRACTION,
  SPEEDUP_MIN_FRACTION,
} from './speedup.ts';
import type { Summary } from './summary.ts';
import { barChart } from './svg.ts';
import { targetColor } from './targets.ts';

const THEORY_COLOR = '#555555';

const esc = xmlEscape;

const CSS = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f5f6f8;margin:0}
main{max-width:1160px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:0 0 2px}
.muted{color:#6b7280}.small{font-size:13px}
header{display:flex;flex-wrap:wrap;gap:16px;align-items:stretch;margin-bottom:18px}
header .title{flex:1 1 420px}
.badge{background:#fff;border-radius:10px;padding:12px 18px;box-shadow:0 1px 3px rgba(0,0,0,.08);min-width:150px}
.badge b{display:block;font-size:26px}
.verdict{border-radius:10px;padding:10px 16px;margin-bottom:18px;font-weight:600}
.pass{background:#e3f4e8;color:#17603a}.fail{background:#fde8e8;color:#9b1c1c}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(540px,1fr));gap:16px}
.card{background:#fff;border-radius:10px;padding:14px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08);overflow-x:auto}
.card p{margin:2px 0 8px}
svg.chart{max-width:100%;height:auto;font-family:inherit}
svg .grid{stroke:#e5e7eb}svg .baseline{stroke:#9ca3af}
svg .axis{font-size:11px;fill:#6b7280}svg .cat{font-size:12px;fill:#1d2330}
svg .val{font-size:10px;fill:#374151}svg .na{font-size:10px;fill:#9ca3af}
svg .legend{font-size:12px;fill:#1d2330}svg .muted{fill:#6b7280}
table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid #eceef1;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{color:#4b5563;font-weight:600}
td.ok{color:#17603a}td.off{color:#b45309}td.bad{color:#9b1c1c;font-weight:600}
ul.checks{margin:4px 0;padding-left:18px;font-family:ui-monospace,monospace;font-size:12px}
footer{margin-top:18px;font-size:12px;color:#6b7280}
`;

/** The speedup check's band and the fidelity tolerances as the page prints them. */
const BAND = `${SPEEDUP_MIN_FRACTION}–${SPEEDUP_MAX_FRACTION}`;
const pct = (fraction: number): string => `${fraction * 100}%`;
const Q = QUEUE_FACTOR_TEXT;

/** Colour class of a measured/theory ratio: within the fidelity tolerance ok, within the check's band off, else bad. */
function ratioClass(ratio: number | null): string {
  if (ratio === null) return 'bad';
  const off = Math.abs(ratio - 1);
  return off <= FIDELITY_SPEEDUP_TOLERANCE
    ? 'ok'
    : ratio >= SPEEDUP_MIN_FRACTION && ratio <= SPEEDUP_MAX_FRACTION
      ? 'off'
      : 'bad';
}

function card(title: string, note: string, body: string): string {
  return `<section class="card"><h2>${esc(title)}</h2><p class="muted small">${note}</p>${body}</section>`;
}

/** The page around the cards: inline CSS, no script. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

export { card, esc };

/** The report of a suite run; `extra` (the sweep's section) is appended when given. */
export function renderReport(summary: Summary, extra = ''): string {
  const scen = summary.scenarios;
  const names = summary.targets.map((t) => t.name);
  const color = (n: string) => targetColor(n, names.indexOf(n));
  const ref = summary.reference ?? 'the sync target';
  const compared = names.filter((n) => n !== summary.reference);
  const cats = scen.map((s) => `${s.name}\n${s.vus} × ${fmtLatency(s.delaySeconds * 1000)}`);
  const shortX = (v: number) => `${v.toFixed(1)}x`;
  const speedupSeries = (kind: 'latency' | 'throughput') => [
    {
      name: `theory ${Q}`,
      color: THEORY_COLOR,
      values: scen.map((s) => s.theorySpeedup),
      hollow: true,
    },
    ...compared.map((n) => ({
      name: n,
      color: color(n),
      values: scen.map((s) => s.speedup[n]?.[kind] ?? null),
      // Each target's own theory as a tick: 1 for a sync target with the reference's W, so
      // flask's bar at 1.0x reads as on theory beside an async theory of 25x.
      marks: [scen.map((s) => s.speedup[n]?.theory ?? null)],
    })),
  ];
  const perServer = (pick: (s: Summary['scenarios'][number], n: string) => number | null | undefined) =>
    names.map((n) => ({
      name: n,
      color: color(n),
      values: scen.map((s) => {
        const v = pick(s, n);
        return v === undefined ? null : v;
      }),
    }));

  const charts = [
    card(
      'Latency speedup: measured vs theory',
      `${esc(ref)} mean latency ÷ each target's mean latency. Dashed: the theory for an async target, ${Q} with W = ${summary.syncWorkers}; the tick on each bar is that target’s own theory (1 for a sync target with the same W).`,
      barChart({
        title: 'Latency speedup',
        categories: cats,
        series: speedupSeries('latency'),
        format: fmtSpeedup,
        label: shortX,
        marksLabel: 'tick: the target’s own theory',
      }),
    ),
    card(
      'Throughput speedup: measured vs theory',
      `each target's requests per second ÷ ${esc(ref)} requests per second, in each measurement window.`,
      barChart({
        title: 'Throughput speedup',
        categories: cats,
        series: speedupSeries('throughput'),
        format: fmtSpeedup,
        label: shortX,
        marksLabel: 'tick: the target’s own theory',
      }),
    ),
    card(
      'Latency per server',
      'Bar: median (p50), labelled in ms; ticks above it: p95 and p99. Log scale.',
      barChart({
        title: 'Latency percentiles',
        categories: cats,
        series: names.map((n) => ({
          name: n,
          color: color(n),
          values: scen.map((s) => s.servers[n]?.p50 ?? null),
          marks: [scen.map((s) => s.servers[n]?.p95 ?? null), scen.map((s) => s.servers[n]?.p99 ?? null)],
        })),
        format: fmtLatency,
        // Bar labels without the unit, to fit three bars side by side.
        label: (v) => (v < 1000 ? `${Math.round(v)}` : `${(v / 1000).toFixed(1)}s`),
        log: true,
        marksLabel: 'ticks: p95, p99',
      }),
    ),
    card(
      'Throughput per server',
      'Responses completed per second inside the measurement window. Log scale.',
      barChart({
        title: 'Throughput',
        categories: cats,
        series: perServer((s, n) => s.servers[n]?.rps),
        format: (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(1)),
        log: true,
      }),
    ),
    card(
      'Server CPU per request',
      "CPU seconds (user + system, every process of the server) in the window ÷ responses completed in it; labels in ms. At low request rates what a server spends each second whatever its load (its timers, the sampler's own /stats reads) weighs more on each request.",
      barChart({
        title: 'CPU milliseconds per request',
        categories: cats,
        series: perServer((s, n) => s.servers[n]?.cpuMsPerRequest),
        format: (v) => `${v >= 10 ? v.toFixed(0) : v.toFixed(1)} ms`,
        label: (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(1)),
      }),
    ),
    card(
      'Server CPU load',
      'Mean CPU of the server during its slot, in percent of one core.',
      barChart({
        title: 'CPU percent',
        categories: cats,
        series: perServer((s, n) => s.servers[n]?.cpuPercentAvg),
        format: (v) => `${v.toFixed(0)}%`,
      }),
    ),
  ];

  // Variable IO: the quantile function per server (what a histogram shows, at the points that
  // decide a migration) and, for streams, the time to first token.
  for (const sc of scen.filter((x) => x.profile || x.stream)) {
    const qs = [
      ['p50', 'p50'],
      ['p90', 'p90'],
      ['p95', 'p95'],
      ['p99', 'p99'],
      ['p99.9', 'p999'],
      ['max', 'max'],
    ] as const;
    const shape = sc.profile
      ? `${sc.profile.dist}${sc.profile.sigma !== undefined ? ` σ=${sc.profile.sigma}` : ''}`
      : 'fixed';
    charts.push(
      card(
        `Latency distribution: ${sc.name}`,
        `${sc.vus} clients, delays ${esc(shape)} around ${fmtLatency(sc.delaySeconds * 1000)}${sc.stream ? `, then ${sc.stream.tokens} tokens ${fmtLatency(sc.stream.intervalSeconds * 1000)} apart` : ''}. Each bar a percentile of the latency, log scale: the sync server's tail grows faster than its mean (queueing behind slow calls).`,
        barChart({
          title: `Latency distribution ${sc.name}`,
          categories: qs.map(([label]) => label),
          series: names.map((n) => ({
            name: n,
            color: color(n),
            values: qs.map(([, key]) => sc.servers[n]?.[key] ?? null),
          })),
          format: fmtLatency,
          label: (v) => (v < 1000 ? `${Math.round(v)}` : `${(v / 1000).toFixed(1)}s`),
          log: true,
        }),
      ),
    );
    if (sc.stream) {
      charts.push(
        card(
          `Time to first token: ${sc.name}`,
          'Time to the first byte of each stream (k6 timings.waiting), p50 and p95: what a user waits before text appears.',
          barChart({
            title: `Time to first token ${sc.name}`,
            categories: ['p50', 'p95'],
            series: names.map((n) => ({
              name: n,
              color: color(n),
              values: [sc.servers[n]?.ttftP50 ?? null, sc.servers[n]?.ttftP95 ?? null],
            })),
            format: fmtLatency,
            label: (v) => (v < 1000 ? `${Math.round(v)}` : `${(v / 1000).toFixed(1)}s`),
            log: true,
          }),
        ),
      );
    }
  }

  // A remote black-box target's CPU is not measured: said so, where a figure that is merely missing is n/a.
  const unmeasured = new Set(
    summary.targets.filter((t) => t.cpuMeasuredBy === 'not measured').map((t) => t.name),
  );
  const cpuCell = (n: string, ms: number | null | undefined) =>
    unmeasured.has(n) ? 'not measured' : ms == null ? 'n/a' : `${ms.toFixed(2)} ms`;
  const rows = scen
    .flatMap((s) =>
      names.map((n) => {
        const f = s.servers[n];
        const sp = s.speedup[n];
        const ratio = sp ? sp.latencyVsTheory : null;
        return `<tr><td>${esc(s.name)}</td><td>${s.vus}</td><td>${fmtLatency(s.delaySeconds * 1000)}</td><td>${esc(n)}</td>
<td>${fmtLatency(f?.p50)}</td><td>${fmtLatency(f?.p95)}</td><td>${fmtLatency(f?.p99)}</td><td>${fmtLatency(f?.avg)}</td>
<td>${fmtNumber(f?.rps)}</td><td>${fmtPercent(f?.errorRate, 2)}</td><td>${cpuCell(n, f?.cpuMsPerRequest)}</td>
<td>${fmtNumber(f?.cpuPercentAvg, 0)}%</td><td>${fmtBytes(f?.rssBytesMax)}</td>
<td class="${sp ? ratioClass(ratio) : ''}">${sp ? `${fmtSpeedup(sp.latency)} / ${fmtSpeedup(sp.throughput)}` : '—'}</td>
<td>${sp ? fmtSpeedup(sp.theory) : ''}</td></tr>`;
      }),
    )
    .join('\n');
  const figures = card(
    'All figures',
    `Latencies of the requests that started in the measurement window; req/s and CPU of the responses that completed in it. Speedup colour: green within ${pct(FIDELITY_SPEEDUP_TOLERANCE)} of theory, amber within the check band (${BAND}×), red outside.`,
    `<table><thead><tr><th>scenario</th><th>VUs</th><th>delay</th><th>server</th><th>p50</th><th>p95</th><th>p99</th><th>mean</th><th>req/s</th><th>errors</th><th>CPU/req</th><th>CPU</th><th>RSS max</th><th>speedup lat / thr</th><th>theory</th></tr></thead><tbody>${rows}</tbody></table>`,
  );

  let openCard = '';
  const open = summary.openModel;
  if (open) {
    const openRows = names
      .filter((n) => open.servers[n])
      .map((n) => {
        const f = open.servers[n];
        return `<tr><td>${esc(n)}</td><td>${fmtNumber(f?.rps)}</td><td>${fmtLatency(f?.p50)}</td><td>${fmtLatency(f?.p95)}</td><td>${fmtLatency(f?.p99)}</td><td>${fmtPercent(f?.errorRate, 2)}</td><td>${f?.timeouts ?? 0}</td><td>${f?.droppedIterations ?? 0}</td><td>${f?.sent ?? 0}</td><td>${cpuCell(n, f?.cpuMsPerRequest)}</td></tr>`;
      })
      .join('\n');
    openCard = card(
      `Open model (${open.name}): ${fmtNumber(open.ratePerSecond)} requests/s offered`,
      `Arrivals at the async servers' closed-loop capacity (N/d = ${open.vus}/${open.delaySeconds} s) for ${open.durationSeconds} s, at most ${open.maxVUs} VUs, timeout ${fmtLatency(open.timeoutSeconds * 1000)}. The sync server's capacity is W/d, so it falls behind: its dropped iterations and timeouts are the finding. Not part of the speedups.`,
      `<table><thead><tr><th>server</th><th>req/s</th><th>p50</th><th>p95</th><th>p99</th><th>errors</th><th>timeouts</th><th>dropped</th><th>sent</th><th>CPU/req</th></tr></thead><tbody>${openRows}</tbody></table>`,
    );
  }

  const failed = failures(summary);
  const counted = summary.checks.filter((c) => c.kind !== 'fidelity');
  const verdict = failed.length
    ? `<div class="verdict fail">${failed.length} of ${counted.length} checks failed<ul class="checks">${failed
        .map((c) => `<li>${esc(c.message)}</li>`)
        .join('')}</ul></div>`
    : `<div class="verdict pass">All ${counted.length} checks passed: thresholds derived from the theory and the speedup check (${BAND} × theory).</div>`;
  const fidelity = summary.checks.filter((c) => c.kind === 'fidelity');
  const off = fidelity.filter((c) => !c.ok);
  const fidelityCard = card(
    'Fidelity',
    `How close the measurement came to the theory: speedups within ±${pct(FIDELITY_SPEEDUP_TOLERANCE)} of ${Q}, async p50 within ±${pct(FIDELITY_P50_TOLERANCE)} of the delay. ${fidelity.length - off.length} of ${fidelity.length} within.`,
    off.length ? `<ul class="checks">${off.map((c) => `<li>${esc(c.message)}</li>`).join('')}</ul>` : '',
  );

  const servers = summary.targets
    .map((t) => `${esc(t.name)}: ${esc(t.framework)}${t.workers ? ` (W=${t.workers})` : ''}`)
    .join(' · ');
  return page(
    `IO benchmark: sync vs async (${ref}, W=${summary.syncWorkers})`,
    `<header>
<div class="title"><h1>Sync vs async under IO wait</h1>
<div class="muted">reference ${esc(ref)} · W = ${summary.syncWorkers} sync worker(s) · time scale ${summary.timeScale} · ${esc(summary.generatedAt)}${summary.k6Version ? ` · ${esc(summary.k6Version)}` : ''}</div>
<div class="muted small">${servers}</div></div>
<div class="badge"><span class="muted small">recommendation</span><b>${esc(summary.recommendation)}</b></div>
<div class="badge"><span class="muted small">average speedup (latency)</span><b>${fmtSpeedup(summary.averageSpeedup)}</b></div>
<div class="badge"><span class="muted small">max speedup</span><b>${fmtSpeedup(summary.maxSpeedup)}</b></div>
</header>
${verdict}
<div class="grid">
${charts.join('\n')}
</div>
<div style="height:16px"></div>
${figures}
<div style="height:16px"></div>
${renderIoHtml(summary, card)}${openCard}
<div style="height:16px"></div>
${fidelityCard}
<div style="height:16px"></div>
${renderDecisionHtml(summary.decision, card)}
${extra}
<footer>Theory: with W sync workers and N closed-loop clients each waiting d, sync latency ≈ ${Q}·d and async ≈ d, so speedup ≈ ${Q}. ${esc(summary.speedupBasis)}. Recommendation matrix: &lt;2x moderate, 2–5x good candidate, 5–10x strong case, &gt;10x migrate.</footer>`,
  );
}
