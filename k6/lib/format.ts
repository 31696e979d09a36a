// Number formatting shared by the terminal table, the HTML report and the JUnit file.

export const NA = 'n/a';

/** Milliseconds as `502 ms` or `5.01 s`. */
export function fmtLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NA;
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function fmtSpeedup(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NA;
  return `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}x`;
}

export function fmtNumber(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NA;
  return x.toFixed(digits);
}

export function fmtPercent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NA;
  return `${(x * 100).toFixed(digits)}%`;
}

export function fmtSeconds(s: number): string {
  return `${+s.toFixed(3)} s`;
}

export function fmtBytes(b: number | null | undefined): string {
  if (b === null || b === undefined || !Number.isFinite(b)) return NA;
  return `${(b / 1024 / 1024).toFixed(0)} MiB`;
}

/** A plain-text table: first column left-aligned, the rest right-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] || '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] || 0) : c.padStart(widths[i] || 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}
