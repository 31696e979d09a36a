// The last stage of the results pipeline: every output file of a run as a map of path -> text,
// in the shape k6's handleSummary returns (`stdout` is the terminal's). The suite returns it to
// k6, `npm run report` and the runner hand it to scripts/write-artifacts.ts: each file is named
// and rendered here only.

import { renderJunit } from './junit.ts';
import type { MixResult } from './mix.ts';
import { renderReport } from './report.ts';
import { renderMixReport, renderMixSection, renderMixTable } from './report-mix.ts';
import { renderSweepReport, renderSweepSection, renderSweepTable } from './report-sweep.ts';
import type { Summary } from './summary.ts';
import type { SweepResult } from './sweep.ts';
import { renderTable } from './table.ts';

export type Artifacts = Record<string, string>;

/** The files a run leaves in its results directory. */
export const FILES = {
  summary: 'summary.json',
  sweep: 'sweep.json',
  mix: 'mix.json',
  report: 'report.html',
  junit: 'junit.xml',
  k6Data: 'k6-data.json',
} as const;

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/**
 * summary.json, report.html (with the last sweep's and mix sweep's sections when there are),
 * junit.xml and the table.
 */
export function summaryArtifacts(
  dir: string,
  summary: Summary,
  sweep?: SweepResult,
  mix?: MixResult,
): Artifacts {
  const sections = (sweep ? renderSweepSection(sweep) : '') + (mix ? renderMixSection(mix) : '');
  return {
    [`${dir}/${FILES.summary}`]: json(summary),
    [`${dir}/${FILES.report}`]: renderReport(summary, sections),
    [`${dir}/${FILES.junit}`]: renderJunit(summary),
    stdout: renderTable(summary),
  };
}

/** sweep.json, its report.html and its table. */
export function sweepArtifacts(dir: string, sweep: SweepResult): Artifacts {
  return {
    [`${dir}/${FILES.sweep}`]: json(sweep),
    [`${dir}/${FILES.report}`]: renderSweepReport(sweep),
    stdout: renderSweepTable(sweep),
  };
}

/** mix.json, its report.html and its table. */
export function mixArtifacts(dir: string, mix: MixResult): Artifacts {
  return {
    [`${dir}/${FILES.mix}`]: json(mix),
    [`${dir}/${FILES.report}`]: renderMixReport(mix),
    stdout: renderMixTable(mix),
  };
}

/** The raw end-of-test data, for anyone who wants a figure the summary does not carry. */
export const k6DataArtifact = (dir: string, data: unknown): Artifacts => ({
  [`${dir}/${FILES.k6Data}`]: JSON.stringify(data),
});

/** `dir/{summary.json,report.html,junit.xml}`: the files of a map, for a log line. */
export function listFiles(dir: string, artifacts: Artifacts): string {
  const names = Object.keys(artifacts)
    .filter((key) => key.startsWith(`${dir}/`))
    .map((key) => key.slice(dir.length + 1));
  return `${dir}/{${names.join(',')}}`;
}
