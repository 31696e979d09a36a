// The decision block (decision.ts) as the terminal and the report show it: memory per target and
// scenario, what the largest scenario's N clients take in sync workers against async processes,
// where a target hit its CPU ceiling, and the option that meets the SLO. The rows are built once
// here for both renderings.

import type { WhatItTakes } from './cost.ts';
import type { Decision } from './decision.ts';
import { fmtBytes, fmtLatency, textTable } from './format.ts';
import { xmlEscape } from './junit.ts';

type Rows = { readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] };

function memoryRows(d: Decision): Rows {
  const names = [...new Set(d.memory.flatMap((m) => Object.keys(m.rssBytes)))];
  return {
    header: ['RSS max (all processes)', ...names],
    rows: d.memory.map((m) => [`${m.scenario} (N=${m.vus})`, ...names.map((n) => fmtBytes(m.rssBytes[n]))]),
  };
}

/** The scenario the table is shown for: stress when measured, else the one with the most clients. */
export function shownScenario(d: Decision): WhatItTakes | null {
  const all = d.whatItTakes;
  return all.find((w) => w.scenario === 'stress') ?? [...all].sort((a, b) => b.vus - a.vus)[0] ?? null;
}

function takesRows(w: WhatItTakes): Rows {
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  return {
    header: [
      'target',
      `serves ${w.vus} at ~${fmtLatency(w.delaySeconds * 1000)} with`,
      'measured with',
      'RSS each',
      'RSS in all',
    ],
    rows: [
      ...w.sync.map((s) => [
        s.server,
        s.threads > 1
          ? `${plural(s.workersNeeded, 'worker')} × ${s.threads} threads`
          : plural(s.workersNeeded, 'worker'),
        s.threads > 1 ? `${s.workersMeasured} × ${s.threads}` : plural(s.workersMeasured, 'worker'),
        fmtBytes(s.rssPerWorkerBytes),
        fmtBytes(s.rssNeededBytes),
      ]),
      ...w.async.map((a) => [
        a.server,
        plural(a.processes, 'process', 'processes'),
        plural(a.processes, 'process', 'processes'),
        fmtBytes(a.rssPerProcessBytes),
        fmtBytes(a.rssBytes),
      ]),
    ],
  };
}

const TAKES_NOTE =
  'sync: ⌈N/T⌉ workers of T threads, at the RSS per worker measured (all processes ÷ W); async: as measured';

export function renderDecisionText(d: Decision): string {
  const memory = memoryRows(d);
  const out = ['', 'Memory', textTable(memory.header, memory.rows)];
  const w = shownScenario(d);
  if (w) {
    const t = takesRows(w);
    out.push('', `What it takes: ${w.vus} clients (${w.scenario}) at about the IO delay (${TAKES_NOTE})`);
    out.push(textTable(t.header, t.rows));
  }
  for (const c of d.cpuCeilings) out.push(c.text);
  out.push(`Option: ${d.option.text}`);
  return out.join('\n');
}

const esc = xmlEscape;

function htmlTable({ header, rows }: Rows): string {
  const tr = (cells: readonly string[], tag: 'th' | 'td') =>
    `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join('')}</tr>`;
  return `<table><thead>${tr(header, 'th')}</thead><tbody>${rows.map((r) => tr(r, 'td')).join('')}</tbody></table>`;
}

/** The report's section: the option first (the answer), then the figures behind it. */
export function renderDecisionHtml(
  d: Decision,
  card: (title: string, note: string, body: string) => string,
): string {
  const w = shownScenario(d);
  const ceilings = d.cpuCeilings.length
    ? `<ul class="checks">${d.cpuCeilings.map((c) => `<li>${esc(c.text)}</li>`).join('')}</ul>`
    : '<p class="muted small">No target filled the cores it can use: every one stayed within the theory’s IO-bound regime.</p>';
  return [
    card(
      'The option that meets the SLO',
      `Cheapest = fewest CPU-seconds per request, then lowest RSS, among the targets whose p95 met the SLO (${esc(d.option.sloRule)}) with under 1% errors.`,
      `<p><b>${esc(d.option.text)}</b></p>${ceilings}`,
    ),
    w
      ? card(
          `What it takes: ${w.vus} clients at about the IO delay`,
          esc(`${w.scenario}: ${TAKES_NOTE}.`),
          htmlTable(takesRows(w)),
        )
      : '',
    card(
      'Memory',
      'RSS of every process of each target, the maximum in each measurement window.',
      htmlTable(memoryRows(d)),
    ),
  ].join('\n');
}
