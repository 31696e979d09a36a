// JUnit XML from the summary's checks, one testcase per claim (k6 threshold or speedup
// check), so a CI test report names what broke. Probes and fidelity notes are left out.

import type { Check } from './checks.ts';
import type { Summary } from './summary.ts';

export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function suite(name: string, checks: readonly Check[], timestamp: string): string {
  const failed = checks.filter((c) => !c.ok).length;
  const cases = checks.map((c) => {
    const classname = xmlEscape(`k6.${c.scenario ?? 'suite'}.${c.server ?? 'all'}`);
    const open = `    <testcase classname="${classname}" name="${xmlEscape(c.name)}" time="0"`;
    if (c.ok) return `${open}/>`;
    return `${open}>\n      <failure message="${xmlEscape(c.message)}" type="${c.kind}">${xmlEscape(c.message)}</failure>\n    </testcase>`;
  });
  return [
    `  <testsuite name="${xmlEscape(name)}" tests="${checks.length}" failures="${failed}" errors="0" skipped="0" timestamp="${xmlEscape(timestamp)}">`,
    ...cases,
    '  </testsuite>',
  ].join('\n');
}

export function renderJunit(summary: Summary): string {
  const thresholds = summary.checks.filter((c) => c.kind === 'threshold');
  const speedups = summary.checks.filter((c) => c.kind === 'speedup');
  const all = thresholds.length + speedups.length;
  const failed = [...thresholds, ...speedups].filter((c) => !c.ok).length;
  const stamp = summary.generatedAt.replace(/\.\d+Z$/, '');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="k6 io-benchmark" tests="${all}" failures="${failed}">`,
    suite('k6 thresholds', thresholds, stamp),
    suite('speedup vs theory', speedups, stamp),
    '</testsuites>',
    '',
  ].join('\n');
}
