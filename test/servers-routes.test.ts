import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS, TARGETS } from '../lib/registry.ts';
import { PYTHON_TARGET_NAMES, pythonProblem, type ServiceName } from '../servers/launch.ts';
import { NODE_SERVERS, request, useServers } from './helpers/servers.ts';

/** The Python targets run the same table when Debian's packages are there; else they say why not. */
const PYTHON_MISSING = pythonProblem(PYTHON_TARGET_NAMES);
const TESTED = [...NODE_SERVERS, ...(PYTHON_MISSING ? [] : PYTHON_TARGET_NAMES)];

const long = 'x'.repeat(LIMITS.maxUrlLength);

/** [method, path, status, words the error must contain] */
const BAD_INPUT: Array<[string, string, number, string]> = [
  ['GET', '/io?delay=abc', 400, "delay must be a number between 0 and 60, got 'abc'"],
  ['GET', '/io?delay=-1', 400, "delay must be a number between 0 and 60, got '-1'"],
  ['GET', '/io?delay=60.5', 400, "delay must be a number between 0 and 60, got '60.5'"],
  ['GET', '/io?delay=', 400, "delay must be a number between 0 and 60, got ''"],
  ['GET', '/io?delay=Infinity', 400, 'delay must be a number'],
  ['GET', '/io', 400, 'delay is required'],
  ['GET', '/io?delay=1&delay=2', 400, 'delay must be given once'],
  ['GET', '/fanout?delay=0&concurrent=0', 400, "concurrent must be an integer between 1 and 1000, got '0'"],
  [
    'GET',
    '/fanout?delay=0&concurrent=1001',
    400,
    "concurrent must be an integer between 1 and 1000, got '1001'",
  ],
  [
    'GET',
    '/fanout?delay=0&concurrent=2.5',
    400,
    "concurrent must be an integer between 1 and 1000, got '2.5'",
  ],
  ['GET', '/fanout?delay=0&concurrent=ten', 400, "got 'ten'"],
  ['GET', '/fanout?delay=0', 400, 'concurrent is required'],
  ['GET', '/fanout?delay=x&concurrent=1', 400, 'delay must be a number'],
  ['GET', '/nope', 404, 'no route GET /nope'],
  ['GET', '/', 404, 'no route GET /'],
  ['POST', '/io?delay=0', 405, 'method POST is not allowed on /io'],
  ['DELETE', '/health', 405, 'method DELETE is not allowed on /health'],
  ['GET', `/io?delay=0&pad=${long}`, 414, `request target must be at most ${LIMITS.maxUrlLength} characters`],
  ['GET', '/io?delay=1&dist=pareto', 400, "dist must be one of fixed, exponential, lognormal, got 'pareto'"],
  ['GET', '/io?delay=1&dist=lognormal&sigma=4', 400, "sigma must be a number between 0 and 3, got '4'"],
  ['GET', '/io?delay=1&sigma=x', 400, "sigma must be a number between 0 and 3, got 'x'"],
  ['GET', '/io?delay=1&seed=-1', 400, "seed must be an integer between 0 and 4294967295, got '-1'"],
  [
    'GET',
    '/io?delay=1&seed=4294967296',
    400,
    "seed must be an integer between 0 and 4294967295, got '4294967296'",
  ],
  ['GET', '/io?delay=1&seed=1&seed=2', 400, 'seed must be given once'],
  ['GET', '/stream?interval=0.1', 400, 'tokens is required'],
  ['GET', '/stream?tokens=0&interval=0.1', 400, "tokens must be an integer between 1 and 10000, got '0'"],
  [
    'GET',
    '/stream?tokens=10001&interval=0.1',
    400,
    "tokens must be an integer between 1 and 10000, got '10001'",
  ],
  ['GET', '/stream?tokens=5', 400, 'interval is required'],
  ['GET', '/stream?tokens=5&interval=11', 400, "interval must be a number between 0 and 10, got '11'"],
  ['GET', '/stream?tokens=5&interval=0.1&delay=-2', 400, "delay must be a number between 0 and 60, got '-2'"],
  [
    'GET',
    '/stream?tokens=5&interval=0.1&dist=x',
    400,
    "dist must be one of fixed, exponential, lognormal, got 'x'",
  ],
  ['GET', '/stream?tokens=5&interval=0.1&sigma=9', 400, "sigma must be a number between 0 and 3, got '9'"],
  [
    'GET',
    '/stream?tokens=5&interval=0.1&seed=1.5',
    400,
    "seed must be an integer between 0 and 4294967295, got '1.5'",
  ],
  ['GET', '/stream?tokens=5&tokens=6&interval=0.1', 400, 'tokens must be given once'],
  ['GET', '/stream?tokens=5&interval=0.1&interval=0.2', 400, 'interval must be given once'],
  ['GET', '/io?delay=1&dist=lognormal&dist=fixed', 400, 'dist must be given once'],
  ['POST', '/stream?tokens=1&interval=0', 405, 'method POST is not allowed on /stream'],
];

describe('routes of every built-in target', () => {
  const servers = useServers<ServiceName>({ syncWorkers: 1, only: ['upstream', ...TESTED] });

  if (PYTHON_MISSING) it.skip(`flask and quart: ${PYTHON_MISSING}`);

  for (const name of TESTED) {
    describe(name, () => {
      it('answers /health with its name, model, workers and pid', async () => {
        const { status, body } = await request(`${servers.urls[name]}/health`);
        assert.equal(status, 200);
        assert.deepEqual(
          { ...body, pid: typeof body.pid },
          { status: 'ok', server: name, model: TARGETS[name].model, workers: 1, pid: 'number' },
        );
      });

      it('answers /io and /fanout with what it did', async () => {
        const io = await request(`${servers.urls[name]}/io?delay=0.01`);
        assert.equal(io.status, 200);
        assert.equal(io.body.server, name);
        assert.equal(io.body.delay, 0.01);
        assert.ok((io.body.elapsedMs as number) >= 10);
        const fan = await request(`${servers.urls[name]}/fanout?delay=0&concurrent=3`);
        assert.deepEqual(
          { ...fan.body, elapsedMs: 0 },
          { server: name, delay: 0, concurrent: 3, elapsedMs: 0 },
        );
      });

      it('answers /stats with cumulative figures', async () => {
        const { status, body } = await request(`${servers.urls[name]}/stats`);
        assert.equal(status, 200);
        assert.deepEqual(Object.keys(body).sort(), [
          'cpuSeconds',
          'inFlight',
          'model',
          'pid',
          'queued',
          'rssBytes',
          'served',
          'server',
          'uptimeSeconds',
          'workers',
        ]);
        assert.ok((body.cpuSeconds as number) > 0);
        assert.ok((body.rssBytes as number) > 10_000_000);
        assert.equal(body.queued, 0);
      });

      for (const [method, path, status, words] of BAD_INPUT) {
        it(`${method} ${path.length > 60 ? `${path.slice(0, 30)}...(${path.length} chars)` : path} -> ${status}`, async () => {
          const reply = await request(`${servers.urls[name]}${path}`, { method });
          assert.equal(reply.status, status);
          assert.match(String(reply.headers['content-type']), /^application\/json/);
          assert.ok(
            String(reply.body.error).includes(words),
            `error ${JSON.stringify(reply.body)} should contain ${JSON.stringify(words)}`,
          );
          if (status === 405) assert.equal(reply.headers.allow, 'GET, HEAD');
        });
      }

      it('adds no etag or x-powered-by', async () => {
        const { headers } = await request(`${servers.urls[name]}/health`);
        assert.equal(headers.etag, undefined);
        assert.equal(headers['x-powered-by'], undefined);
      });
    });
  }

  it('express closes the connection after every response, as a Gunicorn sync worker does', async () => {
    const { headers } = await request(`${servers.urls.express}/health`);
    assert.equal(headers.connection, 'close');
  });

  describe('upstream', () => {
    it('answers /io after the delay it is asked for', async () => {
      const { status, body, ms } = await request(`${servers.urls.upstream}/io?delay=0.1`);
      assert.equal(status, 200);
      assert.deepEqual(body, { delay: 0.1 });
      assert.ok(ms >= 100 && ms < 200, `took ${ms} ms`);
    });

    it('validates the delay like the servers do', async () => {
      const { status, body } = await request(`${servers.urls.upstream}/io?delay=61`);
      assert.equal(status, 400);
      assert.equal(body.error, "delay must be a number between 0 and 60, got '61'");
    });

    it('answers /stats with the waits and streams it holds open', async () => {
      const { status, body } = await request(`${servers.urls.upstream}/stats`);
      assert.equal(status, 200);
      assert.deepEqual(Object.keys(body).sort(), ['inFlight', 'pid', 'served', 'server', 'streamsOpen']);
      assert.equal(body.server, 'upstream');
      assert.ok((body.served as number) > 0);
    });

    it('has no /fanout', async () => {
      assert.equal((await request(`${servers.urls.upstream}/fanout?delay=0&concurrent=1`)).status, 404);
    });
  });
});
