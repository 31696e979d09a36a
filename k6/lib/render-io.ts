// The IO each target actually waited, per request, as the upstream counted it (io-usage.ts):
// one block in the terminal table and one card in the report, shown only when the run read the
// upstream's usage. It is how a black-box target is seen to make the calls it should (one
// completion per /ask) and to wait the scenario's IO, and what its theory was held to.

import { fmtLatency, textTable } from './format.ts';
import { xmlEscape } from './junit.ts';
import type { Summary } from './summary.ts';

const HEADER = ['scenario', 'target', 'IO calls/request', 'IO wait/request', 'scenario IO'] as const;

function ioRows(summary: Summary): string[][] {
  const rows: string[][] = [];
  for (const s of summary.scenarios) {
    for (const [name, f] of Object.entries(s.servers)) {
      if (f.ioCallsPerRequest === undefined || f.ioSecondsPerRequest === undefined) continue;
      rows.push([
        s.name,
        name,
        f.ioCallsPerRequest.toFixed(2),
        fmtLatency(f.ioSecondsPerRequest * 1000),
        fmtLatency(s.meanServiceSeconds * 1000),
      ]);
    }
  }
  return rows;
}

const NOTE =
  'IO counted by the upstream per slot (calls answered in full, their waits summed), over every request k6 sent in the slot; a black-box target is held to the IO it measured.';

export function renderIoText(summary: Summary): string {
  const rows = ioRows(summary);
  return rows.length ? `\nIO per request, from the upstream\n${textTable(HEADER, rows)}\n${NOTE}` : '';
}

export function renderIoHtml(
  summary: Summary,
  card: (title: string, note: string, body: string) => string,
): string {
  const rows = ioRows(summary);
  if (!rows.length) return '';
  const cells = (r: readonly string[], tag: string) =>
    r.map((c) => `<${tag}>${xmlEscape(c)}</${tag}>`).join('');
  return card(
    'IO per request',
    xmlEscape(NOTE),
    `<table><thead><tr>${cells(HEADER, 'th')}</tr></thead><tbody>${rows.map((r) => `<tr>${cells(r, 'td')}</tr>`).join('')}</tbody></table>`,
  );
}
