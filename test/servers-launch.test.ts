// Each server as a user starts it: one line when listening, one line and exit code 1 when the
// port is taken, exit code 0 and no leftover process on SIGTERM. And the launcher on top.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TARGETS } from '../lib/registry.ts';
import { SERVICE_NAMES, type ServiceName, serverFile, startServers } from '../servers/launch.ts';
import { type ServiceName as NodeServiceName, serviceSpec } from '../servers/lib/config.ts';
import { alive, type Collected, spawnCollecting } from './helpers/processes.ts';
import { request, waitFor } from './helpers/servers.ts';

type Run = Collected;

function run(name: ServiceName, env: Record<string, string>): Run {
  return spawnCollecting(process.execPath, ['--import', 'tsx', serverFile(name)], {
    env: { ...process.env, ...env },
  });
}

describe('each server started on its own', () => {
  const model = (name: ServiceName) => (name === 'upstream' ? 'async' : TARGETS[name].model);
  const runs = new Map<ServiceName, Run>();
  before(async () => {
    for (const name of SERVICE_NAMES as readonly NodeServiceName[])
      runs.set(
        name,
        run(name, { [serviceSpec(name).portEnv]: '0', SYNC_WORKERS: '2', ASYNC_PROCESSES: '2' }),
      );
    await Promise.all(
      [...runs.values()].map((r) =>
        waitFor(async () => (r.stdout().includes('\n') ? true : undefined), 20_000),
      ),
    );
  });
  after(() => {
    for (const r of runs.values()) r.child.kill('SIGKILL');
  });

  for (const name of SERVICE_NAMES) {
    it(`${name} prints one line when listening and exits 0 on SIGTERM, leaving no process`, async () => {
      const r = runs.get(name) as Run;
      // The clusters: express's W sync workers, fastify-cluster's P async processes.
      const cluster = name === 'express' || name === 'fastify-cluster';
      const workers = cluster ? '2 workers' : '1 worker';
      const line = new RegExp(
        `^${name} listening on http://127\\.0\\.0\\.1:(\\d+) \\(${model(name)}, ${workers}\\)\\n$`,
      );
      assert.match(r.stdout(), line);
      const url = `http://127.0.0.1:${line.exec(r.stdout())?.[1]}`;
      const pids = new Set<number>();
      for (let i = 0; i < 4; i++) pids.add((await request(`${url}/health`)).body.pid as number);
      r.child.kill('SIGTERM');
      assert.deepEqual(await r.exit, { code: 0, signal: null });
      assert.equal(r.stderr(), '');
      if (cluster) {
        assert.equal(pids.size, 2, 'both workers answered /health');
        for (const pid of pids)
          await waitFor(async () => (alive(pid) ? undefined : true), 2000, `worker ${pid} gone`);
      }
    });
  }
});

describe('a port already in use', () => {
  const taken = net.createServer();
  let port = 0;
  before(async () => {
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as net.AddressInfo).port;
  });
  after(() => new Promise((resolve) => taken.close(resolve)));

  it('makes each server print one line naming the port and the variable, and exit 1', async () => {
    await Promise.all(
      (SERVICE_NAMES as readonly NodeServiceName[]).map(async (name) => {
        const env = serviceSpec(name).portEnv;
        const r = run(name, { [env]: String(port), SYNC_WORKERS: '1', ASYNC_PROCESSES: '2' });
        assert.deepEqual(await r.exit, { code: 1, signal: null });
        assert.equal(r.stderr(), `${name}: port ${port} is already in use (set ${env} to use another)\n`);
        assert.equal(r.stdout(), '');
      }),
    );
  });

  it('makes the launcher reject with that line', async () => {
    await assert.rejects(
      startServers({ only: ['koa'], ports: { koa: port }, quiet: true }),
      new RegExp(`koa exited before it was ready: koa: port ${port} is already in use \\(set KOA_PORT`),
    );
  });
});

it('a bad setting is one line and exit code 1', async () => {
  const r = run('express', { EXPRESS_PORT: '0', SYNC_WORKERS: '0' });
  assert.deepEqual(await r.exit, { code: 1, signal: null });
  assert.equal(r.stderr(), "express: SYNC_WORKERS must be an integer between 1 and 1024, got '0'\n");
});

describe('startServers', () => {
  it('starts a subset on free ports, points it at its upstream, and stops it', async () => {
    const servers = await startServers({ only: ['upstream', 'fastify'], ports: { upstream: 0, fastify: 0 } });
    assert.deepEqual(Object.keys(servers.urls).sort(), ['fastify', 'upstream']);
    const { status } = await request(`${servers.urls.fastify}/io?delay=0.01`);
    assert.equal(status, 200);
    await servers.stop();
    assert.ok(!alive(servers.pids.fastify) && !alive(servers.pids.upstream));
  });
});

describe('npm run servers with UPSTREAM_URL', () => {
  it('starts no upstream, says so first, and sends every app’s calls to that one', async () => {
    // The marker: a real upstream started apart, whose /stats counts what it served.
    const marker = await startServers({ only: ['upstream'], ports: { upstream: 0 }, quiet: true });
    const served = async () => (await request(`${marker.urls.upstream}/stats`)).body.served as number;
    const ports = Object.fromEntries(
      (['express', 'koa', 'fastify', 'control'] as const).map((n) => [TARGETS[n].portEnv, '0']),
    );
    const r = spawnCollecting(process.execPath, ['--import', 'tsx', 'scripts/servers.ts'], {
      env: { ...process.env, ...ports, UPSTREAM_PORT: '0', UPSTREAM_URL: marker.urls.upstream, TARGETS: '' },
    });
    try {
      const urls = await waitFor(
        async () => {
          const found = [...r.stdout().matchAll(/^(\w+) listening on (http:\/\/\S+) /gm)];
          return found.length === 4 ? found.map((m) => m[2] as string) : undefined;
        },
        30_000,
        'four apps listening',
      );
      assert.equal(
        r.stdout().split('\n')[0],
        `UPSTREAM_URL=${marker.urls.upstream}: no upstream started here; every app calls that one`,
      );
      assert.doesNotMatch(r.stdout(), /^upstream listening/m);
      const before = await served();
      for (const url of urls) assert.equal((await request(`${url}/io?delay=0.01`)).status, 200, url);
      assert.equal((await served()) - before, urls.length, 'one /io per app, all at the marker');
    } finally {
      r.child.kill('SIGTERM');
      await r.exit;
      await marker.stop();
    }
  });
});
