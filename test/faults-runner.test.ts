// Faults on the measuring side: the metrics store going away in the middle of a run must cost
// the user the live dashboards, never the run or its local results.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Summary } from '../k6/lib/summary.ts';
import { findOnPath } from '../scripts/k6-run.ts';
import { influxdSkipReason, type RunningInfluxDB, startInfluxDB } from './helpers/influxdb.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const k6 = findOnPath('k6');
const skip = k6 ? influxdSkipReason() : 'skipped: k6 is not on PATH (install k6 to run it)';

/** Polls until `probe` is true; a fault is injected only once the run has really begun. */
async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('InfluxDB stopped in the middle of a k6 run', { skip }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-influx-fault-'));
  let influx: RunningInfluxDB | undefined;
  after(async () => {
    await influx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('k6 finishes, exits 0 and leaves its local results whole', { timeout: 120_000 }, async () => {
    influx = await startInfluxDB();
    const db = influx;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/k6-run.ts', '--smoke', '--start', '--scenarios', 'baseline,low'],
      {
        cwd: ROOT,
        env: Object.assign({}, process.env, { RESULTS_DIR: dir, INFLUXDB_URL: db.k6Url, TIME_SCALE: '' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b;
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    // Streaming had begun: IO samples of the first slot are in the database ...
    await waitFor(
      async () => {
        const res = await db.query(`SELECT count("value") FROM "http_req_duration" WHERE "name"='/io'`);
        return (res.series?.[0]?.values[0]?.[1] as number | undefined) !== undefined;
      },
      60_000,
      'the first k6 samples in InfluxDB',
    );
    // ... then the database dies while the suite still has slots to run.
    await db.stop();
    influx = undefined;

    const code = await exited;
    assert.equal(code, 0, out.slice(-3000));
    for (const file of ['summary.json', 'report.html', 'junit.xml'])
      assert.ok(existsSync(path.join(dir, file)), `${file} written`);
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;
    assert.deepEqual(
      summary.scenarios.map((s) => s.name),
      ['baseline', 'low'],
    );
    for (const sc of summary.scenarios) {
      for (const [server, figures] of Object.entries(sc.servers)) {
        assert.ok((figures?.completed ?? 0) > 0, `${sc.name}/${server} measured after the outage`);
      }
    }
  });
});
