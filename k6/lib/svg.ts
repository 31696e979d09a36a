// Grouped bar charts as inline SVG strings, so the HTML report needs no script, no library
// and no network. Pure string building.

import { xmlEscape } from './junit.ts';

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: readonly (number | null)[];
  /** Optional extra marks per bar (e.g. p95 and p99 above a p50 bar), drawn as ticks. */
  readonly marks?: readonly (readonly (number | null)[])[];
  /** Draw the bar hollow (for reference values such as the theory). */
  readonly hollow?: boolean;
}

export interface BarChart {
  readonly title: string;
  readonly categories: readonly string[];
  readonly series: readonly Series[];
  readonly format: (v: number) => string;
  /** Shorter text for the value printed above each bar; default `format`. */
  readonly label?: (v: number) => string;
  readonly log?: boolean;
  readonly width?: number;
  readonly height?: number;
  /** Legend text for the marks, e.g. "ticks: p95, p99". */
  readonly marksLabel?: string;
}

const round = (v: number): number => Math.round(v * 10) / 10;

/** 1, 2, 5 × 10^k steps: a linear axis with about five gridlines. */
function niceStep(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/** One legend entry: its width (advance) and its SVG drawn with the text baseline at y. */
interface LegendEntry {
  readonly width: number;
  draw(x: number, y: number): string[];
}

const LEGEND_ROW = 16;

/** Legend entries left to right from `left`, wrapping to a new row before `maxX`. */
function legend(
  entries: readonly LegendEntry[],
  left: number,
  maxX: number,
): { parts: string[]; rows: number } {
  const parts: string[] = [];
  let x = left;
  let row = 0;
  for (const e of entries) {
    // The advance ends in a gap that may stand past the edge; the entry itself may not.
    if (x > left && x + e.width - 12 > maxX) {
      row++;
      x = left;
    }
    parts.push(...e.draw(x, 20 + row * LEGEND_ROW));
    x += e.width;
  }
  return { parts, rows: row + 1 };
}

const mutedEntry = (text: string): LegendEntry => ({
  width: text.length * 7 + 12,
  draw: (x, y) => [`<text x="${x}" y="${y}" class="legend muted">${xmlEscape(text)}</text>`],
});

export function barChart(chart: BarChart): string {
  const width = chart.width ?? 560;
  const height = chart.height ?? 310;
  const left = 64;
  const right = 12;
  const key = legend(
    [
      ...chart.series.map(
        (s): LegendEntry => ({
          width: 16 + s.name.length * 7 + 18,
          draw: (x, y) => [
            s.hollow
              ? `<rect x="${x}" y="${y - 10}" width="12" height="12" fill="none" stroke="${s.color}" stroke-width="2" stroke-dasharray="3 2"/>`
              : `<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${s.color}"/>`,
            `<text x="${x + 16}" y="${y}" class="legend">${xmlEscape(s.name)}</text>`,
          ],
        }),
      ),
      ...(chart.marksLabel ? [mutedEntry(chart.marksLabel)] : []),
    ],
    left,
    width - right,
  );
  const top = 34 + (key.rows - 1) * LEGEND_ROW;
  const plotW = width - left - right;
  const groupW = plotW / Math.max(1, chart.categories.length);
  // A category may carry a second line (e.g. "medium\n10 × 100 ms"), set smaller below; where
  // the groups are too narrow for it (many scenarios), it breaks after the "×".
  const subLines = chart.categories.map((cat) => {
    const sub = cat.split('\n')[1];
    if (!sub) return [];
    return sub.length * 6 > groupW - 4 ? sub.replace(' × ', ' ×\n').split('\n') : [sub];
  });
  const bottom = 40 + (Math.max(1, ...subLines.map((l) => l.length)) - 1) * 12;
  const plotH = height - top - bottom;
  const all: number[] = [];
  for (const s of chart.series) {
    for (const v of s.values) if (v !== null && Number.isFinite(v) && v > 0) all.push(v);
    for (const m of s.marks ?? [])
      for (const v of m) if (v !== null && Number.isFinite(v) && v > 0) all.push(v);
  }
  const dataMax = all.length ? Math.max(...all) : 1;
  const dataMin = all.length ? Math.min(...all) : 1;

  let y: (v: number) => number;
  const grid: number[] = [];
  if (chart.log) {
    const lo = 10 ** Math.floor(Math.log10(dataMin));
    const hi = 10 ** Math.ceil(Math.log10(dataMax * 1.15));
    const span = Math.log10(hi) - Math.log10(lo) || 1;
    y = (v) => top + plotH - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * plotH;
    for (let g = lo; g <= hi * 1.0001; g *= 10) grid.push(g);
  } else {
    const step = niceStep(dataMax * 1.15);
    const hi = Math.ceil((dataMax * 1.15) / step) * step;
    y = (v) => top + plotH - (Math.max(0, v) / hi) * plotH;
    for (let g = 0; g <= hi * 1.0001; g += step) grid.push(g);
  }
  const base = top + plotH;

  const parts: string[] = [];
  parts.push(
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${xmlEscape(chart.title)}">`,
  );
  parts.push(`<title>${xmlEscape(chart.title)}</title>`);
  for (const g of grid) {
    const gy = round(y(g));
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${gy}" y2="${gy}" class="grid"/>`);
    parts.push(
      `<text x="${left - 6}" y="${gy + 4}" class="axis" text-anchor="end">${xmlEscape(chart.format(g))}</text>`,
    );
  }
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${base}" y2="${base}" class="baseline"/>`);

  const barW = (groupW * 0.8) / Math.max(1, chart.series.length);
  chart.categories.forEach((cat, ci) => {
    const gx = left + ci * groupW;
    const head = cat.split('\n')[0];
    const cx = round(gx + groupW / 2);
    parts.push(
      `<text x="${cx}" y="${base + 16}" class="cat" text-anchor="middle">${xmlEscape(head || '')}</text>`,
    );
    (subLines[ci] ?? []).forEach((line, li) => {
      parts.push(
        `<text x="${cx}" y="${base + 30 + li * 12}" class="axis" text-anchor="middle">${xmlEscape(line)}</text>`,
      );
    });
    chart.series.forEach((s, si) => {
      const v = s.values[ci];
      const x = gx + groupW * 0.1 + si * barW;
      if (v === null || v === undefined || !Number.isFinite(v)) {
        parts.push(
          `<text x="${round(x + barW / 2)}" y="${base - 4}" class="na" text-anchor="middle">n/a</text>`,
        );
        return;
      }
      const by = y(v);
      const fill = s.hollow
        ? `fill="none" stroke="${s.color}" stroke-width="2" stroke-dasharray="4 2"`
        : `fill="${s.color}"`;
      parts.push(
        `<rect x="${round(x + 1)}" y="${round(by)}" width="${round(Math.max(1, barW - 2))}" height="${round(Math.max(0, base - by))}" ${fill}><title>${xmlEscape(`${cat} · ${s.name}: ${chart.format(v)}`)}</title></rect>`,
      );
      let labelY = by - 4;
      for (const mark of s.marks ?? []) {
        const mv = mark[ci];
        if (mv === null || mv === undefined || !Number.isFinite(mv)) continue;
        const my = round(y(mv));
        parts.push(
          `<line x1="${round(x + barW / 2)}" x2="${round(x + barW / 2)}" y1="${round(by)}" y2="${my}" stroke="${s.color}" stroke-width="1"/>`,
        );
        parts.push(
          `<line x1="${round(x + barW * 0.2)}" x2="${round(x + barW * 0.8)}" y1="${my}" y2="${my}" stroke="${s.color}" stroke-width="2"/>`,
        );
        labelY = Math.min(labelY, my - 4);
      }
      if (barW >= 18) {
        const label = (chart.label ?? chart.format)(v);
        parts.push(
          `<text x="${round(x + barW / 2)}" y="${round(labelY)}" class="val" text-anchor="middle">${xmlEscape(label)}</text>`,
        );
      }
    });
  });

  // Legend along the top, in as many rows as it needs.
  parts.push(...key.parts);
  parts.push('</svg>');
  return parts.join('\n');
}

export interface LineSeries {
  readonly name: string;
  readonly color: string;
  /** [x, y] points; null y leaves a gap. */
  readonly points: readonly (readonly [number, number | null])[];
  /** Dashed, for a theory line. */
  readonly dashed?: boolean;
  /** x values whose marker is drawn hollow (e.g. points the load generator limited). */
  readonly hollowAt?: readonly number[];
}

export interface LineChart {
  readonly title: string;
  readonly series: readonly LineSeries[];
  readonly formatX: (v: number) => string;
  readonly formatY: (v: number) => string;
  readonly xLabel: string;
  readonly width?: number;
  readonly height?: number;
  /** Legend note, e.g. "hollow: generator-bound". */
  readonly note?: string;
}

/** Decades from below `min` to above `max`, with 2 and 5 between them when few decades. */
function logTicks(min: number, max: number): { lo: number; hi: number; ticks: number[] } {
  const lo = 10 ** Math.floor(Math.log10(min));
  const hi = 10 ** Math.ceil(Math.log10(max));
  const decades = Math.round(Math.log10(hi / lo));
  const ticks: number[] = [];
  for (let g = lo; g <= hi * 1.0001; g *= 10) {
    ticks.push(g);
    if (decades <= 3 && g * 2 <= hi) ticks.push(g * 2, g * 5);
  }
  return { lo, hi, ticks: ticks.filter((t) => t <= hi * 1.0001).sort((a, b) => a - b) };
}

/** Lines on log–log axes: curves over N with the theory drawn dashed beside them. */
export function lineChart(chart: LineChart): string {
  const width = chart.width ?? 560;
  const height = chart.height ?? 320;
  const left = 64;
  const right = 12;
  const key = legend(
    [
      ...chart.series.map(
        (s): LegendEntry => ({
          width: 18 + s.name.length * 7 + 14,
          draw: (x, y) => [
            `<line x1="${x}" x2="${x + 14}" y1="${y - 4}" y2="${y - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 2"' : ''}/>`,
            `<text x="${x + 18}" y="${y}" class="legend">${xmlEscape(s.name)}</text>`,
          ],
        }),
      ),
      ...(chart.note ? [mutedEntry(chart.note)] : []),
    ],
    left,
    width - right,
  );
  const top = 34 + (key.rows - 1) * LEGEND_ROW;
  const bottom = 40;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of chart.series)
    for (const [x, y] of s.points) {
      if (x > 0) xs.push(x);
      if (y !== null && Number.isFinite(y) && y > 0) ys.push(y);
    }
  const xr = logTicks(xs.length ? Math.min(...xs) : 1, xs.length ? Math.max(...xs) : 10);
  const yr = logTicks(ys.length ? Math.min(...ys) : 1, ys.length ? Math.max(...ys) : 10);
  const sx = (v: number) =>
    left + ((Math.log10(v) - Math.log10(xr.lo)) / Math.log10(xr.hi / xr.lo || 10)) * plotW;
  const sy = (v: number) =>
    top + plotH - ((Math.log10(v) - Math.log10(yr.lo)) / Math.log10(yr.hi / yr.lo || 10)) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${xmlEscape(chart.title)}">`,
  );
  parts.push(`<title>${xmlEscape(chart.title)}</title>`);
  for (const g of yr.ticks) {
    const gy = round(sy(g));
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${gy}" y2="${gy}" class="grid"/>`);
    parts.push(
      `<text x="${left - 6}" y="${gy + 4}" class="axis" text-anchor="end">${xmlEscape(chart.formatY(g))}</text>`,
    );
  }
  for (const g of xr.ticks) {
    const gx = round(sx(g));
    parts.push(`<line x1="${gx}" x2="${gx}" y1="${top}" y2="${top + plotH}" class="grid"/>`);
    parts.push(
      `<text x="${gx}" y="${top + plotH + 16}" class="axis" text-anchor="middle">${xmlEscape(chart.formatX(g))}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotW / 2}" y="${height - 6}" class="axis" text-anchor="middle">${xmlEscape(chart.xLabel)}</text>`,
  );
  for (const s of chart.series) {
    const segs: string[] = [];
    let pen = 'M';
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y) || y <= 0 || x <= 0) {
        pen = 'M';
        continue;
      }
      segs.push(`${pen}${round(sx(x))},${round(sy(y))}`);
      pen = 'L';
    }
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    parts.push(`<path d="${segs.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    if (s.dashed) continue;
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y) || y <= 0 || x <= 0) continue;
      const hollow = s.hollowAt?.includes(x);
      parts.push(
        `<circle cx="${round(sx(x))}" cy="${round(sy(y))}" r="3.5" ${hollow ? `fill="#fff" stroke="${s.color}" stroke-width="2"` : `fill="${s.color}"`}><title>${xmlEscape(`${s.name} · ${chart.formatX(x)}: ${chart.formatY(y)}${hollow ? ' (generator-bound)' : ''}`)}</title></circle>`,
      );
    }
  }
  parts.push(...key.parts);
  parts.push('</svg>');
  return parts.join('\n');
}
