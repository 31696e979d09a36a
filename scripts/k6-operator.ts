// npm run k6:operator -- --parallelism 4 [--out DIR] [--influxdb URL] [--testid ID]
//
// Writes the manifests that run this suite on a Kubernetes cluster with k6-operator (1.6 or
// newer, for the TestRun's `args`): a ConfigMap holding the bundle and a TestRun
// (k6.io/v1alpha1) whose runners stream into InfluxDB with the run's testid. The run's
// settings are the suite's own environment variables (TARGETS with URLs the cluster can
// reach, SCENARIOS, TIME_SCALE, MODE, ...); afterwards `npm run report -- --testid ID`
// builds the one summary of all runners.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ENV, readConfig } from '../k6/lib/config.ts';
import { newTestid, runEnv } from '../k6/lib/run-info.ts';
import { formatTargets, type Target } from '../k6/lib/targets.ts';
import { INFLUXDB, TAGS, TARGETS, type TargetName } from '../lib/registry.ts';
import { parseFlags, wholeNumber } from './args.ts';
import { withRequestFiles } from './request-files.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The k6 the suite is known to run on (docker/Dockerfile.k6 and CI use the same). */
export const K6_IMAGE = 'grafana/k6:2.2.0';
export const CONFIGMAP_NAME = 'io-benchmark-suite';
export const SCRIPT_FILE = 'suite.js';
/** As the runner sets it (scripts/k6-run.ts): `url` and `iter` as fields, one series per request otherwise. */
const INFLUX_TAGS_AS_FIELDS = 'iter,url';

export interface OperatorOptions {
  readonly parallelism: number;
  readonly testid: string;
  /** InfluxDB as the runner pods reach it, with the database: http://influxdb:8086/k6. */
  readonly influxdb: string;
  readonly namespace?: string;
}

/**
 * A built-in target in a cluster is reached by its service name (as in docker-compose.yml):
 * http://express:8002, unless its URL variable or a `name=url` entry says otherwise.
 */
export function clusterTargets(targets: readonly Target[], env: NodeJS.ProcessEnv): Target[] {
  return targets.map((t) => {
    if (!t.builtin) return t;
    const spec = TARGETS[t.name as TargetName];
    const givenUrl = env[spec.urlEnv] || !t.url.startsWith('http://127.0.0.1:');
    if (givenUrl) return t;
    const url = `http://${t.name}:${spec.port}`;
    const stats = 'stats' in spec ? `http://${t.name}:${spec.stats.port}` : url;
    return Object.assign({}, t, { url, statsUrl: stats });
  });
}

/**
 * Kubernetes expands `$(NAME)` in a container's command and reads `$$` as one `$`; k6-operator
 * puts `args` into the runners' and the initializer's commands, so every `$` is doubled to
 * reach k6 as written.
 */
export const kubeletLiteral = (arg: string): string => arg.replace(/\$/g, () => '$$');

/**
 * k6's arguments for every runner and for the initializer's `k6 archive`, one element each:
 * k6-operator passes `args` to k6 as they are, where `arguments` is split on spaces and, in
 * the initializer, read by `sh` (a `;` in TARGETS ended the command there). The testid is a
 * `--tag`, not only the script's `tags` option: k6-operator adds `--tag instance_id=N` to
 * every runner, and a `--tag` on k6's command line replaces the script's tags as a whole.
 */
export function k6Args(env: Record<string, string>, options: OperatorOptions): string[] {
  const args = ['--out', `influxdb=${options.influxdb}`, '--tag', `${TAGS.testid}=${options.testid}`];
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  return args.map(kubeletLiteral);
}

/**
 * A DNS label from any testid: k6-operator names its jobs NAME-initializer and NAME-N, and
 * Kubernetes takes at most 63 characters there.
 */
export function testRunName(testid: string): string {
  const id = testid.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return `io-benchmark-${id}`.slice(0, 40).replace(/-+$/, '');
}

/** The TestRun and the ConfigMap, as plain objects (validated against the CRD's fields in tests). */
export function manifests(bundle: string, env: Record<string, string>, options: OperatorOptions) {
  const metadata = (name: string) =>
    Object.assign({ name }, options.namespace ? { namespace: options.namespace } : {});
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(CONFIGMAP_NAME),
    data: { [SCRIPT_FILE]: bundle },
  };
  const testRun = {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: metadata(testRunName(options.testid)),
    spec: {
      parallelism: options.parallelism,
      // One job per runner, on as many nodes as the cluster gives: the point of distributing.
      separate: false,
      script: { configMap: { name: CONFIGMAP_NAME, file: SCRIPT_FILE } },
      args: k6Args(env, options),
      runner: {
        image: K6_IMAGE,
        env: [{ name: 'K6_INFLUXDB_TAGS_AS_FIELDS', value: INFLUX_TAGS_AS_FIELDS }],
        // k6 needs a core for a few thousand requests per second; the limit keeps a runner
        // from starving the servers if they share a node.
        resources: {
          requests: { cpu: '1', memory: '512Mi' },
          limits: { cpu: '2', memory: '2Gi' },
        },
      },
    },
  };
  return { configMap, testRun };
}

/** The settings every runner gets (`-e`), from this machine's environment, targets as the cluster names them. */
export function operatorEnv(
  processEnv: NodeJS.ProcessEnv,
  testid: string,
  parallelism: number,
): { env: Record<string, string>; targets: Target[] } {
  // Request files are read here, as the runner does: the pods have only the bundle.
  const targets = clusterTargets(withRequestFiles(readConfig(processEnv).targets, processEnv), processEnv);
  const config = readConfig(
    Object.assign({}, processEnv, { [ENV.targets]: formatTargets(targets), [ENV.testid]: testid }),
  );
  // With a place, header values stay in TARGETS: every runner pod sends them.
  const env = runEnv(config, parallelism, { testid, resultsDir: config.resultsDir });
  // The runner pods cannot reach a self-stats URL on this machine.
  delete env[ENV.selfStatsUrl];
  return { env, targets };
}

interface Args {
  parallelism: number;
  out: string;
  influxdb: string;
  testid: string;
  namespace: string | undefined;
}

function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Args {
  const args: Args = {
    parallelism: 2,
    out: path.join(ROOT, 'results', 'k6-operator'),
    influxdb: env[INFLUXDB.urlEnv] || `http://influxdb:${INFLUXDB.port}/${INFLUXDB.database}`,
    testid: env[ENV.testid] || newTestid(),
    namespace: undefined,
  };
  const usage =
    'usage: npm run k6:operator -- --parallelism N [--out DIR] [--influxdb URL] [--testid ID] [--namespace NS]';
  const v = parseFlags(
    argv,
    {
      parallelism: { type: 'string' },
      out: { type: 'string' },
      influxdb: { type: 'string' },
      testid: { type: 'string' },
      namespace: { type: 'string' },
    },
    usage,
  );
  if (v.parallelism !== undefined) args.parallelism = wholeNumber('--parallelism', v.parallelism, 1, 64);
  if (v.out !== undefined) args.out = path.resolve(v.out);
  return Object.assign(args, {
    influxdb: v.influxdb ?? args.influxdb,
    testid: v.testid ?? args.testid,
    namespace: v.namespace ?? args.namespace,
  });
}

function main(): void {
  const args = parseArgs(process.argv.slice(2), process.env);
  const built = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, stdio: 'inherit' });
  const bundlePath = path.join(ROOT, 'dist', 'suite.js');
  if (built.status !== 0 || !existsSync(bundlePath)) throw new Error('the bundle did not build');
  const { env, targets } = operatorEnv(process.env, args.testid, args.parallelism);
  const { configMap, testRun } = manifests(readFileSync(bundlePath, 'utf8'), env, {
    parallelism: args.parallelism,
    testid: args.testid,
    influxdb: args.influxdb,
    namespace: args.namespace,
  });
  mkdirSync(args.out, { recursive: true });
  writeFileSync(path.join(args.out, 'configmap.yaml'), stringify(configMap, { lineWidth: 0 }));
  writeFileSync(path.join(args.out, 'testrun.yaml'), stringify(testRun, { lineWidth: 0 }));
  const rel = path.relative(process.cwd(), args.out) || '.';
  console.log(
    `[k6-operator] ${rel}/configmap.yaml (the bundle) and ${rel}/testrun.yaml: ${args.parallelism} runners, run ${args.testid}`,
  );
  console.log(
    `[k6-operator] targets: ${targets.map((t) => `${t.name} ${t.url}`).join(', ')}; InfluxDB ${args.influxdb}`,
  );
  console.log(
    `[k6-operator] kubectl apply -f ${rel}/configmap.yaml -f ${rel}/testrun.yaml (k6-operator 1.6 or newer: the TestRun passes spec.args)`,
  );
  console.log(
    `[k6-operator] then: INFLUXDB_URL=<InfluxDB as this machine reaches it> npm run report -- --testid ${args.testid}`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    main();
  } catch (err) {
    console.error(`[k6-operator] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
