// The example apps of examples/, as a user runs them: each started by its own command on a free
// port, configured by environment only, and pointed at a real upstream (the LLM gateways, through
// OPENAI_BASE_URL) or at a real PostgreSQL this file starts (the report apps). Checked from
// outside, as black-box targets: the answers, the streamed tokens as they come, how many requests
// each serves at once (sync: W workers; async: all, or as many as its database pool holds), and
// the TARGETS entries of examples/README.md through the runner's own contract check.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readRequestFiles } from '../k6/lib/black-box.ts';
import { parseTargets, type Target } from '../k6/lib/targets.ts';
import { PYTHON_PACKAGES } from '../lib/registry.ts';
import { checkContract } from '../scripts/contract.ts';
import { freePort } from '../scripts/free-port.ts';
import { DEFAULT_PYTHON } from '../servers/launch.ts';
import { tokenText } from '../servers/lib/openai-api.ts';
import { postgresProblem, usePostgres } from './helpers/postgres.ts';
import { spawnCollecting } from './helpers/processes.ts';
import { useServers, waitFor } from './helpers/servers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = path.join(ROOT, 'examples');
const PYTHON = process.env.PYTHON || DEFAULT_PYTHON;
const DEBIAN_PACKAGES: Record<string, string> = {
  ...PYTHON_PACKAGES,
  psycopg: 'python3-psycopg',
  asyncpg: 'python3-asyncpg',
};

/** Gunicorn's sync workers of the Flask apps. */
const W = 2;
/** Pool of the FastAPI report app: between W and N, so the pool, not the model, is what caps it. */
const P = 5;
/** Requests sent at once, and the seconds each one waits on IO. */
const N = 6;
const D = 1;

interface Example {
  /** Its name in examples/README.md's TARGETS lines. */
  readonly name: string;
  /** Its directory under examples/, the command's working directory. */
  readonly dir: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly model: 'sync' | 'async';
  /** The Python modules it imports. */
  readonly modules: readonly string[];
  /** Requests it serves at once when N arrive together. */
  readonly atOnce: number;
}

/** Flask under Gunicorn's sync workers, started as its docstring says: W at once. */
const gunicorn = (name: string, dir: string, modules: string[]): Example => ({
  name,
  dir,
  model: 'sync',
  command: PYTHON,
  args: ['-m', 'gunicorn', 'flask_app:app'],
  env: { WEB_CONCURRENCY: `${W}` },
  modules: ['flask', 'gunicorn', ...modules],
  atOnce: W,
});
/** FastAPI on Uvicorn, `python3 fastapi_app.py`: N at once unless something it holds caps it. */
const uvicorn = (name: string, dir: string, modules: string[], env: Record<string, string>, atOnce = N) =>
  ({
    name,
    dir,
    model: 'async',
    command: PYTHON,
    args: ['fastapi_app.py'],
    env,
    modules: ['fastapi', 'uvicorn', ...modules],
    atOnce,
  }) satisfies Example;

const GATEWAYS: readonly Example[] = [
  gunicorn('gw-flask', 'llm-gateway', ['requests']),
  // No more connections than the N of the tests: one lost by a client that leaves would show.
  uvicorn('gw-fastapi', 'llm-gateway', ['httpx'], { OPENAI_MAX_CONNECTIONS: `${N}` }),
  {
    name: 'gw-express',
    dir: 'llm-gateway/node',
    model: 'async',
    command: process.execPath,
    args: ['server.js'],
    env: {},
    modules: [],
    atOnce: N,
  },
];
const REPORTS: readonly Example[] = [
  gunicorn('report-flask', 'db-report', ['psycopg']),
  uvicorn('report-p5', 'db-report', ['asyncpg'], { DB_POOL_SIZE: `${P}` }, P),
];

/** Null when PYTHON imports every module; else one line naming the Debian packages to install. */
function pythonLacks(modules: readonly string[]): string | null {
  if (modules.length === 0) return null;
  const probe = spawnSync(
    PYTHON,
    [
      '-c',
      'import sys, importlib.util as u; print(*[m for m in sys.argv[1:] if not u.find_spec(m)])',
      ...modules,
    ],
    { encoding: 'utf8' },
  );
  if (probe.error || probe.status !== 0) return `needs Python 3 at ${PYTHON} (PYTHON names another one)`;
  const missing = probe.stdout.trim().split(' ').filter(Boolean);
  if (missing.length === 0) return null;
  const packages = missing.map((m) => DEBIAN_PACKAGES[m] ?? m);
  return `${PYTHON} lacks ${missing.join(', ')}: sudo apt-get install ${packages.join(' ')}`;
}

interface RunningExample {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts an example as its README says, on a free port, and waits until it answers HTTP. */
async function startExample(example: Example, env: Record<string, string>): Promise<RunningExample> {
  const port = await freePort();
  const child = spawnCollecting(example.command, example.args, {
    cwd: path.join(EXAMPLES, example.dir),
    // Its own process group, so stopping it reaches Gunicorn's workers too.
    detached: true,
    env: {
      ...process.env,
      ...example.env,
      ...env,
      HOST: '127.0.0.1',
      PORT: `${port}`,
      PYTHONDONTWRITEBYTECODE: '1',
    },
  });
  const pid = child.child.pid as number;
  let exited = false;
  const gone = child.exit.then(({ code, signal }) => {
    exited = true;
    const last = child.output().trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${example.name} exited (${code ?? signal}) before it answered: ${last}`);
  });
  gone.catch(() => {});
  const stop = async () => {
    if (exited) return;
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal);
      } catch {}
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 10_000);
    await child.exit;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  // Any answer will do (404 on /): the app is up and one of its workers takes requests.
  const answers = async () => {
    const res = await fetch(url).catch(() => undefined);
    await res?.arrayBuffer();
    return res?.status;
  };
  try {
    await Promise.race([gone, waitFor(answers, 60_000, `${example.name} to answer on ${url}`)]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

/** One example, started before its tests and stopped after them. */
function useExample(example: Example, env: () => Record<string, string>): { readonly url: string } {
  let running: RunningExample | undefined;
  before(async () => {
    running = await startExample(example, env());
  });
  after(() => running?.stop());
  return {
    get url() {
      if (!running) throw new Error(`${example.name} is not started yet`);
      return running.url;
    },
  };
}

const README = readFileSync(path.join(EXAMPLES, 'README.md'), 'utf8');

/**
 * Every entry of the example in examples/README.md (its table row and the TARGETS lines), pointed
 * at where the test started it, with its body file read as the runner reads it (from the root).
 */
function readmeTargets(example: Example, url: string): Target[] {
  const options = [
    ...README.matchAll(new RegExp(`\\b${example.name}=http://[^;,'\`|\\s]+(;[^,'\`|\\s]+)`, 'g')),
  ];
  assert.ok(options.length > 0, `examples/README.md has no TARGETS entry ${example.name}=http://...;...`);
  return options.map(([entry, rest]) => {
    const [target] = parseTargets(`${example.name}=${url}${rest}`);
    assert.ok(target, entry);
    assert.equal(target.model, example.model, `model= of ${entry}`);
    return readRequestFiles(target, (file) => readFileSync(path.resolve(ROOT, file), 'utf8'));
  });
}

/** The runner's check before k6 starts, on each README entry: its request, sent once, answers 2xx. */
async function assertContract(example: Example, url: string) {
  for (const target of readmeTargets(example, url)) {
    const { workers } = await checkContract(target);
    assert.equal(
      workers,
      example.model === 'sync' ? W : 1,
      `workers= of ${target.name} in examples/README.md`,
    );
  }
}

interface Timed<T> {
  readonly status: number;
  readonly body: T;
  readonly ms: number;
}

async function timed<T>(url: string, init?: RequestInit): Promise<Timed<T>> {
  const started = performance.now();
  // Bounded, so an example that never answers fails its test instead of hanging the file.
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000), ...init });
  const text = await res.text();
  const json = res.headers.get('content-type')?.startsWith('application/json');
  return { status: res.status, body: (json ? JSON.parse(text) : text) as T, ms: performance.now() - started };
}

const QUESTION = JSON.parse(readFileSync(path.join(EXAMPLES, 'llm-gateway', 'ask.json'), 'utf8'));
const postJson = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

interface Answer {
  answer?: string;
  usage?: { completion_tokens: number };
}
const ask = (url: string) => timed<Answer>(`${url}/ask`, postJson(QUESTION));

/** What the upstream's completion of `tokens` tokens says. */
const completionText = (tokens: number) =>
  Array.from({ length: tokens }, (_, i) => tokenText(i + 1)).join('');

/** POST /ask/stream: every relayed token with the ms it arrived at, and whether [DONE] ended it. */
async function askStream(url: string) {
  const started = performance.now();
  const res = await fetch(`${url}/ask/stream`, {
    ...postJson(QUESTION),
    signal: AbortSignal.timeout(30_000),
  });
  const tokens: { token: string; ms: number }[] = [];
  let done = false;
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const bytes of res.body ?? []) {
    buffer += decoder.decode(bytes, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const data = buffer.slice(0, end).replace(/^data: /, '');
      buffer = buffer.slice(end + 2);
      if (data === '[DONE]') done = true;
      else tokens.push({ token: JSON.parse(data).token, ms: performance.now() - started });
    }
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', tokens, done };
}

/** POST /ask/stream, left by the client after the first token. */
async function leaveStream(url: string): Promise<void> {
  const leave = new AbortController();
  const res = await fetch(`${url}/ask/stream`, { ...postJson(QUESTION), signal: leave.signal });
  await res.body?.getReader().read();
  leave.abort();
}

/**
 * N requests sent together to a server that serves `atOnce` at a time: the k-th answer comes after
 * about ceil(k / atOnce)·D. Loosely, for a busy machine: exactly `atOnce` answers before 1.9·D
 * (the next wave cannot come before 2·D), and the last after ceil(N / atOnce)·D but not far after.
 */
async function assertWaves(
  send: () => Promise<Timed<unknown>>,
  atOnce: number,
  during?: () => Promise<void>,
) {
  const [done] = await Promise.all([Promise.all(Array.from({ length: N }, send)), during?.()]);
  const statuses = done.map((r) => r.status).filter((s) => s !== 200);
  assert.deepEqual(statuses, [], `every answer is 200, got ${statuses.join(', ')}`);
  const ms = done.map((r) => r.ms).sort((a, b) => a - b);
  const shown = ms.map((m) => (m / 1000).toFixed(2)).join(', ');
  const first = ms.filter((m) => m < 1.9 * D * 1000).length;
  assert.equal(first, atOnce, `${atOnce} of ${N} answered in the first ${D} s, got ${first} (s: ${shown})`);
  const last = Math.ceil(N / atOnce) * D * 1000;
  const slowest = ms.at(-1) ?? 0;
  assert.ok(
    slowest >= 0.95 * last && slowest < 1.5 * last + 1000,
    `last answer near ${last} ms, got ${shown} s`,
  );
}

describe('the LLM gateway examples against the upstream', () => {
  const servers = useServers<'upstream'>({ only: ['upstream'] });
  /** What a call that names no delay waits on the upstream: delay to the first token, then one every interval. */
  const profile = async (slot: string, delay: number, tokens: number, interval: number) => {
    const res = await fetch(`${servers.urls.upstream}/profile`, {
      ...postJson({ slot, delay, tokens, interval }),
      method: 'PUT',
    });
    assert.equal(res.status, 200, `PUT /profile: ${await res.text()}`);
  };

  for (const example of GATEWAYS) {
    describe(example.name, { skip: pythonLacks(example.modules) ?? false }, () => {
      const app = useExample(example, () => ({ OPENAI_BASE_URL: `${servers.urls.upstream}/v1` }));

      it('answers POST /ask with the completion, after its wait', async () => {
        await profile(`${example.name}-ask`, 0.3, 4, 0);
        const r = await ask(app.url);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.answer, completionText(4));
        assert.equal(r.body.usage?.completion_tokens, 4);
        assert.ok(r.ms >= 295 && r.ms < 3000, `${r.ms.toFixed(0)} ms`);
      });

      it('refuses a body without a question with a 4xx', async () => {
        const r = await timed(`${app.url}/ask`, postJson({ prompt: 'no question' }));
        assert.ok(r.status >= 400 && r.status < 500, `${r.status}: ${JSON.stringify(r.body)}`);
      });

      it('relays the tokens of POST /ask/stream as they come', async () => {
        await profile(`${example.name}-stream`, 0.1, 5, 0.15);
        const s = await askStream(app.url);
        assert.equal(s.status, 200);
        assert.match(s.contentType, /^text\/event-stream/);
        assert.equal(s.tokens.map((t) => t.token).join(''), completionText(5));
        assert.ok(s.done, 'the stream ends with data: [DONE]');
        // The upstream spaces the 5 tokens over 0.6 s; a gateway that buffered would send them together.
        const span = (s.tokens.at(-1)?.ms ?? 0) - (s.tokens[0]?.ms ?? 0);
        assert.ok(span >= 300, `first to last token ${span.toFixed(0)} ms apart`);
      });

      it(`still answers after ${N} clients left their streams`, async () => {
        await profile(`${example.name}-leave`, 0.05, 20, 0.1);
        await Promise.all(Array.from({ length: N }, () => leaveStream(app.url)));
        await profile(`${example.name}-after-leave`, 0.1, 1, 0);
        // A gateway that lost a connection per stream left would wait for one for good.
        const r = await ask(app.url);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.ok(r.ms < 6000, `answered after ${r.ms.toFixed(0)} ms`);
      });

      it("passes the runner's contract check with its examples/README.md entry", async () => {
        await profile(`${example.name}-contract`, 0.1, 4, 0);
        await assertContract(example, app.url);
      });

      it(`answers ${example.atOnce} of ${N} questions at once`, async () => {
        await profile(`${example.name}-waves`, D, 1, 0);
        await assertWaves(() => ask(app.url), example.atOnce);
      });
    });
  }
});

describe('the report examples on PostgreSQL', { skip: postgresProblem() ?? false }, () => {
  const pg = usePostgres();
  /** Queries sleeping in the database now, not counting the one asking. */
  const sleeping = async () =>
    Number(
      await pg.current.query(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()",
      ),
    );

  for (const example of REPORTS) {
    describe(example.name, { skip: pythonLacks(example.modules) ?? false }, () => {
      const app = useExample(example, () => ({ DATABASE_URL: pg.current.url, REPORT_DELAY: '0.3' }));

      it('answers GET /report after the query, of ?delay= or else REPORT_DELAY', async () => {
        const asked = await timed<{ delay: number }>(`${app.url}/report?delay=0.5`);
        assert.equal(asked.status, 200, JSON.stringify(asked.body));
        assert.equal(asked.body.delay, 0.5);
        assert.ok(asked.ms >= 495 && asked.ms < 3500, `${asked.ms.toFixed(0)} ms`);
        const byDefault = await timed<{ delay: number }>(`${app.url}/report`);
        assert.equal(byDefault.body.delay, 0.3);
        assert.ok(byDefault.ms >= 295 && byDefault.ms < 3300, `${byDefault.ms.toFixed(0)} ms`);
      });

      it('refuses a delay that is not 0 to 60 seconds with a 4xx', async () => {
        for (const delay of ['abc', '-1', '61', 'nan']) {
          const r = await timed(`${app.url}/report?delay=${delay}`);
          assert.ok(r.status >= 400 && r.status < 500, `delay=${delay}: ${r.status}`);
        }
      });

      it("passes the runner's contract check with its examples/README.md entry", () =>
        assertContract(example, app.url));

      it(`holds the database with ${example.atOnce} of ${N} reports at once`, async () => {
        // Half-way through the first wave, the database is running exactly that many queries.
        const midWave = async () => {
          await new Promise((resolve) => setTimeout(resolve, D * 500));
          assert.equal(await sleeping(), example.atOnce, 'queries running in the database');
        };
        await assertWaves(() => timed(`${app.url}/report?delay=${D}`), example.atOnce, midWave);
      });
    });
  }
});
