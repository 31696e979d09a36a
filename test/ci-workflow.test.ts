// The GitHub workflow is run by GitHub, not here: this reads it for what the project promises
// of it (least privilege, a timeout, one run per branch, the smoke suite on the oldest and the
// newest k6, results and JUnit kept), so an edit cannot drop one unnoticed.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  'timeout-minutes'?: number;
  permissions?: Record<string, string>;
  needs?: string;
  strategy?: { matrix?: Record<string, unknown[]> };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, Job>;
}

const workflow = parse(
  readFileSync(new URL('../.github/workflows/k6.yml', import.meta.url), 'utf8'),
) as Workflow;
const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');
const uses = (job: Job) => job.steps.map((s) => s.uses ?? '');

describe('.github/workflows/k6.yml', () => {
  it('runs on push and pull request, one run per branch at a time', () => {
    assert.ok('push' in workflow.on && 'pull_request' in workflow.on);
    assert.match(workflow.concurrency.group, /github\.ref/);
    assert.equal(workflow.concurrency['cancel-in-progress'], true);
  });

  it('grants only read access by default, and checks: write only where the JUnit report is published', () => {
    assert.deepEqual(workflow.permissions, { contents: 'read' });
    for (const [name, job] of Object.entries(workflow.jobs)) {
      const publishes = uses(job).some((u) => u.startsWith('mikepenz/action-junit-report'));
      assert.equal(job.permissions?.checks === 'write', publishes, name);
    }
  });

  it('gives every job a timeout', () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      assert.ok((job['timeout-minutes'] ?? 0) > 0 && (job['timeout-minutes'] ?? 0) <= 30, name);
    }
  });

  it('installs, tests, then runs the k6 smoke suite on k6 0.49.0 and the latest k6', () => {
    const test = workflow.jobs.test as Job;
    assert.match(runs(test), /npm ci[\s\S]*npm test/);
    const smoke = workflow.jobs.smoke as Job;
    assert.equal(smoke.needs, 'test');
    assert.deepEqual(smoke.strategy?.matrix?.k6, ['0.49.0', '']);
    assert.ok(uses(smoke).some((u) => u.startsWith('grafana/setup-k6-action@')));
    assert.match(runs(smoke), /npm ci[\s\S]*npm run k6:smoke/);
  });

  it('keeps results/ as an artifact and publishes results/junit.xml, also when the smoke fails', () => {
    const smoke = workflow.jobs.smoke as Job;
    const upload = smoke.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    assert.equal(upload?.with?.path, 'results/');
    const junit = smoke.steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report@'));
    assert.equal(junit?.with?.report_paths, 'results/junit.xml');
    for (const step of [upload, junit]) assert.equal((step as { if?: string }).if, 'always()');
  });
});
