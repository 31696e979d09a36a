// The GitHub workflow is run by GitHub, not here: this reads it for what the project promises
// of it (least privilege, a timeout, one run per branch; the end-to-end tests and the smoke
// suite into InfluxDB on four k6 versions with k6 and InfluxDB installed in each job; the
// tests on every supported Node; results and JUnit kept), so an edit cannot drop one unnoticed.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { PYTHON_PACKAGES } from '../lib/registry.ts';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
type Combination = Record<string, unknown>;
interface Matrix {
  include?: Combination[];
  exclude?: Combination[];
  [axis: string]: unknown[] | undefined;
}
interface Job {
  'timeout-minutes'?: number;
  permissions?: Record<string, string>;
  needs?: string;
  env?: Record<string, string>;
  strategy?: { matrix?: Matrix };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, Job>;
}

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const workflow = parse(read('.github/workflows/k6.yml')) as Workflow;
const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');
const uses = (job: Job) => job.steps.map((s) => s.uses ?? '');

/** The jobs GitHub starts for a matrix: axes crossed, then `exclude`, then `include` (GitHub's rules). */
function combinations(matrix: Matrix | undefined): Combination[] {
  if (!matrix) return [{}];
  const { include = [], exclude = [], ...axes } = matrix;
  let out: Combination[] = [{}];
  for (const [axis, values] of Object.entries(axes)) {
    out = out.flatMap((c) => (values ?? []).map((v) => Object.assign({}, c, { [axis]: v })));
  }
  const matches = (c: Combination, part: Combination) => Object.keys(part).every((k) => c[k] === part[k]);
  out = out.filter((c) => !exclude.some((x) => matches(c, x)));
  for (const extra of include) {
    // Added to every combination whose original values it leaves alone, else a job of its own.
    const fits = out.filter((c) => Object.keys(axes).every((k) => !(k in extra) || c[k] === extra[k]));
    if (fits.length === 0) out.push(Object.assign({}, extra));
    for (const c of fits) Object.assign(c, extra);
  }
  return out;
}

/** A job that runs k6 or the tests that start k6 and InfluxDB. */
const runsEndToEnd = (job: Job) => /npm test|npm run k6:|npm run report/.test(runs(job));
const e2eJobs = Object.entries(workflow.jobs).filter(([, job]) => runsEndToEnd(job));
const jobsOf = (key: string) =>
  e2eJobs.flatMap(([, job]) => combinations(job.strategy?.matrix).map((c) => String(c[key])));

/** Installing the list, as .ci/run and every workflow job do. */
const DEBIAN_INSTALL = /grep -v '\^#' \.ci\/debian-packages\s*\|\s*xargs (sudo )?apt-get install/;

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

  it('runs the end-to-end tests on k6 0.49.0, 1.8.1, 2.2.0 and the latest k6', () => {
    assert.ok(e2eJobs.length > 0);
    assert.deepEqual([...new Set(jobsOf('k6'))].sort(), ['0.49.0', '1.8.1', '2.2.0', 'latest']);
  });

  it('installs k6 (the matrix version) and InfluxDB in every job that runs them, and fails without them', () => {
    for (const [name, job] of e2eJobs) {
      const k6 = job.steps.find((s) => s.uses?.startsWith('grafana/setup-k6-action@'));
      assert.match(String(k6?.with?.['k6-version']), /matrix\.k6/, `${name} installs the matrix's k6`);
      assert.match(runs(job), DEBIAN_INSTALL, `${name} installs .ci/debian-packages (InfluxDB among them)`);
      // Without both on PATH the end-to-end tests would skip and the job would still pass.
      const check = job.steps.findIndex(
        (s) => /\bk6 version\b/.test(s.run ?? '') && /\binfluxd version\b/.test(s.run ?? ''),
      );
      const tests = job.steps.findIndex((s) => /npm test/.test(s.run ?? ''));
      assert.ok(check >= 0 && check < tests, `${name} checks k6 and influxd before npm test`);
    }
  });

  it('runs the smoke into InfluxDB, then the report of that run by its testid, then npm test', () => {
    for (const [name, job] of e2eJobs) {
      assert.match(
        runs(job),
        /npm ci[\s\S]*systemctl start influxdb[\s\S]*npm run k6:smoke[\s\S]*npm run report -- --testid "\$TESTID"[\s\S]*npm test/,
        name,
      );
      assert.ok(job.env?.TESTID, `${name} gives the smoke run a testid`);
    }
  });

  it('runs the tests on Node 20, 22 and 24, each a version package.json engines accepts', () => {
    const nodes = [...new Set(jobsOf('node'))].sort();
    assert.deepEqual(nodes, ['20', '22', '24']);
    for (const [name, job] of e2eJobs) {
      const setup = job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
      assert.match(String(setup?.with?.['node-version']), /matrix\.node/, name);
    }
    // The oldest major engines accepts is the oldest one tested.
    const majors = [...engines.matchAll(/(\d+)\.\d+\.\d+|>=\s*(\d+)/g)].map((m) => m[1] ?? m[2]);
    assert.equal(Math.min(...majors.map(Number)), 20, engines);
    for (const major of majors) assert.ok(nodes.includes(String(major)), `${major} in engines is tested`);
  });

  it('keeps results/ as an artifact and publishes results/junit.xml, also when a step fails', () => {
    for (const [name, job] of e2eJobs) {
      const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
      assert.equal(upload?.with?.path, 'results/', name);
      assert.match(String(upload?.with?.name), /matrix\.k6[\s\S]*matrix\.node/, 'one artifact name per job');
      const junit = job.steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report@'));
      assert.equal(junit?.with?.report_paths, 'results/junit.xml', name);
      for (const step of [upload, junit]) assert.equal(step?.if, 'always()', name);
    }
  });
});

describe('the k6 the images ship', () => {
  it('is one version, tested by the workflow: docker/Dockerfile.k6 and the k6-operator runner image', () => {
    const dockerfile = read('docker/Dockerfile.k6');
    const image = /^FROM grafana\/k6:(\S+)$/m.exec(dockerfile)?.[1];
    assert.equal(/^ENV K6_BIN_VERSION=(\S+)$/m.exec(dockerfile)?.[1], image);
    assert.equal(/K6_IMAGE = 'grafana\/k6:([^']+)'/.exec(read('scripts/k6-operator.ts'))?.[1], image);
    assert.ok(jobsOf('k6').includes(String(image)), `k6 ${image} is in the workflow's matrix`);
  });
});

describe('matrix combinations (GitHub rules)', () => {
  it('adds an include that changes an original value as a job of its own', () => {
    const jobs = combinations({ k6: ['a', 'b'], node: [22], include: [{ k6: 'b', node: 20 }] });
    assert.deepEqual(jobs, [
      { k6: 'a', node: 22 },
      { k6: 'b', node: 22 },
      { k6: 'b', node: 20 },
    ]);
  });

  it('merges an include into the combinations it fits, and drops excluded ones', () => {
    const jobs = combinations({ k6: ['a', 'b'], exclude: [{ k6: 'a' }], include: [{ k6: 'b', extra: 1 }] });
    assert.deepEqual(jobs, [{ k6: 'b', extra: 1 }]);
  });
});

describe('.ci/debian-packages, the one list of Debian packages', () => {
  const listed = readFileSync('.ci/debian-packages', 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));

  it('holds InfluxDB, PostgreSQL and every package a Python target imports', () => {
    for (const pkg of ['influxdb', 'postgresql', ...Object.values(PYTHON_PACKAGES)])
      assert.ok(listed.includes(pkg), `${pkg} is not in .ci/debian-packages`);
  });

  it('is what .ci/run installs', () => {
    assert.match(readFileSync('.ci/run', 'utf8'), DEBIAN_INSTALL);
  });
});
