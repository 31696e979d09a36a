// npm test and its parts: `test:unit` (pure modules, seconds), `test:servers` (real server
// processes on free ports), `test:e2e` (k6, InfluxDB, the runner). A developer runs the unit
// part in a loop; npm test runs all three, one file at a time as before (the server and k6
// tests measure timing and must not share the 2 cores with each other).
//
//   node --import tsx scripts/run-tests.ts unit [servers] [e2e]

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type TestGroup = 'unit' | 'servers' | 'e2e';

const SERVERS = /^(servers-|fuzz-servers|faults-servers|proc-tree|upstream-apis|black-box-targets|examples)/;
const E2E =
  /^(k6-e2e|k6-mix-e2e|k6-workers|k6-runner|k6-distributed|k6-summary-data|k6-operator|k6-bundle|faults-runner|grafana-influx)\./;

/** Which group a test file belongs to: a file that starts nothing is a unit test. */
export function groupOf(file: string): TestGroup {
  const name = path.basename(file);
  if (E2E.test(name)) return 'e2e';
  if (SERVERS.test(name)) return 'servers';
  return 'unit';
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export function testFiles(groups: readonly TestGroup[]): string[] {
  return readdirSync(path.join(ROOT, 'test'))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => `test/${f}`)
    .filter((f) => groups.includes(groupOf(f)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const groups = process.argv.slice(2) as TestGroup[];
  const unknown = groups.filter((g) => !['unit', 'servers', 'e2e'].includes(g));
  if (groups.length === 0 || unknown.length > 0) {
    console.error(`unknown test group ${unknown[0] ?? '(none)'}; usage: run-tests.ts unit|servers|e2e ...`);
    process.exit(2);
  }
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', ...testFiles(groups)],
    { cwd: ROOT, stdio: 'inherit' },
  );
  process.exit(run.status ?? 1);
}
