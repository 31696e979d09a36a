import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { groupOf, testFiles } from '../scripts/run-tests.ts';

/** What makes a test slow or dependent on the machine: processes, servers, k6, InfluxDB. */
const STARTS = /\b(useServers|startServers|startInfluxDB|spawnRunner|spawn|spawnSync|listen)\(/;

describe('test groups', () => {
  const all = testFiles(['unit', 'servers', 'e2e']);

  it('put every test file in one group', () => {
    assert.deepEqual([...testFiles(['unit']), ...testFiles(['servers']), ...testFiles(['e2e'])].sort(), all);
    assert.equal(groupOf('test/servers-routes.test.ts'), 'servers');
    assert.equal(groupOf('test/k6-e2e.test.ts'), 'e2e');
    assert.equal(groupOf('test/theory.test.ts'), 'unit');
  });

  it('keep test:unit pure: no unit test starts a process or a server', () => {
    for (const file of testFiles(['unit']))
      assert.doesNotMatch(
        readFileSync(file, 'utf8'),
        STARTS,
        `${file} starts processes: name it in SERVERS or E2E of scripts/run-tests.ts`,
      );
  });
});
