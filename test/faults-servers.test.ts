// Faults on the serving side, with real processes under load:
// - the upstream killed mid-run: every request still gets an answer within its bound, a 502/504
//   while the upstream is gone, and 200s again once it is back on the same port, with no
//   server restarted;
// - a sync worker killed mid-run: replaced, the run goes on, /stats totals never go backwards;
// - `npm run servers` with a port already taken: one line naming it, exit 1, nothing left behind;
// - SIGTERM to `npm run servers` (and to npm itself) during load: every process exits, every
//   port is free again.
// Each server started on its own on a taken port is test/servers-launch.test.ts; a dead worker
// without load, an upstream that is down from the start or too slow, test/servers-failures.test.ts.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type NodeTargetName as ServerName, TARGETS, UPSTREAM } from '../lib/registry.ts';
import { freePort } from '../scripts/free-port.ts';
import { type RunningServers, startServers } from '../servers/launch.ts';
import { alive, type Collected, spawnCollecting } from './helpers/processes.ts';
import {
  NODE_ASYNC as ASYNC_SERVERS,
  request,
  NODE_SERVERS as SERVER_NAMES,
  useServers,
  waitFor,
} from './helpers/servers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The port variable of every service `npm run servers` starts: the upstream and each Node target. */
const PORT_ENVS = [UPSTREAM.portEnv, ...SERVER_NAMES.map((name) => TARGETS[name].portEnv)];

interface Outcome {
  readonly server: string;
  /** ms on this process's performance clock */
  readonly start: number;
  readonly end: number;
  readonly status?: number;
  readonly error?: string;
}

/**
 * `clients` closed-loop clients on `url`, each on a fresh connection per request (as k6 against
 * a Connection: close server). After a non-200 a client pauses 20 ms, so an upstream that is down
 * does not turn the load into a busy loop on a shared machine.
 */
function closedLoop(server: string, url: string, clients: number, timeoutMs: number, into: Outcome[]) {
  let stopped = false;
  const loops = Array.from({ length: clients }, async () => {
    while (!stopped) {
      const start = performance.now();
      try {
        const { status } = await request(url, { timeoutMs });
        into.push({ server, start, end: performance.now(), status });
        if (status !== 200) await sleep(20);
      } catch (err) {
        into.push({ server, start, end: performance.now(), error: (err as Error).message });
        await sleep(20);
      }
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True once nothing listens on the port any more: binding it succeeds. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

const describeOutcome = (o: Outcome, t0: number) =>
  `${o.server} started at +${(o.start - t0).toFixed(0)} ms, took ${(o.end - o.start).toFixed(0)} ms: ${o.status ?? o.error}`;

describe('the upstream killed mid-run, then back on the same port', () => {
  const DELAY = 0.2;
  const UPSTREAM_TIMEOUT_MS = 1000;
  /** Per request: the delay plus the upstream budget, plus slack for a loaded 2-CPU machine. */
  const BOUND_MS = DELAY * 1000 + UPSTREAM_TIMEOUT_MS + 800;
  /**
   * Per server: a sync one as many clients as workers (nothing queues, so every request's bound is
   * its own); an async one 10, enough to keep many calls in flight at the kill while all the async
   * targets together still fit a 2-CPU machine.
   */
  const clients = (name: ServerName) => (TARGETS[name].model === 'sync' ? 2 : 10);
  let upstream: RunningServers<'upstream'> | undefined;
  let apps: RunningServers<ServerName> | undefined;
  let port = 0;
  before(async () => {
    upstream = await startServers({ only: ['upstream'], ports: { upstream: 0 }, quiet: true });
    port = Number(new URL(upstream.urls.upstream).port);
    apps = await startServers({
      only: [...SERVER_NAMES],
      ports: Object.fromEntries(SERVER_NAMES.map((name) => [name, 0])),
      syncWorkers: 2,
      upstreamUrl: upstream.urls.upstream,
      env: { UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS) },
      quiet: true,
    });
  });
  after(async () => {
    await apps?.stop();
    await upstream?.stop();
  });

  it('answers 502/504 within the bound while it is gone and 200 again once it is back, without a restart', async () => {
    const running = apps as RunningServers<ServerName>;
    const outcomes: Outcome[] = [];
    const t0 = performance.now();
    const loads = SERVER_NAMES.map((name) =>
      closedLoop(name, `${running.urls[name]}/io?delay=${DELAY}`, clients(name), 10_000, outcomes),
    );
    let serverExited = false;
    void running.exited.then(() => {
      serverExited = true;
    });

    // Each phase lasts until every server has answered at least one request per client in it
    // (polled: a loaded machine stretches the phases instead of failing the test).
    const everyServerHas = (what: string, counts: (o: Outcome) => boolean) =>
      waitFor(
        async () =>
          SERVER_NAMES.every(
            (name) => outcomes.filter((o) => o.server === name && counts(o)).length >= clients(name),
          )
            ? true
            : undefined,
        15_000,
        what,
      );
    await everyServerHas('200s before the kill', (o) => o.status === 200);
    const dead = upstream as RunningServers<'upstream'>;
    const killAt = performance.now();
    process.kill(dead.pids.upstream, 'SIGKILL');
    await dead.exited;
    const killedAt = performance.now();
    await everyServerHas('answers while the upstream is gone', (o) => o.start > killedAt);
    const restartAt = performance.now();
    upstream = await startServers({ only: ['upstream'], ports: { upstream: port }, quiet: true });
    const backAt = performance.now();
    await everyServerHas('answers once it is back', (o) => o.start > backAt + 300);
    await Promise.all(loads.map((l) => l.stop()));

    const show = (list: Outcome[]) => list.slice(0, 8).map((o) => describeOutcome(o, t0));
    // Every request answered, with an HTTP status, within its bound: no hang, no dropped connection.
    const late = outcomes.filter((o) => o.status === undefined || o.end - o.start > BOUND_MS);
    assert.deepEqual(show(late), [], `${late.length} requests unanswered or over ${BOUND_MS} ms`);
    const odd = outcomes.filter((o) => ![200, 502, 504].includes(o.status as number));
    assert.deepEqual(show(odd), [], 'statuses other than 200, 502, 504');

    for (const name of SERVER_NAMES) {
      const mine = outcomes.filter((o) => o.server === name);
      const before = mine.filter((o) => o.end < killAt);
      // Started once the upstream was dead, ended before a new one was started.
      const down = mine.filter((o) => o.start > killedAt && o.end < restartAt);
      // Started well after the new upstream answered /health.
      const recovered = mine.filter((o) => o.start > backAt + 300);
      assert.ok(before.length >= clients(name), `${name}: only ${before.length} requests before the kill`);
      assert.deepEqual(show(before.filter((o) => o.status !== 200)), [], `${name}: before the kill`);
      assert.ok(
        down.length >= clients(name),
        `${name}: only ${down.length} requests while the upstream was down`,
      );
      assert.deepEqual(
        show(down.filter((o) => o.status !== 502 && o.status !== 504)),
        [],
        `${name}: while the upstream was down`,
      );
      assert.ok(
        recovered.length >= clients(name),
        `${name}: only ${recovered.length} requests after recovery`,
      );
      assert.deepEqual(
        show(recovered.filter((o) => o.status !== 200)),
        [],
        `${name}: after the upstream came back`,
      );
      assert.ok(alive(running.pids[name]), `${name} is still the same process`);
    }
    assert.equal(serverExited, false, 'no server exited');
  });
});

describe('a sync worker killed mid-run', () => {
  const W = 2;
  const CLIENTS = 4;
  const DELAY = 0.1;
  const servers = useServers({ only: ['upstream', 'express'], syncWorkers: W, quiet: true });
  let healthAnswers = 0;
  /** A worker's pid; retried, since a call handed to the worker just as it dies is reset. */
  const health = async (): Promise<number> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const { body } = await request(`${servers.urls.express}/health`);
        healthAnswers++;
        return body.pid as number;
      } catch (err) {
        if (attempt === 3) throw err;
      }
    }
  };
  /** Idle workers get connections in turn, so 2·W sequential /health calls meet each one. */
  const workerPids = async () => {
    const pids = new Set<number>();
    for (let i = 0; i < 2 * W; i++) pids.add(await health());
    return pids;
  };
  interface Sample {
    at: number;
    cpuSeconds: number;
    served: number;
    inFlight: number;
  }

  it('is replaced; the run goes on; /stats totals never go backwards', async () => {
    const url = servers.urls.express;
    const workersBefore = await workerPids();
    assert.equal(workersBefore.size, W);
    // A worker reports its count when the connection has closed, just after its client has the
    // answer: wait for the last /health to be reported before taking the baseline.
    const idle = async () => ((await request(`${url}/stats`)).body.inFlight === 0 ? true : undefined);
    await waitFor(idle, 2000, 'idle workers');
    const statsBefore = (await request(`${url}/stats`)).body as unknown as Sample;
    healthAnswers = 0;

    const samples: Sample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { body } = await request(`${url}/stats`, { timeoutMs: 2000 });
        samples.push({ ...(body as unknown as Sample), at: performance.now() });
        await sleep(25);
      }
    })();
    const outcomes: Outcome[] = [];
    const t0 = performance.now();
    const load = closedLoop('express', `${url}/io?delay=${DELAY}`, CLIENTS, 5000, outcomes);

    // The load is running when every client has had an answer.
    await waitFor(async () => (outcomes.length >= CLIENTS ? true : undefined), 5000, 'the load under way');
    // Kill a worker that is serving a request, as a crash would.
    await waitFor(
      async () => ((await request(`${url}/stats`)).body.inFlight === W ? true : undefined),
      2000,
      'both workers busy',
    );
    const victim = [...workersBefore][0] as number;
    const killedAt = performance.now();
    process.kill(victim, 'SIGKILL');
    const workersAfter = await waitFor(
      async () => {
        const pids = await workerPids();
        return pids.size === W && !pids.has(victim) ? pids : undefined;
      },
      10_000,
      'a replacement worker',
    );
    const replacedAt = performance.now();
    // Served again: a round of answers to requests sent after the replacement, and /stats
    // sampled throughout.
    await waitFor(
      async () =>
        outcomes.filter((o) => o.start > replacedAt && o.status === 200).length >= CLIENTS &&
        samples.length > 20
          ? true
          : undefined,
      10_000,
      'answers after the replacement',
    );
    await load.stop();
    await waitFor(idle, 3000, 'the last requests');
    sampling = false;
    await sampler;
    const statsAfter = (await request(`${url}/stats`)).body as unknown as Sample;

    const show = (list: Outcome[]) => list.map((o) => describeOutcome(o, t0));
    // Only the connection the dead worker held can be lost (and, at worst, one handed to it as it
    // died); lost means a reset connection, never an HTTP error.
    const failed = outcomes.filter((o) => o.status !== 200);
    assert.ok(failed.length <= 2, `lost more than the dead worker's requests: ${show(failed).join('; ')}`);
    for (const o of failed)
      assert.match(String(o.error), /socket hang up|ECONNRESET/, describeOutcome(o, t0));
    assert.ok(
      failed.every((o) => o.start < killedAt),
      `only requests already under way at the kill: ${show(failed)}`,
    );
    const later = outcomes.filter((o) => o.start > replacedAt);
    assert.ok(later.length >= CLIENTS, `only ${later.length} requests after the replacement`);
    assert.ok(later.every((o) => o.status === 200));
    assert.ok(
      [...workersBefore].some((pid) => workersAfter.has(pid)),
      'the other worker was left alone',
    );

    assert.ok(samples.length > 20, `only ${samples.length} /stats samples`);
    for (let i = 1; i < samples.length; i++) {
      const [a, b] = [samples[i - 1] as Sample, samples[i] as Sample];
      const at = `+${(b.at - t0).toFixed(0)} ms`;
      assert.ok(
        b.cpuSeconds >= a.cpuSeconds,
        `cpuSeconds went back at ${at}: ${a.cpuSeconds} -> ${b.cpuSeconds}`,
      );
      assert.ok(b.served >= a.served, `served went back at ${at}: ${a.served} -> ${b.served}`);
    }
    // Every answer is counted once: the dead worker's count is kept, at most its last answer
    // (finished, not yet reported) is missing.
    const answered = outcomes.filter((o) => o.status === 200).length + healthAnswers;
    const counted = statsAfter.served - statsBefore.served;
    assert.ok(
      counted <= answered && counted >= answered - 1,
      `served grew by ${counted} for ${answered} answers`,
    );
  });
});

/** `npm run servers` (or the script it runs) as a user starts it. */
type Launcher = Collected;

function launch(command: 'npm' | 'node', env: Record<string, string>): Launcher {
  const args = command === 'npm' ? ['run', '--silent', 'servers'] : ['--import', 'tsx', 'scripts/servers.ts'];
  return spawnCollecting(command === 'npm' ? 'npm' : process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', SYNC_WORKERS: '2', ...env },
  });
}

describe('npm run servers with a port already in use', () => {
  const taken = net.createServer();
  let port = 0;
  before(async () => {
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as net.AddressInfo).port;
  });
  after(() => new Promise((resolve) => taken.close(resolve)));

  it('names the port, exits 1 and stops the servers it had started', async () => {
    const others: Record<string, number> = {};
    for (const env of PORT_ENVS.filter((e) => e !== 'KOA_PORT')) others[env] = await freePort();
    const run = launch('node', {
      ...Object.fromEntries(Object.entries(others).map(([k, v]) => [k, String(v)])),
      KOA_PORT: String(port),
    });
    const { code } = await run.exit;
    assert.equal(code, 1);
    const lines = run.stderr().trim().split('\n');
    // The server's own line, then the launcher's, which repeats it; nothing else (no stack trace).
    assert.equal(lines[0], `koa: port ${port} is already in use (set KOA_PORT to use another)`);
    assert.equal(lines.at(-1), `koa exited before it was ready: ${lines[0]}`);
    assert.equal(lines.length, 2, run.stderr());
    assert.equal(run.stdout(), '');
    for (const [env, p] of Object.entries(others)) assert.ok(await portFree(p), `${env}=${p} still taken`);
  });
});

describe('SIGTERM to npm run servers during load', () => {
  for (const via of ['node', 'npm'] as const) {
    const what = via === 'npm' ? 'npm (which does not pass it on)' : 'scripts/servers.ts';
    it(`to ${what}: every server and worker exits, every port is free`, async () => {
      const run = launch(via, Object.fromEntries(PORT_ENVS.map((env) => [env, '0'])));
      const pids = new Set<number>();
      try {
        await waitFor(
          async () => (run.stdout().includes('Ctrl-C stops them all.') ? true : undefined),
          30_000,
          'the servers',
        );
        const urls = Object.fromEntries(
          [...run.stdout().matchAll(/^(\S+) listening on (http:\/\/\S+) /gm)].map((m) => [
            m[1],
            m[2] as string,
          ]),
        ) as Record<'upstream' | ServerName, string>;
        assert.deepEqual(Object.keys(urls).sort(), ['upstream', ...SERVER_NAMES].sort());

        pids.add((await request(`${urls.upstream}/health`)).body.pid as number);
        for (const name of SERVER_NAMES) pids.add((await request(`${urls[name]}/stats`)).body.pid as number);
        for (let i = 0; i < 4; i++) pids.add((await request(`${urls.express}/health`)).body.pid as number);
        assert.equal(pids.size, 1 + SERVER_NAMES.length + 2, 'upstream, every server, 2 express workers');

        const outcomes: Outcome[] = [];
        const loads = [
          closedLoop('express', `${urls.express}/io?delay=0.3`, 4, 5000, outcomes),
          ...ASYNC_SERVERS.map((name) => closedLoop(name, `${urls[name]}/io?delay=0.3`, 20, 5000, outcomes)),
        ];
        // Every server under load before the signal: each has answered.
        await waitFor(
          async () =>
            ['express', ...ASYNC_SERVERS].every((name) =>
              outcomes.some((o) => o.server === name && o.status === 200),
            )
              ? true
              : undefined,
          5000,
          'every server answering',
        );
        const signalled = performance.now();
        run.child.kill('SIGTERM');
        const stoppedLoads = Promise.all(loads.map((l) => l.stop()));

        if (via === 'node') assert.deepEqual(await run.exit, { code: 0, signal: null });
        await waitFor(async () => ([...pids].some(alive) ? undefined : true), 8000, `pids ${[...pids]} gone`);
        const goneMs = performance.now() - signalled;
        for (const [name, url] of Object.entries(urls)) {
          const p = Number(new URL(url).port);
          assert.ok(await portFree(p), `${name}'s port ${p} is still taken`);
        }
        // In-flight requests end with the servers (answered or reset), none is left hanging.
        await stoppedLoads;
        assert.ok(outcomes.every((o) => o.status !== undefined || !/no answer/.test(String(o.error))));
        assert.ok(
          outcomes.some((o) => o.status === 200),
          'the load was served before the signal',
        );
        // The script stops the servers itself; via npm it notices it was orphaned (polled every 500 ms).
        assert.ok(goneMs < 7000, `stopped in ${goneMs.toFixed(0)} ms`);
      } finally {
        // On failure, leave nothing behind (the script itself stops once its servers are gone).
        for (const pid of [...pids].filter(alive)) process.kill(pid, 'SIGKILL');
        run.child.kill('SIGKILL');
      }
    });
  }
});
