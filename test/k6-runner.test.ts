import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SPEEDUP_MAX_FRACTION, SPEEDUP_MIN_FRACTION } from '../k6/lib/speedup.ts';
import type { Summary } from '../k6/lib/summary.ts';
import { DEFAULT_TARGETS, SCENARIOS } from '../lib/registry.ts';
import { influxOutput } from '../scripts/influx-output.ts';
import { findOnPath, K6_MISSING_EXIT } from '../scripts/k6-process.ts';
import { parseArgs } from '../scripts/k6-run.ts';
import { parseReportArgs } from '../scripts/report.ts';
import { spawnRunner } from './helpers/runner.ts';
import { closedPort } from './helpers/servers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNNER = ['--import', 'tsx', 'scripts/k6-run.ts'];
const k6 = findOnPath('k6');

describe('k6 runner', () => {
  it('without k6 on PATH: one clear message, how to install or use docker, exit 2, no stack', () => {
    const res = spawnSync(process.execPath, RUNNER, {
      cwd: ROOT,
      encoding: 'utf8',
      env: Object.assign({}, process.env, { PATH: '/nonexistent' }),
    });
    assert.equal(res.status, K6_MISSING_EXIT);
    assert.match(res.stderr, /k6 is not installed/);
    assert.match(res.stderr, /docker compose run --rm k6/);
    assert.doesNotMatch(res.stderr, /\n\s+at /);
  });

  it('keeps results local when InfluxDB does not answer', async () => {
    const port = await closedPort();
    assert.equal(await influxOutput({ INFLUXDB_URL: `http://127.0.0.1:${port}/k6` }), null);
  });
});

// The end-to-end run: the real servers, started on free ports by the runner, the real k6.
describe('command-line arguments (k6-run, report)', () => {
  it('take switches, `--flag value` and `--flag=value`', () => {
    const args = parseArgs([
      '--smoke',
      '--targets',
      'express,flask',
      '--reference=flask',
      '--instances',
      '2',
    ]);
    assert.equal(args.smoke, true);
    assert.equal(args.sweep, false);
    assert.equal(args.targets, 'express,flask');
    assert.equal(args.reference, 'flask');
    assert.equal(args.instances, 2);
    assert.deepEqual(parseReportArgs(['--testid=a=b', '--results-dir', 'out']), {
      testid: 'a=b',
      resultsDir: 'out',
    });
  });

  it('refuse a mistake with one line that names it and shows the usage', () => {
    const refused: [string[], RegExp][] = [
      [['--smok'], /unknown argument --smok; usage: npm run k6:stress -- /],
      [['smoke'], /unknown argument smoke; usage:/],
      [['--targets'], /--targets needs a value; usage:/],
      [['--targets', '--smoke'], /--targets needs a value; usage:/],
      [['--smoke=yes'], /--smoke takes no value; usage:/],
      [['--instances', 'two'], /--instances must be a whole number from 1 to 64, got two$/],
      [['--instances=0'], /--instances must be a whole number from 1 to 64, got 0$/],
    ];
    for (const [argv, message] of refused) assert.throws(() => parseArgs(argv), message, argv.join(' '));
    assert.throws(() => parseReportArgs(['--testid']), /--testid needs a value; usage: npm run report -- /);
    assert.throws(
      () => parseReportArgs(['--instances', '2']),
      /unknown argument --instances; usage: npm run report/,
    );
  });
});

describe('k6:smoke end to end', {
  skip: k6 ? false : 'skipped: k6 is not on PATH (install k6 to run it)',
}, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-smoke-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the five scenarios on every server and matches the theory', {
    timeout: 240_000,
  }, async () => {
    const port = await closedPort();
    // No limit on the run's wall time (a busy machine makes a correct run slower): the runner
    // prints it, and what the run measured is asserted below.
    const run = spawnRunner(['--smoke', '--start'], {
      RESULTS_DIR: dir,
      INFLUXDB_URL: `http://127.0.0.1:${port}/k6`,
      TIME_SCALE: '',
      SCENARIOS: '',
    });
    const code = await run.exited;
    const out = run.output();
    assert.equal(code, 0, out.slice(-4000));
    assert.match(out, new RegExp(`InfluxDB not reachable at http://127.0.0.1:${port}: results stay local`));
    assert.match(out, /Recommendation: /);

    for (const file of ['summary.json', 'report.html', 'junit.xml'])
      assert.ok(existsSync(path.join(dir, file)), file);
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;
    assert.ok(summary.syncWorkers >= 1);
    assert.deepEqual(
      summary.scenarios.map((s) => s.name),
      SCENARIOS.filter((s) => !s.optIn).map((s) => s.name),
    );
    for (const sc of summary.scenarios) {
      for (const name of DEFAULT_TARGETS)
        assert.ok((sc.servers[name]?.completed ?? 0) > 0, `${sc.name}/${name}`);
      for (const [name, sp] of Object.entries(sc.speedup)) {
        for (const ratio of [sp?.latencyVsTheory, sp?.throughputVsTheory]) {
          assert.ok(
            ratio !== null &&
              ratio !== undefined &&
              ratio >= SPEEDUP_MIN_FRACTION &&
              ratio <= SPEEDUP_MAX_FRACTION,
            `${sc.name}/${name}: ${ratio} of theory`,
          );
        }
      }
    }
    assert.equal(summary.passed, true);
  });
});

describe('k6 runner on SIGTERM', {
  skip: k6 ? false : 'skipped: k6 is not on PATH (install k6 to run it)',
}, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-sigterm-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stops k6 gracefully, keeps the results of what ran and stops the servers it started', {
    timeout: 120_000,
  }, async () => {
    const child = spawn(process.execPath, [...RUNNER, '--scenarios', 'medium', '--start'], {
      cwd: ROOT,
      env: Object.assign({}, process.env, {
        RESULTS_DIR: dir,
        TIME_SCALE: '0.3',
        INFLUXDB_URL: 'http://127.0.0.1:1/k6',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (b: Buffer) => {
      out += b;
      // Once the second slot has begun, the first one (express) is complete.
      if (out.includes('slot 2/3 medium/koa') && child.exitCode === null && !child.killed)
        child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 143, out.slice(-3000));
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;
    assert.ok((summary.scenarios[0]?.servers.express?.completed ?? 0) > 0);
    const urls = [...out.matchAll(/(?:express|koa|fastify|upstream) (http:\/\/127\.0\.0\.1:\d+)/g)].map(
      (m) => m[1],
    );
    assert.ok(urls.length >= 4, out);
    for (const url of urls) {
      await assert.rejects(
        fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }),
        `${url} still answers`,
      );
    }
  });
});
