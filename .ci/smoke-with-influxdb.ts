// The k6 smoke as the workflow runs it: into a real InfluxDB (started here on a free port
// with a temporary data directory), then the summary rebuilt from InfluxDB's samples by the
// run's testid. Exits with the first failing step's code, so .ci/run fails on either.

import { spawnSync } from 'node:child_process';
import { startInfluxDB } from '../test/helpers/influxdb.ts';

const testid = `ci-local-${process.pid}`;
const influx = await startInfluxDB();
const run = (args: string[]): number => {
  const env = Object.assign({}, process.env, { INFLUXDB_URL: influx.k6Url, TESTID: testid });
  return spawnSync('npm', args, { stdio: 'inherit', env }).status ?? 1;
};
let code = 1;
try {
  code = run(['run', 'k6:smoke']);
  if (code === 0)
    code = run(['run', 'report', '--', '--testid', testid, '--results-dir', 'results/from-influxdb']);
} finally {
  await influx.stop();
}
process.exit(code);
