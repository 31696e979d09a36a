// The k6-operator path: the TestRun `npm run k6:operator` writes, checked against k6-operator
// 1.6.0's CRD, then run the way a cluster runs it (the initializer's `sh -c` around `k6
// archive`, then each runner's `k6 run` with the operator's own `--tag`s; real sh, real k6):
// every sample keeps the run's testid and names its runner, whatever TARGETS holds.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { readConfig } from '../k6/lib/config.ts';
import { instanceOf } from '../k6/lib/run-info.ts';
import { freePort } from '../scripts/free-port.ts';
import {
  clusterTargets,
  k6Args,
  kubeletLiteral,
  manifests,
  operatorEnv,
  SCRIPT_FILE,
  testRunName,
} from '../scripts/k6-operator.ts';
import { findOnPath } from '../scripts/k6-process.ts';
import { resumeAll, waitPaused } from '../scripts/segments.ts';
import {
  initializerCommand,
  kubeletExpand,
  type OperatorSpec,
  podEnv,
  runnerCommand,
} from './helpers/k6-operator.ts';
import { spawnCollecting } from './helpers/processes.ts';
import { ROOT } from './helpers/runner.ts';

const k6 = findOnPath('k6');
const INFLUXDB = 'http://influxdb:8086/k6';
/** The issue's own example, with a label that holds a space, quotes and a `$(NAME)` the kubelet knows. */
const TARGETS =
  'express,legacy=http://legacy:8000;model=sync;workers=4;framework=Legacy "v1" $(K6_INFLUXDB_TAGS_AS_FIELDS) app';

describe('k6-operator manifests', () => {
  const schema = JSON.parse(
    readFileSync(new URL('./fixtures/k6-operator-testrun.schema.json', import.meta.url), 'utf8'),
  ) as object;
  const validate = new Ajv({ allErrors: true }).compile(schema);

  it('write a TestRun that holds k6-operator’s CRD fields, and a ConfigMap with the bundle', () => {
    const cfg = readConfig({ TARGETS: 'express,koa', SCENARIOS: 'low' });
    const targets = clusterTargets(cfg.targets, {});
    assert.deepEqual(
      targets.map((t) => t.url),
      ['http://express:8002', 'http://koa:8003'],
    );
    const { configMap, testRun } = manifests(
      'export default function () {}',
      { TARGETS: 'express=http://express:8002,koa=http://koa:8003', K6_INSTANCES: '4', TESTID: 'r1' },
      { parallelism: 4, testid: 'R1_x', influxdb: INFLUXDB },
    );
    assert.ok(validate(testRun), JSON.stringify(validate.errors));
    assert.equal(testRun.spec.parallelism, 4);
    assert.equal(testRun.metadata.name, 'io-benchmark-r1-x');
    assert.deepEqual(testRun.spec.args, [
      '--out',
      `influxdb=${INFLUXDB}`,
      '--tag',
      'testid=R1_x',
      '-e',
      'TARGETS=express=http://express:8002,koa=http://koa:8003',
      '-e',
      'K6_INSTANCES=4',
      '-e',
      'TESTID=r1',
    ]);
    assert.equal('arguments' in testRun.spec, false);
    assert.equal(configMap.data['suite.js'], 'export default function () {}');
    assert.equal(testRun.spec.script.configMap.name, configMap.metadata.name);
  });

  it('is refused by the schema when a field is wrong, so the check can fail', () => {
    const { testRun } = manifests('x', {}, { parallelism: 2, testid: 't', influxdb: INFLUXDB });
    const typo = structuredClone(testRun) as unknown as { spec: Record<string, unknown> };
    typo.spec.paralelism = 2;
    assert.equal(validate(typo), false);
    const joined = structuredClone(testRun) as unknown as { spec: Record<string, unknown> };
    joined.spec.args = (joined.spec.args as string[]).join(' ');
    assert.equal(validate(joined), false);
  });

  it('take a user target with `;`, spaces and quotes, which the old `arguments` refused', () => {
    const { env, targets } = operatorEnv({ TARGETS }, '20261130-054000', 2);
    assert.deepEqual(
      targets.map((t) => t.url),
      ['http://express:8002', 'http://legacy:8000'],
    );
    const { testRun } = manifests('x', env, {
      parallelism: 2,
      testid: '20261130-054000',
      influxdb: INFLUXDB,
    });
    assert.ok(validate(testRun), JSON.stringify(validate.errors));
    const given = testRun.spec.args.find((a) => a.startsWith('TARGETS='));
    assert.equal(given, `TARGETS=${kubeletLiteral(env.TARGETS as string)}`);
    assert.match(given ?? '', /;framework=Legacy "v1" \$\$\(K6_INFLUXDB_TAGS_AS_FIELDS\) app$/);
  });

  it('give a black-box target its body file’s contents and its header values, which the pods send', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'k6-operator-body-'));
    try {
      writeFileSync(path.join(dir, 'ask.json'), '{"question":"why, then?"}');
      const own =
        'gw=http://gw:9001;model=async;path=/ask;body=@ask.json;header=Authorization: Bearer s3cret';
      const { env } = operatorEnv({ TARGETS: own, INIT_CWD: dir }, '20261130-054000', 2);
      const [target] = readConfig({ TARGETS: env.TARGETS }).targets;
      assert.equal(target?.request?.body, '{"question":"why, then?"}');
      assert.deepEqual(target?.request?.headers, [['Authorization', 'Bearer s3cret']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('double every `$` for the kubelet, which gives each back as written', () => {
    const args = k6Args(
      { A: 'x$(HOME)y', B: '$$ and $' },
      { parallelism: 1, testid: 't', influxdb: INFLUXDB },
    );
    assert.deepEqual(args.slice(-4), ['-e', 'A=x$$(HOME)y', '-e', 'B=$$$$ and $$']);
    const pod = { HOME: '/root' };
    assert.deepEqual(
      args.slice(-4).map((a) => kubeletExpand(a, pod)),
      ['-e', 'A=x$(HOME)y', '-e', 'B=$$ and $'],
    );
    // Unescaped, the kubelet would have changed it: the reason for doubling.
    assert.equal(kubeletExpand('x$(HOME)y', pod), 'x/rooty');
  });

  it('name the TestRun with a DNS label whatever the testid', () => {
    assert.equal(testRunName('20261130-054000'), 'io-benchmark-20261130-054000');
    assert.equal(testRunName('Run 1; "quoted"'), 'io-benchmark-run-1-quoted');
    assert.ok(testRunName('x'.repeat(80)).length <= 40);
  });
});

/** A script k6 v0.49 runs: each runner's one VU writes one sample tagged with what reached it. */
const PROBE_SCRIPT = `import { Counter } from 'k6/metrics';
const probe = new Counter('operator_probe');
export const options = {
  scenarios: { probe: { executor: 'per-vu-iterations', vus: 2, iterations: 1 } },
  tags: { testid: 'the script option that a --tag replaces' },
};
export default function () {
  probe.add(1, { targets: __ENV.TARGETS, env_testid: __ENV.TESTID });
}
`;

interface Inspected {
  readonly tags?: Record<string, string>;
  readonly maxVUs?: number;
  readonly scenarios?: Record<string, unknown>;
}

interface JsonSample {
  readonly type: string;
  readonly metric: string;
  readonly data: { readonly tags: Record<string, string> };
}

describe('a generated TestRun run as k6-operator 1.6 runs it', {
  skip: k6 ? false : 'skipped: k6 is not on PATH (install k6 to run it)',
}, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-operator-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const testid = '20261130-054000';
  const { env } = operatorEnv({ TARGETS }, testid, 2);
  const { configMap, testRun } = manifests(PROBE_SCRIPT, env, { parallelism: 2, testid, influxdb: INFLUXDB });
  const spec: OperatorSpec = testRun.spec;
  // Where the ConfigMap's file is mounted in the pods.
  const file = testRun.spec.script.configMap.file;
  assert.equal(file, SCRIPT_FILE);
  const script = path.join(dir, file);
  writeFileSync(script, configMap.data[SCRIPT_FILE]);
  const pod = podEnv(spec);

  /** The initializer pod on `file`: `k6 archive` with the TestRun's args, then the `k6 inspect` JSON it prints. */
  const initialize = (file: string, archive: string) => {
    const [command, ...rest] = initializerCommand(spec, file, archive).map((a) => kubeletExpand(a, pod));
    const run = spawnSync(command as string, rest, { cwd: dir, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    return JSON.parse(run.stdout) as Inspected;
  };

  it('initializer: `sh -c` around `k6 archive` keeps TARGETS whole and the testid tag', () => {
    const archive = path.join(dir, 'suite.js.archived.tar');
    const inspected = initialize(script, archive);
    assert.equal(inspected.tags?.testid, testid);
    assert.equal(inspected.maxVUs, 2);
    const metadata = spawnSync('tar', ['-xOf', archive, 'metadata.json'], { encoding: 'utf8' });
    const archived = JSON.parse(metadata.stdout) as { env: Record<string, string> };
    assert.equal(archived.env.TARGETS, env.TARGETS);
  });

  it('initializer on the suite’s own bundle: it plans the user target from those TARGETS', () => {
    const built = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    const bundleDir = path.join(dir, 'bundle');
    mkdirSync(bundleDir);
    copyFileSync(path.join(ROOT, 'dist', 'suite.js'), path.join(bundleDir, SCRIPT_FILE));
    const inspected = initialize(
      path.join(bundleDir, SCRIPT_FILE),
      path.join(bundleDir, 'suite.js.archived.tar'),
    );
    assert.equal(inspected.tags?.testid, testid);
    const slots = Object.keys(inspected.scenarios ?? {});
    assert.ok(slots.includes('stress_legacy') && slots.includes('stress_express'), slots.join(', '));
  });

  it('runners: every sample tagged with the testid and its instance_id, TARGETS intact', {
    timeout: 90_000,
  }, async () => {
    const runners = [];
    for (const index of [1, 2]) {
      const port = await freePort();
      const out = path.join(dir, `runner-${index}.json`);
      const command = runnerCommand(spec, testRun.metadata.name, index, script, `127.0.0.1:${port}`)
        .map((a) => kubeletExpand(a, pod))
        // No InfluxDB here: the same --out flag writes the samples to a file instead.
        .map((a) => (a === `influxdb=${INFLUXDB}` ? `json=${out}` : a));
      assert.ok(command.includes(`json=${out}`));
      const proc = spawnCollecting(command[0] as string, command.slice(1), { cwd: dir });
      let exited = false;
      void proc.exit.then(() => {
        exited = true;
      });
      runners.push({ port, out, proc, exited: () => exited });
    }
    try {
      // As the operator's starter does: every runner paused and ready, then all resumed.
      for (const r of runners) await waitPaused(r.port, 30_000, r.exited);
      await resumeAll(runners.map((r) => r.port));
    } catch (err) {
      for (const r of runners) r.proc.child.kill();
      throw err;
    }
    const probes: Record<string, string>[] = [];
    for (const r of runners) {
      const { code } = await r.proc.exit;
      assert.equal(code, 0, r.proc.output());
      for (const line of readFileSync(r.out, 'utf8').split('\n')) {
        if (!line) continue;
        const sample = JSON.parse(line) as JsonSample;
        if (sample.type === 'Point' && sample.metric === 'operator_probe') probes.push(sample.data.tags);
      }
    }
    assert.deepEqual(probes.map((t) => [t.testid, instanceOf(t)]).sort(), [
      [testid, '1'],
      [testid, '2'],
    ]);
    for (const tags of probes) {
      assert.equal(tags.targets, env.TARGETS);
      assert.equal(tags.env_testid, testid);
      assert.equal(tags.testrun_name, testRun.metadata.name);
    }
    assert.match(env.TARGETS ?? '', /;workers=4;framework=Legacy "v1" \$\(K6_INFLUXDB_TAGS_AS_FIELDS\) app$/);
  });
});
