// The two shapes of k6's end-of-test data. The legacy one is the recorded k6 v0.49.0 run of
// k6-summary.test.ts. The machine-readable one (k6 v1.5+, K6_NEW_MACHINE_READABLE_SUMMARY)
// is that same run's root metrics put through k6 v2.2.0's own conversion
// (internal/lib/summary/machine_readable.go, ToMachineReadable, compact summary mode), with
// the field names and nesting k6's TestMachineReadableSummary expects of handleSummary's
// argument (internal/cmd/tests/cmd_run_test.go): test/fixtures/k6-summary-data.machine-readable.json.
// With k6 on PATH, the bundle itself is run with the machine-readable summary asked for.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  MACHINE_READABLE_ENV,
  machineReadableRequested,
  readSummaryData,
  summaryRefusal,
  summaryShape,
} from '../k6/lib/k6-summary-data.ts';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const legacy = fixture('k6-summary-data.smoke-w2.json');
const machineReadable = fixture('k6-summary-data.machine-readable.json') as {
  results: { metrics: { name: string; values: Record<string, number> }[] };
};

describe('k6 end-of-test data shapes', () => {
  it('reads the legacy shape as it is', () => {
    assert.equal(summaryShape(legacy), 'legacy');
    const read = readSummaryData(legacy);
    assert.ok('data' in read);
    assert.equal(read.data, legacy);
  });

  it('refuses the machine-readable shape in one line that names the k6 and the way out', () => {
    assert.equal(summaryShape(machineReadable), 'machine-readable');
    const refusal = summaryRefusal(machineReadable) ?? '';
    assert.doesNotMatch(refusal, /\n/);
    assert.match(refusal, /^k6 2\.2\.0 handed handleSummary its machine-readable summary/);
    assert.match(refusal, new RegExp(`${MACHINE_READABLE_ENV}.*run without it$`));
    assert.deepEqual(readSummaryData(machineReadable), { refusal });
  });

  it('refuses for a reason: the shape lacks the per-slot sub-metrics and p99 the summary is built from', () => {
    const names = machineReadable.results.metrics.map((m) => m.name);
    assert.ok(names.includes('http_req_duration'));
    assert.ok(names.every((n) => !n.includes('{')));
    const duration = machineReadable.results.metrics.find((m) => m.name === 'http_req_duration');
    assert.equal(duration?.values['p(99)'], undefined);
    const keys = Object.keys((legacy as { metrics: object }).metrics);
    assert.ok(keys.some((k) => k.startsWith('http_req_duration{')));
  });

  it('refuses anything else, naming what it got', () => {
    assert.equal(summaryShape({ foo: 1 }), 'unknown');
    assert.equal(
      summaryRefusal({ foo: 1, bar: 2 }),
      'handleSummary got no k6 metrics object (keys: foo, bar): no summary written',
    );
    assert.match(summaryRefusal(null) ?? '', /keys: object/);
    assert.equal(summaryShape({ metrics: [] }), 'unknown');
  });

  it("reads the environment variable as k6 does (Go's ParseBool)", () => {
    for (const value of ['1', 't', 'T', 'TRUE', 'true', 'True']) {
      assert.match(machineReadableRequested({ [MACHINE_READABLE_ENV]: value }) ?? '', /unset it$/, value);
    }
    for (const value of [undefined, '', '0', 'false', 'no', 'yes']) {
      assert.equal(machineReadableRequested({ [MACHINE_READABLE_ENV]: value }), null, String(value));
    }
  });
});

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const probe = spawnSync('k6', ['version'], { encoding: 'utf8' });
const k6 = probe.status === 0 ? 'k6' : null;
const version = k6 ? /v(\d+)\.(\d+)/.exec(probe.stdout) : null;
const hasNewSummary = version
  ? Number(version[1]) > 1 || (Number(version[1]) === 1 && Number(version[2]) >= 5)
  : false;

describe('the bundle asked for the machine-readable summary', { skip: k6 ? false : 'k6 not on PATH' }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-summary-shape-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // No server answers here: a setup() that got past the refusal fails on the first /health.
  const closed = 'http://127.0.0.1:9';
  const run = (args: string[], env: Record<string, string>) => {
    const build = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    const targets = ['-e', `EXPRESS_URL=${closed}`, '-e', `KOA_URL=${closed}`, '-e', `FASTIFY_URL=${closed}`];
    return spawnSync(
      k6 as string,
      [
        'run',
        '--quiet',
        '-e',
        `RESULTS_DIR=${dir}`,
        '-e',
        'SYNC_WORKERS=2',
        ...targets,
        ...args,
        'dist/suite.js',
      ],
      { cwd: ROOT, encoding: 'utf8', env: Object.assign({}, process.env, env), timeout: 120_000 },
    );
  };

  it(`stops in setup() with one line and a non-zero exit when ${MACHINE_READABLE_ENV}=true`, () => {
    const res = run([], { [MACHINE_READABLE_ENV]: 'true' });
    assert.equal(res.status, 108, res.stderr);
    const lines = res.stderr
      .split('\n')
      .filter((l) => l.includes('asks k6 for its machine-readable summary'));
    assert.equal(lines.length, 1, res.stderr);
    assert.doesNotMatch(res.stderr, /at setup \(/);
    // k6 before v1.5 ignores the variable and hands handleSummary the legacy shape.
    if (hasNewSummary) assert.ok(!existsSync(path.join(dir, 'summary.json')));
  });

  it('writes no summary.json and says why when --new-machine-readable-summary is given', {
    skip: hasNewSummary ? false : `k6 ${version?.[0] ?? '?'} has no machine-readable summary (v1.5+)`,
  }, () => {
    const res = run(['--new-machine-readable-summary'], {});
    assert.match(res.stderr, /^k6 \S+ handed handleSummary its machine-readable summary .*run without it$/m);
    assert.ok(!existsSync(path.join(dir, 'summary.json')));
  });
});
