// docker-compose.yml, the Dockerfiles and Grafana's provisioning, checked without Docker: the
// services and their ports follow the registry, everything the suite waits for has a
// healthcheck, every bind-mounted path and every COPY source exists in the repository.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DASHBOARD_FILES, DATASOURCE } from '../grafana/dashboards.ts';
import {
  GRAFANA,
  INFLUXDB,
  NODE_TARGET_NAMES,
  PYTHON_PACKAGES,
  type ServiceSpec,
  TARGET_NAMES,
  TARGETS,
  type TargetName,
  UPSTREAM,
} from '../lib/registry.ts';

/** Every built-in target is a compose service; the Python ones only in the `python` profile. */
const PYTHON_TARGETS = TARGET_NAMES.filter((n) => TARGETS[n].runtime === 'python');
const DEFAULT_SERVICES: readonly TargetName[] = NODE_TARGET_NAMES;
const statsOf = (name: string): ServiceSpec | undefined => {
  const spec = (TARGETS as Record<string, (typeof TARGETS)[TargetName]>)[name];
  return spec && 'stats' in spec ? spec.stats : undefined;
};
/** The python3 one-liner the Python images are health-checked with (they have no node or curl). */
const PYTHON_HEALTHCHECK = 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  profiles?: string[];
  user?: string;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;

function service(name: string): Service {
  const found = services[name];
  assert.ok(found, `docker-compose.yml has no service "${name}"`);
  return found;
}

/** "127.0.0.1:3001:3000" -> { host: 3001, container: 3000 } */
function publishedPorts(svc: Service) {
  return (svc.ports ?? []).map((spec) => {
    const parts = spec.split(':');
    return {
      host: Number(parts.at(-2)),
      container: Number(parts.at(-1)),
      address: parts.length > 2 ? parts[0] : '',
    };
  });
}

/** Host paths of bind mounts: short syntax "./src:/dst[:ro]". */
function bindMounts(svc: Service) {
  return (svc.volumes ?? [])
    .filter((v) => v.startsWith('./') || v.startsWith('/'))
    .map((v) => {
      const [source = '', target = '', mode] = v.split(':');
      return { source, target, mode };
    });
}

/** Directories a run writes into: not in the repository (gitignored), created by Docker. */
const OUTPUT_DIRS = ['./results'];

describe('docker-compose.yml', () => {
  it('has the stack, every built-in target and the on-demand k6 service', () => {
    for (const name of ['upstream', ...TARGET_NAMES, 'influxdb', 'grafana', 'k6']) service(name);
    assert.deepEqual(service('k6').profiles, ['k6'], 'k6 runs only on demand: docker compose run --rm k6');
    for (const name of PYTHON_TARGETS) {
      assert.deepEqual(service(name).profiles, ['python'], `${name}: docker compose --profile python up -d`);
    }
    for (const [name, svc] of Object.entries(services)) {
      if (name !== 'k6' && !(PYTHON_TARGETS as string[]).includes(name))
        assert.equal(svc.profiles, undefined, `${name} starts with docker compose up`);
    }
  });

  it('publishes every port of the registry, on loopback only', () => {
    const expected: Record<string, [number, number]> = {
      upstream: [UPSTREAM.port, UPSTREAM.port],
      influxdb: [INFLUXDB.port, 8086],
      grafana: [GRAFANA.port, 3000],
    };
    for (const name of TARGET_NAMES) expected[name] = [TARGETS[name].port, TARGETS[name].port];
    for (const [name, [host, container]] of Object.entries(expected)) {
      const stats = statsOf(name);
      const want = [{ host, container, address: '127.0.0.1' }];
      // A separate stats port (flask: Gunicorn's arbiter) is published too, for k6 on the host.
      if (stats) want.push({ host: stats.port, container: stats.port, address: '127.0.0.1' });
      assert.deepEqual(publishedPorts(service(name)), want, name);
    }
  });

  it('runs each server on its registry port, against the upstream service, health-checked on /health', () => {
    for (const [name, spec] of [
      ['upstream', UPSTREAM] as const,
      ...TARGET_NAMES.map((n) => [n, TARGETS[n]] as const),
    ]) {
      const svc = service(name);
      const health = `http://127.0.0.1:${spec.port}/health`;
      assert.equal(svc.environment?.[spec.portEnv], String(spec.port), `${name} ${spec.portEnv}`);
      if ('python' in spec) {
        // The same entry and interpreter as the launcher (servers/launch.ts), from its own image.
        assert.deepEqual(svc.command, ['python3', `servers/python/${spec.python.entry}`], name);
        assert.equal(svc.build?.dockerfile, 'docker/Dockerfile.python', name);
        assert.deepEqual(svc.healthcheck?.test, ['CMD', 'python3', '-c', PYTHON_HEALTHCHECK, health], name);
      } else {
        assert.ok(svc.command?.includes(`servers/${name}.ts`), `${name} runs servers/${name}.ts`);
        assert.equal(svc.build?.dockerfile, 'docker/Dockerfile', name);
        assert.deepEqual(svc.healthcheck?.test, ['CMD', 'node', 'docker/healthcheck.mjs', health], name);
      }
      const stats = statsOf(name);
      if (stats)
        assert.equal(svc.environment?.[stats.portEnv], String(stats.port), `${name} ${stats.portEnv}`);
      if (name !== 'upstream') {
        assert.equal(svc.environment?.[UPSTREAM.urlEnv], `http://upstream:${UPSTREAM.port}`, name);
        assert.equal(svc.depends_on?.upstream?.condition, 'service_healthy', name);
      }
      if ('model' in spec && spec.model === 'sync') {
        // The same W as the k6 service plans its slots with.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own variable syntax
        assert.equal(svc.environment?.SYNC_WORKERS, '${SYNC_WORKERS:-2}', `${name}: SYNC_WORKERS`);
      }
    }
  });

  it('runs the entry files that exist', () => {
    for (const svc of Object.values(services)) {
      for (const arg of svc.command ?? []) {
        if (/^servers\/.+\.(ts|py)$/.test(arg))
          assert.ok(existsSync(join(root, arg)), `${arg} does not exist`);
      }
    }
  });

  it('keeps InfluxDB 1.8 with database k6 in a named volume, health-checked on /ping', () => {
    const influx = service('influxdb');
    assert.equal(influx.image, 'influxdb:1.8');
    assert.equal(influx.environment?.INFLUXDB_DB, INFLUXDB.database);
    const volume = (influx.volumes ?? []).find((v) => v.endsWith(':/var/lib/influxdb')) ?? '';
    assert.ok((volume.split(':')[0] ?? '') in compose.volumes, 'data in a named volume');
    assert.ok(influx.healthcheck?.test.some((arg) => arg.endsWith(`:${8086}/ping`)));
  });

  it('gives Grafana a pinned image, read-only provisioning, anonymous Viewer access and no admin/admin', () => {
    const grafana = service('grafana');
    const schemaVersion = (JSON.parse(read('package.json')) as { devDependencies: Record<string, string> })
      .devDependencies['@grafana/schema'];
    assert.equal(
      grafana.image,
      `grafana/grafana:${schemaVersion}`,
      'the image the dashboard types come from',
    );
    const env = grafana.environment ?? {};
    assert.equal(env.GF_AUTH_ANONYMOUS_ENABLED, 'true');
    assert.equal(env.GF_AUTH_ANONYMOUS_ORG_ROLE, 'Viewer');
    assert.notEqual(env.GF_SECURITY_ADMIN_PASSWORD, 'admin');
    assert.ok(
      env.GF_SECURITY_ADMIN_PASSWORD__FILE ||
        /\$\{GRAFANA_ADMIN_PASSWORD:\?/.test(env.GF_SECURITY_ADMIN_PASSWORD ?? ''),
      'the admin password comes from a generated file or a required variable',
    );
    const mounts = Object.fromEntries(bindMounts(grafana).map((m) => [m.source, m]));
    assert.deepEqual(mounts['./grafana/provisioning'], {
      source: './grafana/provisioning',
      target: '/etc/grafana/provisioning',
      mode: 'ro',
    });
    assert.equal(mounts['./grafana/dashboards']?.mode, 'ro');
    assert.ok(grafana.healthcheck, 'k6 waits for Grafana to be healthy');
  });

  it('runs the suite with --out influxdb after every service is healthy', () => {
    const k6 = service('k6');
    assert.ok(
      k6.command?.includes(`influxdb=http://influxdb:${INFLUXDB.port}/${INFLUXDB.database}`),
      'streams into the influxdb service',
    );
    assert.equal(k6.command?.at(-1), '/scripts/suite.js');
    // Every built-in target is reachable by name; TARGETS picks which are measured.
    for (const name of TARGET_NAMES) {
      assert.equal(k6.environment?.[TARGETS[name].urlEnv], `http://${name}:${TARGETS[name].port}`);
      const stats = statsOf(name);
      if (stats) assert.equal(k6.environment?.[stats.urlEnv], `http://${name}:${stats.port}`);
    }
    // The suite sets the upstream's IO profile per slot (a black-box target's IO) and reads its usage.
    assert.equal(k6.environment?.[UPSTREAM.urlEnv], `http://upstream:${UPSTREAM.port}`);
    for (const variable of ['SYNC_WORKERS', 'TARGETS', 'REFERENCE'])
      assert.ok(variable in (k6.environment ?? {}), variable);
    // It waits for the services a plain `up` starts; the python profile's are checked by TARGETS.
    const waitsFor = Object.keys(k6.depends_on ?? {}).sort();
    assert.deepEqual(waitsFor, [...DEFAULT_SERVICES, 'grafana', 'influxdb'].sort());
    assert.ok(
      bindMounts(k6).some((m) => m.source === './results'),
      'results land in ./results',
    );
  });

  it('waits only on conditions its dependencies can meet', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(svc.depends_on ?? {})) {
        const target = service(dependency);
        if (condition === 'service_healthy')
          assert.ok(target.healthcheck, `${name} waits on ${dependency}'s health`);
        else assert.equal(condition, 'service_completed_successfully', `${name} -> ${dependency}`);
      }
    }
  });

  it('bind-mounts only paths that exist in the repository (outputs excepted, and gitignored)', () => {
    const gitignore = read('.gitignore');
    for (const [name, svc] of Object.entries(services)) {
      for (const { source } of bindMounts(svc)) {
        if (OUTPUT_DIRS.includes(source)) {
          assert.match(gitignore, new RegExp(`^${source.slice(2)}/?$`, 'm'), `${source} is gitignored`);
          continue;
        }
        assert.ok(existsSync(join(root, source)), `${name} mounts ${source}, which does not exist`);
      }
    }
  });
});

describe('Dockerfiles', () => {
  const dockerignore = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const built = Object.values(services).flatMap((svc) => (svc.build ? [svc.build] : []));

  it('exist where docker-compose.yml says', () => {
    assert.ok(built.length >= 2);
    for (const build of built)
      assert.ok(existsSync(join(root, build.context, build.dockerfile)), build.dockerfile);
  });

  it('copy only files that exist and that .dockerignore lets through', () => {
    for (const { context, dockerfile } of built) {
      const lines = read(join(context, dockerfile)).split('\n');
      for (const line of lines.filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))) {
        const sources = line.trim().split(/\s+/).slice(1, -1);
        for (const source of sources) {
          assert.ok(existsSync(join(root, context, source)), `${dockerfile}: COPY ${source} does not exist`);
          const top = source.split('/')[0];
          assert.ok(
            !dockerignore.includes(top ?? ''),
            `${dockerfile}: COPY ${source} is excluded by .dockerignore`,
          );
        }
      }
    }
  });

  it('install in the Python image every Debian package the launcher asks for', () => {
    const dockerfile = read('docker/Dockerfile.python');
    for (const pkg of Object.values(PYTHON_PACKAGES)) {
      assert.match(
        dockerfile,
        new RegExp(`\\s${pkg}(\\s|$)`, 'm'),
        `docker/Dockerfile.python installs ${pkg}`,
      );
    }
    assert.match(dockerfile, /^COPY servers\/python /m);
    assert.match(dockerfile, /^ENV HOST=0\.0\.0\.0$/m);
  });

  it('start from pinned node 22 slim, Debian bookworm slim and grafana/k6 images', () => {
    const froms = built.flatMap(({ context, dockerfile }) =>
      read(join(context, dockerfile))
        .split('\n')
        .filter((l) => l.startsWith('FROM '))
        .map((l) => l.split(/\s+/)[1] ?? ''),
    );
    for (const image of froms) {
      assert.match(
        image,
        /^(node:22-[a-z]+-slim|debian:bookworm-slim|grafana\/k6:\d+\.\d+\.\d+)$/,
        `${image} is pinned`,
      );
    }
    assert.ok(froms.some((image) => image.startsWith('grafana/k6:')));
  });
});

describe('Grafana provisioning', () => {
  const datasourceFile = 'grafana/provisioning/datasources/influxdb.yaml';
  const providerFile = 'grafana/provisioning/dashboards/io-benchmark.yaml';

  it('opens each file with a pointer to the provisioning docs', () => {
    for (const file of [datasourceFile, providerFile]) {
      assert.match(
        read(file).split('\n')[0] ?? '',
        /^# .*https:\/\/grafana\.com\/docs\/grafana\/.*provisioning/,
      );
    }
  });

  it('provisions the InfluxDB datasource the dashboards point at', () => {
    const { datasources } = parse(read(datasourceFile)) as {
      datasources: {
        uid: string;
        type: string;
        url: string;
        database: string;
        jsonData: { dbName: string };
      }[];
    };
    const [ds] = datasources;
    assert.equal(datasources.length, 1);
    assert.equal(ds?.uid, DATASOURCE.uid);
    assert.equal(ds?.type, DATASOURCE.type);
    assert.equal(ds?.url, `http://influxdb:${INFLUXDB.port}`);
    assert.equal(ds?.database, INFLUXDB.database);
    assert.equal(ds?.jsonData.dbName, INFLUXDB.database);
  });

  it('loads the dashboards from where compose mounts them', () => {
    const { providers } = parse(read(providerFile)) as {
      providers: { type: string; options: { path: string } }[];
    };
    const mount = bindMounts(service('grafana')).find((m) => m.source === './grafana/dashboards');
    assert.equal(providers[0]?.type, 'file');
    assert.equal(providers[0]?.options.path, mount?.target);
    for (const file of Object.values(DASHBOARD_FILES)) assert.ok(existsSync(join(root, file)), file);
  });
});
