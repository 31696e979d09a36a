// Bad input, table-driven: several hundred malformed (and a few odd but valid) requests per
// server, written byte for byte on raw sockets, so that nothing a client library would refuse to
// send is left out. Every request has one exact expected status per server, computed from the
// tables below (not from the servers' own code). For each: an answer within REPLY_TIMEOUT_MS (a
// hang fails), that status, never a 5xx; every 4xx carries a JSON `{error}` (HEAD aside: no
// body); a 405 says `Allow: GET, HEAD`; a 2xx carries the route's payload (a /stream: exactly its
// events, as text/event-stream); express closes every
// connection. After each group the server still answers /health and a valid /io, and at the end
// no process has died and nothing is left in flight. The upstream answers any path that is not
// its own with 200 (a generic external API), its OpenAI routes' 4xx with OpenAI's error object.
//
// The combinations are generated from a fixed seed, so a run is reproducible; FUZZ_SEED=<n>
// explores another set (the seed is printed with every failure).

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { LIMITS, TARGETS } from '../lib/registry.ts';
import { type RunningServers, SERVICE_NAMES, type ServiceName, startServers } from '../servers/launch.ts';
import { splitTarget } from '../servers/lib/http.ts';
import { ROUTE_PATHS } from '../servers/lib/params.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
/** Generated query/method/header combinations per server, on top of the fixed tables. */
const GENERATED = 170;
const REPLY_TIMEOUT_MS = 3000;
const W = 2;
/** Requests in flight at once per server: a sync target serves W at a time, the rest would only queue. */
const parallel = (name: ServiceName) => (name !== 'upstream' && TARGETS[name].model === 'sync' ? W : 4);

type Route =
  | '/health'
  | '/io'
  | '/fanout'
  | '/stats'
  | '/stream'
  | '/v1/chat/completions'
  | '/v1/models'
  | '/profile';
const UPSTREAM_APIS = ['/v1/chat/completions', '/v1/models', '/profile', '/profile/usage'];
const ROUTES_OF = (name: ServiceName): readonly string[] =>
  name === 'upstream' ? ['/health', '/io', '/stream', '/stats', ...UPSTREAM_APIS] : ROUTE_PATHS;
/** What a path no route of the server knows gets: 404, but the upstream answers any path. */
const missed = (except: Partial<Record<ServiceName, number>> = {}) => st(404, { upstream: 200, ...except });

interface Case {
  readonly group: string;
  readonly name: string;
  readonly method: string;
  readonly bytes: string;
  /** Expected status on this server (a list where it documentedly depends on how bytes arrive). */
  status(server: ServiceName): number | readonly number[];
  /** For a 2xx: the route served and the values it must echo. */
  readonly ok?: { route: Route; delay?: number; concurrent?: number; tokens?: number };
  /** Close the socket after this many ms: no answer is owed, but one that comes must not be a 5xx. */
  readonly abandonAfterMs?: number;
}

/** Targets built on Fastify (a cluster of it too) share fastify's documented differences. */
const FASTIFY_BASED = new Set<ServiceName>(
  SERVICE_NAMES.filter((n) => n !== 'upstream' && TARGETS[n].framework.startsWith('Fastify')),
);
/** Same status everywhere, except where a server documentedly differs (each one explained below). */
const st =
  (all: number, except: Partial<Record<ServiceName, number | readonly number[]>> = {}) =>
  (server: ServiceName) =>
    except[server] ?? (FASTIFY_BASED.has(server) ? except.fastify : undefined) ?? all;

const CRLF = '\r\n';
const request = (method: string, target: string, headers: readonly string[] = [], body = '') =>
  `${method} ${target} HTTP/1.1${CRLF}Host: fuzz${CRLF}${headers.map((h) => h + CRLF).join('')}${CRLF}${body}`;

// ---------------------------------------------------------------------------------------------
// Tables. A value's verdict: a number it must parse to, or BAD.

const BAD = Symbol('bad');
type Verdict = number | typeof BAD;

/** [query value as sent (already URL-encoded), verdict] for `delay`: only tiny valid delays. */
const DELAYS: ReadonlyArray<readonly [string, Verdict]> = [
  ['0', 0],
  ['0.01', 0.01],
  ['0.010', 0.01],
  ['.01', 0.01],
  ['0.', 0],
  ['00.005', 0.005],
  ['-0', 0],
  ['0.0015', 0.0015], // a budget of 5001.5 ms: whole milliseconds for AbortSignal.timeout
  ['0.00001', 0.00001],
  ['0.0000001', 1e-7], // sent on to the upstream as a decimal, not as 1e-7
  [`0.${'0'.repeat(300)}1`, 1e-301],
  ['%30.01', 0.01],
  ['%30%2E%30%31', 0.01],
  ['abc', BAD],
  ['NaN', BAD],
  ['Infinity', BAD],
  ['-Infinity', BAD],
  ['-1', BAD],
  ['-0.01', BAD],
  ['61', BAD],
  ['60.0001', BAD],
  ['1e309', BAD],
  ['1e-3', BAD],
  ['1E1', BAD],
  ['', BAD],
  ['+1', BAD], // '+' decodes to a space
  ['%2B0.01', BAD],
  ['%200.01', BAD],
  ['0.01%20', BAD],
  ['0x10', BAD],
  ['0b1', BAD],
  ['1_0', BAD],
  ['0.01.01', BAD],
  ['--1', BAD],
  ['.', BAD],
  ['-', BAD],
  ['e', BAD],
  ['%D9%A1', BAD], // Arabic-Indic digit one
  ['%EF%BC%91', BAD], // fullwidth digit one
  ['%E2%80%8B0.01', BAD], // zero-width space
  ['%C2%A00.01', BAD], // no-break space
  ['%zz', BAD],
  ['%', BAD],
  ['%0', BAD],
  ['%00', BAD],
  ['0.01%00', BAD],
  ['%C3%28', BAD], // invalid UTF-8
  ['%FF%FE', BAD],
  ['null', BAD],
  ['undefined', BAD],
  ['true', BAD],
  ['[]', BAD],
  ['{}', BAD],
  ['1,2', BAD],
  ['%3Cscript%3E', BAD],
  ["'%20OR%201=1--", BAD],
  ['9'.repeat(400), BAD],
  ['x'.repeat(600), BAD],
];

/** [value as sent, verdict] for `concurrent`. */
const CONCURRENTS: ReadonlyArray<readonly [string, Verdict]> = [
  ['1', 1],
  ['2', 2],
  ['3', 3],
  ['001', 1],
  ['%32', 2],
  ['0', BAD],
  ['1001', BAD],
  ['1.5', BAD],
  ['2.0', BAD],
  ['-3', BAD],
  ['1e3', BAD],
  ['99999999999999999999999', BAD],
  ['', BAD],
  ['abc', BAD],
  ['NaN', BAD],
  ['Infinity', BAD],
  ['+2', BAD],
  ['0x2', BAD],
  ['%zz', BAD],
  ['%00', BAD],
  ['%EF%BC%92', BAD],
];

/**
 * [parameter, value as sent, valid?] of a latency profile, tried on /io and on /stream with
 * delay 0: whatever the draw, 0 times it is 0, so a valid value is answered at once.
 */
const PROFILE_VALUES: ReadonlyArray<readonly [string, string, boolean]> = [
  ['dist', 'fixed', true],
  ['dist', 'exponential', true],
  ['dist', 'lognormal', true],
  ['dist', '%6Cognormal', true],
  ['dist', 'Lognormal', false],
  ['dist', 'normal', false],
  ['dist', '', false],
  ['dist', 'fixed%00', false],
  ['dist', 'fixed,lognormal', false],
  ['dist', 'fixed&dist=fixed', false], // given twice
  ['sigma', '0', true],
  ['sigma', '3', true],
  ['sigma', '.5', true],
  ['sigma', '3.0001', false],
  ['sigma', '-0.1', false],
  ['sigma', '1e0', false],
  ['sigma', 'NaN', false],
  ['sigma', '', false],
  ['seed', '0', true],
  ['seed', '4294967295', true],
  ['seed', '007', true],
  ['seed', '4294967296', false],
  ['seed', '-1', false],
  ['seed', '1.0', false],
  ['seed', '0x10', false],
  ['seed', '', false],
  ['seed', '9'.repeat(30), false],
  ['seed', '1&seed=1', false],
];

/** [/stream query as sent, the number of events it must answer with, or BAD]. */
const STREAMS: ReadonlyArray<readonly [string, Verdict]> = [
  ['tokens=1&interval=0', 1],
  ['tokens=3&interval=0.001', 3],
  ['tokens=003&interval=.001', 3],
  ['tokens=%32&interval=0&delay=0.01', 2],
  ['interval=0', BAD],
  ['tokens=0&interval=0', BAD],
  ['tokens=10001&interval=0', BAD],
  ['tokens=1.5&interval=0', BAD],
  ['tokens=-1&interval=0', BAD],
  ['tokens=1e1&interval=0', BAD],
  ['tokens=&interval=0', BAD],
  ['tokens=1&tokens=2&interval=0', BAD],
  ['tokens=1', BAD],
  ['tokens=1&interval=10.5', BAD],
  ['tokens=1&interval=-0.1', BAD],
  ['tokens=1&interval=1e-3', BAD],
  ['tokens=1&interval=Infinity', BAD],
  ['tokens=1&interval=', BAD],
  ['tokens=1&interval=0&interval=0', BAD],
  ['tokens=1&interval=0&delay=abc', BAD],
  ['tokens=1&interval=0&delay=61', BAD],
  ['tokens=1&interval=0&delay=0&delay=0', BAD],
];

/** Extra query parameters every server ignores. */
const EXTRAS = [
  'x=1',
  '__proto__=1',
  '__proto__[delay]=1',
  'constructor=x',
  'constructor[prototype][delay]=1',
  'toString=1',
  'hasOwnProperty=1',
  '%zz=1',
  'a[b]=1',
  'delay[]=1',
  'delay[a]=1',
  'DELAY=5',
  'Delay=5',
  'delay2=1',
  '=1',
  '',
  'x=%00',
  'x=%C3%A9',
  'x=%',
  'x=%%',
  'x=a+b',
  `x=${'y'.repeat(300)}`,
];

/** Headers that must not change the outcome of an otherwise valid request. */
const HARMLESS_HEADERS: ReadonlyArray<readonly string[]> = [
  ['Host: other'], // a second Host
  [`X-Long: ${'a'.repeat(8000)}`],
  [`X-Name-${'n'.repeat(1000)}: v`],
  Array.from({ length: 100 }, (_, i) => `X-H${i}: ${i}`),
  ['X-Obs-Text: \xe9\xff'],
  ['X-Tab: a\tb'],
  ['X-Empty:'],
  ['Connection: keep-alive'],
  ['Connection: close'],
  ['Connection: garbage, , ,'],
  ['Upgrade: websocket', 'Connection: Upgrade'],
  ['Upgrade: h2c', 'Connection: Upgrade, HTTP2-Settings', 'HTTP2-Settings: AAMAAABkAAQAAP__'],
  ['Expect: 100-continue'],
  ['Content-Length: 0'],
  ['Accept: \xff\xfe'],
  ['Accept-Encoding: gzip;q=abc, *;q=-1'],
  ['Content-Type: application/json'],
  ['Content-Type: \xff/\xff; charset=utf-99'],
  [`Cookie: ${'a=b; '.repeat(500)}`],
  ['X-Forwarded-For: \xff, 999.1.1.1', 'X-Forwarded-Host: <script>', 'X-Forwarded-Proto: gopher'],
  ['Range: bytes=abc'],
  ['If-None-Match: *', 'If-Modified-Since: yesterday'],
];

const OTHER_METHODS = ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'MKCOL'];
/** Not HTTP methods at all: Node's parser answers 400 before any app code runs. */
const BAD_METHODS = ['FOO', 'get', 'Get', 'BREW', 'G3T', 'GET_', '-', 'GETGETGETGETGETGET'];

// ---------------------------------------------------------------------------------------------
// Fixed cases: paths, methods, headers and bodies, wire-level breakage.

function fixedCases(): Case[] {
  const cases: Case[] = [];
  const add = (
    group: string,
    name: string,
    method: string,
    bytes: string,
    status: Case['status'],
    ok?: Case['ok'],
  ) => cases.push({ group, name, method, bytes, status, ...(ok ? { ok } : {}) });
  const health = { route: '/health' } as const;
  const io = { route: '/io', delay: 0.01 } as const;

  // Every value of the tables once, on its own: the generated mixes below may miss one.
  for (const [text, verdict] of DELAYS) {
    const ok = verdict === BAD ? undefined : ({ route: '/io', delay: verdict } as const);
    add(
      'values',
      `delay=${text.slice(0, 40)}`,
      'GET',
      request('GET', `/io?delay=${text}`),
      st(ok ? 200 : 400),
      ok,
    );
  }
  for (const [text, verdict] of CONCURRENTS) {
    const ok =
      verdict === BAD ? undefined : ({ route: '/fanout', delay: 0.01, concurrent: verdict } as const);
    // The upstream has no /fanout: any path, answered whatever the query.
    const status = st(ok ? 200 : 400, { upstream: 200 });
    add(
      'values',
      `concurrent=${text.slice(0, 40)}`,
      'GET',
      request('GET', `/fanout?delay=0.01&concurrent=${text}`),
      status,
      ok,
    );
  }

  for (const [name, text, valid] of PROFILE_VALUES) {
    const label = `${name}=${text.slice(0, 40)}`;
    add(
      'values',
      `/io ${label}`,
      'GET',
      request('GET', `/io?delay=0&${name}=${text}`),
      st(valid ? 200 : 400),
      valid ? { route: '/io', delay: 0 } : undefined,
    );
    add(
      'values',
      `/stream ${label}`,
      'GET',
      request('GET', `/stream?tokens=2&interval=0&${name}=${text}`),
      st(valid ? 200 : 400),
      valid ? { route: '/stream', tokens: 2 } : undefined,
    );
  }
  for (const [query, verdict] of STREAMS)
    add(
      'values',
      `/stream?${query}`,
      'GET',
      request('GET', `/stream?${query}`),
      st(verdict === BAD ? 400 : 200),
      verdict === BAD ? undefined : { route: '/stream', tokens: verdict },
    );

  // Paths: unknown, traversal, double slashes, odd encodings, oversized.
  const notFound: string[] = [
    '/',
    '/nope',
    '/io/',
    '/IO?delay=0.01',
    '/Health',
    '/health/',
    '//health',
    '///io?delay=0.01',
    '/health//',
    '/../../etc/passwd',
    '/io/../health',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/..%2f..%2fetc%2fpasswd',
    '/.%00./health',
    '/health%00',
    '/health%2F',
    '/io;delay=0.01',
    '/io%3Fdelay=0.01',
    '/%C3%ADo?delay=0.01',
    '/io.json?delay=0.01',
    '/fanout/1',
    '/stats/../health',
    '/\\health',
    '/health\\..\\io',
    '/~root',
    '/<script>',
    "/'%20OR%201=1",
    '*',
    '/favicon.ico',
    '/.env',
    `/${'a'.repeat(2000)}`,
  ];
  for (const path of notFound)
    add('paths', `GET ${path.slice(0, 50)}`, 'GET', request('GET', path), missed());
  // Fastify decodes the path before routing (RFC 3986: %69 is 'i'), the others route the raw path.
  add(
    'paths',
    'GET /%69o (encoded i)',
    'GET',
    request('GET', '/%69o?delay=0.01'),
    missed({ fastify: 200 }),
    io,
  );
  // Fastify refuses a path it cannot decode (400); the others do not decode it and find no route.
  for (const path of ['/%zz', '/%E0', '/%', '/io%?delay=0.01', '/%C3%28'])
    add('paths', `GET ${path}`, 'GET', request('GET', path), missed({ fastify: 400 }));
  // Absolute-form targets are valid HTTP/1.1: every server routes their path.
  add(
    'paths',
    'GET absolute-form /health',
    'GET',
    request('GET', 'http://evil.example/health'),
    st(200),
    health,
  );
  // The query ends at '#' (parseurl, and lib/http.ts's splitTarget); fastify keeps it in the value.
  add(
    'paths',
    'GET /io?delay=0.01#frag',
    'GET',
    request('GET', '/io?delay=0.01#frag'),
    st(200, { fastify: 400 }),
    io,
  );
  // Raw non-ASCII and control bytes in the target: Node's parser answers 400.
  for (const target of [
    '/\xed\xa0\x80',
    '/io?delay=\xe2\x82\xac',
    '/io?delay=0.01\x00',
    '/io?\x7f',
    '/he\x01alth',
  ])
    add('paths', `GET ${JSON.stringify(target)}`, 'GET', request('GET', target), st(400));
  // Oversized targets: the contract's 414 while the head fits Node's 16 KiB; beyond that Node's
  // parser answers 431 first. On express the primary reads the head: when more than 16 KiB
  // arrive without its end it answers 414 itself, else a worker's parser says 431.
  const pad = (n: number) => `/io?delay=0.01&pad=${'p'.repeat(n - 19)}`;
  add('paths', 'target of 2048 chars', 'GET', request('GET', pad(LIMITS.maxUrlLength)), st(200), io);
  for (const n of [LIMITS.maxUrlLength + 1, 4096, 12_000])
    add('paths', `target of ${n} chars`, 'GET', request('GET', pad(n)), st(414));
  for (const n of [17_000, 60_000])
    add('paths', `target of ${n} chars`, 'GET', request('GET', pad(n)), st(431, { express: [414, 431] }));

  // Methods on a known and an unknown path.
  for (const method of [...OTHER_METHODS, 'PURGE', 'LOCK', 'M-SEARCH', 'SOURCE']) {
    add('methods', `${method} /health`, method, request(method, '/health'), st(405));
    add('methods', `${method} /stream`, method, request(method, '/stream?tokens=1&interval=0'), st(405));
    add('methods', `${method} /nope`, method, request(method, '/nope'), missed());
  }
  // Fastify insists on a Content-Type for QUERY (a method defined to carry a body).
  add('methods', 'QUERY /io', 'QUERY', request('QUERY', '/io?delay=0.01'), st(405, { fastify: 400 }));
  add('methods', 'HEAD /health', 'HEAD', request('HEAD', '/health'), st(200), health);
  add('methods', 'HEAD /io bad delay', 'HEAD', request('HEAD', '/io?delay=abc'), st(400));
  for (const target of ['/health', 'example.com:443', '/io?delay=0.01'])
    add('methods', `CONNECT ${target}`, 'CONNECT', request('CONNECT', target), st(405));
  for (const method of [...BAD_METHODS, 'GET\t', 'PRI', 'A'.repeat(5000)])
    add(
      'methods',
      `${JSON.stringify(method.slice(0, 20))} /health`,
      method,
      request(method, '/health'),
      st(400),
    );

  // Headers: the oddities Node accepts change nothing; the ones it rejects are 400 or 431.
  for (const [i, headers] of HARMLESS_HEADERS.entries())
    add(
      'headers',
      `harmless #${i}: ${headers[0]?.slice(0, 40)}`,
      'GET',
      request('GET', '/io?delay=0.01', headers),
      st(200),
      io,
    );
  add('headers', 'no Host on HTTP/1.1', 'GET', `GET /health HTTP/1.1${CRLF}${CRLF}`, st(200), health);
  add('headers', 'empty Host', 'GET', `GET /health HTTP/1.1${CRLF}Host:${CRLF}${CRLF}`, st(200), health);
  add('headers', 'HTTP/1.0 without Host', 'GET', `GET /health HTTP/1.0${CRLF}${CRLF}`, st(200), health);
  add(
    'headers',
    'Expect: 100-continue on GET',
    'GET',
    request('GET', '/health', ['Expect: 100-continue']),
    st(200),
    health,
  );
  add('headers', 'Expect: something else', 'GET', request('GET', '/health', ['Expect: teapot']), st(417));
  const rejected: ReadonlyArray<readonly [string, readonly string[], number]> = [
    ['header value of 20 KiB', [`X-Long: ${'a'.repeat(20_000)}`], 431],
    ['3000 headers', Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`), 431],
    ['control byte in a name', ['X-B\x01d: v'], 400],
    ['NUL in a value', ['X-Bad: a\x00b'], 400],
    ['DEL in a value', ['X-Bad: a\x7fb'], 400],
    ['space before the colon', ['X-Bad : v'], 400],
    ['no colon', ['NoColon'], 400],
    ['empty name', [': v'], 400],
    ['obsolete line folding', ['X-Fold: a', ' b'], 400],
    ['Content-Length: abc', ['Content-Length: abc'], 400],
    ['Content-Length: -1', ['Content-Length: -1'], 400],
    ['Content-Length: 1e3', ['Content-Length: 1e3'], 400],
    ['Content-Length huge', ['Content-Length: 99999999999999999999'], 400],
    ['two different Content-Lengths', ['Content-Length: 1', 'Content-Length: 2'], 400],
    ['Content-Length and Transfer-Encoding', ['Content-Length: 3', 'Transfer-Encoding: chunked'], 400],
    ['Transfer-Encoding: chunked, gzip', ['Transfer-Encoding: chunked, gzip'], 400],
    ['Transfer-Encoding twice', ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], 400],
  ];
  for (const [name, headers, status] of rejected)
    add('headers', name, 'GET', request('GET', '/io?delay=0.01', headers), st(status));

  // Bodies on a GET: well-framed ones are ignored; broken framing is Node's 400. The target is a
  // route that answers only after its upstream call, so the parser's verdict on the body always
  // comes first.
  const body = (name: string, headers: readonly string[], text: string, status: number) =>
    add(
      'bodies',
      name,
      'GET',
      request('GET', '/io?delay=0.01', headers, text),
      st(status),
      status === 200 ? io : undefined,
    );
  body('GET with a body', ['Content-Length: 5'], 'hello', 200);
  body('GET with a JSON body', ['Content-Type: application/json', 'Content-Length: 2'], '{}', 200);
  body('GET with a broken JSON body', ['Content-Type: application/json', 'Content-Length: 5'], '{bad}', 200);
  body('GET chunked', ['Transfer-Encoding: chunked'], `3${CRLF}abc${CRLF}0${CRLF}${CRLF}`, 200);
  body('GET chunked, bad chunk size', ['Transfer-Encoding: chunked'], `zz${CRLF}abc${CRLF}`, 400);
  body('GET chunked, negative size', ['Transfer-Encoding: chunked'], `-1${CRLF}${CRLF}`, 400);
  body('Transfer-Encoding: gzip', ['Transfer-Encoding: gzip'], '', 400);
  body('Transfer-Encoding: identity', ['Transfer-Encoding: identity'], '', 400);
  // Bodies on other methods: 405/404 by the route rules; fastify parses a body before routing,
  // so a broken JSON body is its 400 and an oversized one its 413 (1 MiB limit).
  const big = 'a'.repeat(1_100_000);
  add(
    'bodies',
    'POST /io broken JSON',
    'POST',
    request('POST', '/io', ['Content-Type: application/json', 'Content-Length: 5'], '{bad}'),
    st(405, { fastify: 400 }),
  );
  add(
    'bodies',
    'PUT /nope broken JSON',
    'PUT',
    request('PUT', '/nope', ['Content-Type: application/json', 'Content-Length: 1'], '{'),
    missed({ fastify: 400 }),
  );
  add(
    'bodies',
    'POST /io valid JSON',
    'POST',
    request('POST', '/io', ['Content-Type: application/json', 'Content-Length: 2'], '{}'),
    st(405),
  );
  add(
    'bodies',
    'POST /io __proto__ JSON',
    'POST',
    request('POST', '/io', ['Content-Type: application/json', 'Content-Length: 21'], '{"__proto__":{"a":1}}'),
    st(405, { fastify: 400 }),
  );
  add(
    'bodies',
    'POST /io unknown type',
    'POST',
    request('POST', '/io', ['Content-Type: foo/bar', 'Content-Length: 2'], '{}'),
    st(405),
  );
  add(
    'bodies',
    'POST /io 1.1 MB text',
    'POST',
    request('POST', '/io', ['Content-Type: text/plain', `Content-Length: ${big.length}`], big),
    st(405, { fastify: 413 }),
  );
  add(
    'bodies',
    'PATCH /io unparseable Content-Type',
    'PATCH',
    request('PATCH', '/io', ['Content-Type: \xff/\xff; charset=utf-99', 'Content-Length: 2'], '{}'),
    st(405, { fastify: 415 }),
  );
  add(
    'bodies',
    'OPTIONS /nope JSON type, no body',
    'OPTIONS',
    request('OPTIONS', '/nope', ['Content-Type: application/json']),
    missed({ fastify: 400 }),
  );

  // The upstream's APIs for real services: bad bodies refused (OpenAI's error object on /v1), reads
  // answered; on the targets unknown paths (fastify parses a JSON body before it routes).
  const json = (method: string, path: string, text: string) =>
    request(
      method,
      path,
      ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(text)}`],
      text,
    );
  const chat = '/v1/chat/completions';
  const hi = '"messages":[{"role":"user","content":"hi"}]';
  for (const text of [
    '{}',
    '{"messages":[]}',
    `{${hi},"max_tokens":0}`,
    `{${hi},"max_tokens":10001}`,
    '[1]',
    '""',
  ])
    add('apis', `POST ${chat} ${text}`, 'POST', json('POST', chat, text), st(404, { upstream: 400 }));
  add(
    'apis',
    `POST ${chat} {bad`,
    'POST',
    json('POST', chat, '{bad'),
    st(404, { upstream: 400, fastify: 400 }),
  );
  add('apis', `POST ${chat} valid`, 'POST', json('POST', chat, `{${hi}}`), st(404, { upstream: 200 }), {
    route: chat,
  });
  add('apis', 'GET /v1/models', 'GET', request('GET', '/v1/models'), st(404, { upstream: 200 }), {
    route: '/v1/models',
  });
  add('apis', 'GET /profile', 'GET', request('GET', '/profile'), st(404, { upstream: 200 }), {
    route: '/profile',
  });
  for (const text of ['{"slot":"x","delay":61}', '{"slot":"x"}', '{"delay":1}', '{bad'])
    add(
      'apis',
      `PUT /profile ${text}`,
      'PUT',
      json('PUT', '/profile', text),
      st(404, { upstream: 400, fastify: text === '{bad' ? 400 : 404 }),
    );
  add('apis', 'GET /profile/usage?slot=none', 'GET', request('GET', '/profile/usage?slot=none'), st(404));

  // The wire: request lines that are not HTTP/1.x, or are broken.
  const wire = (name: string, bytes: string, status: Case['status'], ok?: Case['ok']) =>
    add('wire', name, 'GET', bytes, status, ok);
  // llhttp reads a missing version as HTTP/0.9 and accepts a 2.0 line; both are served as 1.x.
  wire('HTTP/0.9 style (no version)', `GET /health${CRLF}${CRLF}`, st(200), health);
  wire('no version, with headers', `GET /health${CRLF}Host: a${CRLF}${CRLF}`, st(200), health);
  wire('HTTP/2.0 in text', `GET /health HTTP/2.0${CRLF}Host: a${CRLF}${CRLF}`, st(200), health);
  wire(
    'blank lines before the request',
    `${CRLF}${CRLF}GET /health HTTP/1.1${CRLF}Host: a${CRLF}${CRLF}`,
    st(200),
    health,
  );
  wire('two spaces after the method', `GET  /health HTTP/1.1${CRLF}Host: a${CRLF}${CRLF}`, st(200), health);
  wire('two pipelined requests', request('GET', '/health') + request('GET', '/health'), st(200), health);
  for (const [name, bytes] of [
    ['HTTP/1.2', `GET /health HTTP/1.2${CRLF}Host: a${CRLF}${CRLF}`],
    ['HTTP/3.0', `GET /health HTTP/3.0${CRLF}Host: a${CRLF}${CRLF}`],
    ['HTTP/1.1x', `GET /health HTTP/1.1x${CRLF}Host: a${CRLF}${CRLF}`],
    ['HTTPS/1.1', `GET /health HTTPS/1.1${CRLF}Host: a${CRLF}${CRLF}`],
    ['lowercase http/1.1', `GET /health http/1.1${CRLF}Host: a${CRLF}${CRLF}`],
    ['method only', `GET${CRLF}${CRLF}`],
    ['no method', ` /health HTTP/1.1${CRLF}Host: a${CRLF}${CRLF}`],
    ['space inside the target', `GET /hea lth HTTP/1.1${CRLF}Host: a${CRLF}${CRLF}`],
    ['tab after the method', `GET\t/health HTTP/1.1${CRLF}Host: a${CRLF}${CRLF}`],
    ['CR without LF', 'GET /health HTTP/1.1\rHost: a\r\r'],
    ['CR without LF inside a header', `GET /health HTTP/1.1${CRLF}Host: a\rX: y${CRLF}${CRLF}`],
    ['LF only', 'GET /health HTTP/1.1\nHost: a\n\n'],
    ['LF only after the request line', `GET /health HTTP/1.1${CRLF}Host: a\n\n`],
    ['LF after the request line', `GET /health HTTP/1.1\nHost: a${CRLF}${CRLF}`],
    ['garbage', `\x00\x01\x02garbage${CRLF}${CRLF}`],
    ['a TLS ClientHello', '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03'],
    ['the HTTP/2 preface', `PRI * HTTP/2.0${CRLF}${CRLF}SM${CRLF}${CRLF}`],
    ['an SSH banner', `SSH-2.0-OpenSSH_9.6${CRLF}`],
    ['a Redis command', `*1${CRLF}$4${CRLF}PING${CRLF}`],
    ['JSON instead of HTTP', `{"get": "/health"}${CRLF}${CRLF}`],
  ] as const)
    wire(name, bytes, st(400));
  // Clients that leave mid-request: no answer is owed, the server must simply carry on.
  const abandon = (name: string, bytes: string) =>
    cases.push({ group: 'wire', name, method: 'GET', bytes, status: st(0), abandonAfterMs: 100 });
  abandon('a huge head, then gone', `GET /health HTTP/1.1${CRLF}X: ${'a'.repeat(100_000)}`);
  abandon('half a request line, then gone', 'GET /hea');
  abandon('a head without its end, then gone', `GET /io?delay=0.01 HTTP/1.1${CRLF}Host: a${CRLF}`);
  abandon(
    'a body shorter than announced, then gone',
    request('GET', '/nope', ['Content-Length: 100'], 'abc'),
  );
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Generated cases: seeded combinations of path, query values, extras, method and a header.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generatedCases(seed: number, count: number): Case[] {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const chance = (p: number) => random() < p;
  /** Percent-encodes some unreserved characters: the decoded value, and so the verdict, is unchanged. */
  const encodeSome = (value: string) =>
    value.replace(/[0-9.a-zA-Z]/g, (c) =>
      chance(0.3) ? `%${c.charCodeAt(0).toString(16).toUpperCase()}` : c,
    );

  const cases = new Map<string, Case>();
  for (let attempt = 0; cases.size < count && attempt < count * 20; attempt++) {
    const path = pick([
      '/io',
      '/io',
      '/io',
      '/fanout',
      '/fanout',
      '/fanout',
      '/health',
      '/stats',
      '/nope',
      '/ioo',
      '/Io',
    ]);
    const params: string[] = [];
    let delay: Verdict | undefined;
    let concurrent: Verdict | undefined;
    if (chance(0.9)) {
      const [text, verdict] = pick(DELAYS);
      params.push(`delay=${/%/.test(text) ? text : encodeSome(text)}`);
      delay = verdict;
      if (chance(0.08)) {
        params.push(`delay=${pick(DELAYS)[0]}`);
        delay = BAD; // given twice
      }
    }
    if (path === '/fanout' ? chance(0.85) : chance(0.15)) {
      const [text, verdict] = pick(CONCURRENTS);
      params.push(`concurrent=${/%/.test(text) ? text : encodeSome(text)}`);
      concurrent = verdict;
      if (chance(0.08)) {
        params.push(`concurrent=${pick(CONCURRENTS)[0]}`);
        concurrent = BAD;
      }
    }
    for (let i = Math.floor(random() * 3); i > 0; i--)
      params.splice(Math.floor(random() * (params.length + 1)), 0, pick(EXTRAS));
    const roll = random();
    const method =
      roll < 0.72 ? 'GET' : roll < 0.82 ? 'HEAD' : roll < 0.95 ? pick(OTHER_METHODS) : pick(BAD_METHODS);
    // A Content-Type is harmless on GET and HEAD only: fastify parses the body of other methods
    // before it routes (the bodies group holds those cases, with fastify's own statuses).
    const readOnly = method === 'GET' || method === 'HEAD';
    const headers = chance(0.3)
      ? pick(
          readOnly ? HARMLESS_HEADERS : HARMLESS_HEADERS.filter((h) => !/^Content-Type/m.test(h.join('\n'))),
        )
      : [];
    let target = params.length > 0 || chance(0.5) ? `${path}?${params.join('&')}` : path;
    if (chance(0.04)) target += `&pad=${'q'.repeat(LIMITS.maxUrlLength)}`;

    const status = (server: ServiceName): number => {
      if (BAD_METHODS.includes(method)) return 400;
      if (target.length > LIMITS.maxUrlLength) return 414;
      const known = ROUTES_OF(server).includes(path);
      if (!known) return server === 'upstream' ? 200 : 404;
      if (method !== 'GET' && method !== 'HEAD') return 405;
      if (path === '/io' || path === '/fanout') {
        if (delay === undefined || delay === BAD) return 400;
        if (path === '/fanout' && (concurrent === undefined || concurrent === BAD)) return 400;
      }
      return 200;
    };
    const ok = {
      route: path as Route,
      ...(typeof delay === 'number' ? { delay } : {}),
      ...(typeof concurrent === 'number' ? { concurrent } : {}),
    };
    const bytes = request(method, target, headers);
    const name = `${method} ${target.length > 90 ? `${target.slice(0, 90)}...(${target.length})` : target}${headers.length ? ` + ${headers[0]?.slice(0, 30)}` : ''}`;
    cases.set(bytes, { group: 'generated', name, method, bytes, status, ok });
  }
  return [...cases.values()];
}

// ---------------------------------------------------------------------------------------------
// A raw HTTP/1.x client: writes the bytes, reads the first complete response.

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection without a complete response. */
  closed: boolean;
  timedOut: boolean;
}

function send(
  port: number,
  bytes: string,
  method: string,
  timeoutMs: number,
  abandonAfterMs?: number,
): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (reply: Partial<RawReply>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: 0, headers: {}, body: '', closed: false, timedOut: false, ...reply });
    };
    const timer = setTimeout(
      () => finish({ timedOut: abandonAfterMs === undefined }),
      abandonAfterMs ?? timeoutMs,
    );
    const parse = (): Partial<RawReply> | undefined => {
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return undefined;
        const [line = '', ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(line)?.[1] ?? 0);
        if (status >= 100 && status < 200) {
          buf = buf.subarray(end + 4); // 100 Continue: the real answer follows
          continue;
        }
        const headers: Record<string, string> = {};
        for (const h of lines) {
          const colon = h.indexOf(':');
          if (colon > 0) headers[h.slice(0, colon).toLowerCase()] = h.slice(colon + 1).trim();
        }
        // A stream has no length: chunked (the keep-alive servers, and express too on HTTP/1.1).
        if (method !== 'HEAD' && /chunked/i.test(headers['transfer-encoding'] ?? '')) {
          const body = dechunk(buf.subarray(end + 4));
          return body === undefined ? undefined : { status, headers, body };
        }
        const length = method === 'HEAD' ? 0 : Number(headers['content-length'] ?? Number.NaN);
        if (!Number.isFinite(length)) return undefined; // no length: read until the server closes
        if (buf.length < end + 4 + length) return undefined;
        return { status, headers, body: buf.subarray(end + 4, end + 4 + length).toString('utf8') };
      }
    };
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const reply = parse();
      if (reply) finish(reply);
    });
    socket.on('error', () => {}); // reset by the server: 'close' follows
    socket.on('close', () => {
      const reply = parse();
      if (reply) return finish(reply);
      // A response without a length ends with the connection.
      const end = buf.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(buf.toString('latin1'))?.[1] ?? 0);
      finish({ status, body: end === -1 ? '' : buf.subarray(end + 4).toString('utf8'), closed: true });
    });
    socket.write(Buffer.from(bytes, 'latin1'));
  });
}

/** A complete chunked body, decoded; undefined while its last chunk has not arrived. */
function dechunk(bytes: Buffer): string | undefined {
  const parts: Buffer[] = [];
  for (let at = 0; ; ) {
    const eol = bytes.indexOf('\r\n', at);
    if (eol === -1) return undefined;
    const size = Number.parseInt(bytes.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) return undefined; // not a chunk: read until the server closes
    if (size === 0) return bytes.length >= eol + 4 ? Buffer.concat(parts).toString('utf8') : undefined;
    if (bytes.length < eol + 2 + size + 2) return undefined;
    parts.push(bytes.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** What is wrong with this reply for this case on this server, or undefined. */
function check(server: ServiceName, c: Case, r: RawReply): string | undefined {
  const status = c.status(server);
  const expected: readonly number[] = typeof status === 'number' ? [status] : status;
  if (c.abandonAfterMs !== undefined) return r.status < 500 ? undefined : `answered ${r.status}`;
  if (r.timedOut) return `no answer within ${REPLY_TIMEOUT_MS} ms`;
  if (r.status === 0) return `connection closed without an answer`;
  if (r.status >= 500) return `server error ${r.status}: ${r.body.slice(0, 200)}`;
  if (!expected.includes(r.status))
    return `status ${r.status}, expected ${expected.join(' or ')}: ${r.body.slice(0, 200)}`;
  if (server === 'express' && r.headers.connection !== 'close') return 'express kept the connection open';
  const streamed = r.status === 200 && c.ok?.route === '/stream';
  const type = streamed ? /^text\/event-stream/ : /^application\/json/;
  if (c.method !== 'HEAD' && !type.test(r.headers['content-type'] ?? ''))
    return `content-type ${r.headers['content-type']}: ${r.body.slice(0, 100)}`;
  if (streamed) {
    const tokens = c.ok?.tokens ?? 0;
    const events = Array.from({ length: tokens }, (_, i) => `data: {"token":${i + 1},"of":${tokens}}\n\n`);
    return r.body === events.join('') ? undefined : `stream of ${tokens} events: ${r.body.slice(0, 200)}`;
  }
  if (r.status === 405 && r.headers.allow !== 'GET, HEAD') return `405 with Allow: ${r.headers.allow}`;
  if (c.method === 'HEAD') return r.body === '' ? undefined : 'HEAD answered with a body';
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(r.body);
  } catch {
    return `body is not JSON: ${r.body.slice(0, 100)}`;
  }
  const path = targetPath(c);
  if (r.status >= 400 && server === 'upstream' && path.startsWith('/v1/')) {
    const error = body.error as Record<string, unknown> | undefined;
    const keys = Object.keys(error ?? {}).sort();
    return keys.join() === 'code,message,param,type' && typeof error?.message === 'string'
      ? undefined
      : `4xx body is not OpenAI's {error: {message, type, param, code}}: ${r.body.slice(0, 200)}`;
  }
  if (r.status >= 400) {
    const keys = Object.keys(body);
    return keys.length === 1 && typeof body.error === 'string' && body.error.length > 0
      ? undefined
      : `4xx body is not {error: string}: ${r.body.slice(0, 200)}`;
  }
  if (server === 'upstream' && !ROUTES_OF(server).includes(path)) {
    const anyPath =
      typeof body.delay === 'number' && body.method === c.method && typeof body.path === 'string';
    return anyPath ? undefined : `any-path payload: ${r.body.slice(0, 200)}`;
  }
  return checkPayload(server, c.ok, body);
}

/** The path a case's request line asks for, as the servers split it. */
function targetPath(c: Case): string {
  const target = /^(?:\r\n)*\S+ +(\S+)/.exec(c.bytes)?.[1] ?? '';
  return splitTarget(target).path;
}

function checkPayload(
  server: ServiceName,
  ok: Case['ok'],
  body: Record<string, unknown>,
): string | undefined {
  if (!ok) return 'a 2xx nobody expected a payload for';
  const wrong = (what: string) => `${ok.route} payload ${what}: ${JSON.stringify(body).slice(0, 200)}`;
  if (server === 'upstream') {
    if (ok.route === '/health') return body.status === 'ok' ? undefined : wrong('status');
    if (ok.route === '/stats') return typeof body.streamsOpen === 'number' ? undefined : wrong('streamsOpen');
    if (ok.route === '/v1/chat/completions')
      return body.object === 'chat.completion' ? undefined : wrong('object');
    if (ok.route === '/v1/models') return body.object === 'list' ? undefined : wrong('object');
    if (ok.route === '/profile') return typeof body.slot === 'string' ? undefined : wrong('slot');
    return body.delay === ok.delay ? undefined : wrong(`delay, expected ${ok.delay}`);
  }
  if (body.server !== server) return wrong('server');
  if (ok.route === '/health' && body.status !== 'ok') return wrong('status');
  if (ok.route === '/stats' && typeof body.cpuSeconds !== 'number') return wrong('cpuSeconds');
  // `===`, not Object.is: '-0' is a valid delay that comes back as 0.
  if ((ok.route === '/io' || ok.route === '/fanout') && body.delay !== ok.delay)
    return wrong(`delay, expected ${ok.delay}`);
  if (ok.route === '/fanout' && body.concurrent !== ok.concurrent)
    return wrong(`concurrent, expected ${ok.concurrent}`);
  return undefined;
}

async function runAll(server: ServiceName, port: number, cases: readonly Case[]): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let c = cases[next++]; c; c = cases[next++]) {
      const reply = await send(port, c.bytes, c.method, REPLY_TIMEOUT_MS, c.abandonAfterMs);
      const problem = check(server, c, reply);
      if (problem) failures.push(`[${c.group}] ${c.name}: ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: parallel(server) }, worker));
  return failures;
}

// ---------------------------------------------------------------------------------------------

const FIXED = fixedCases();
const GENERATED_CASES = generatedCases(SEED, GENERATED);
const GROUPS = [...new Set([...FIXED, ...GENERATED_CASES].map((c) => c.group))];

describe(`fuzz: ${FIXED.length} fixed + ${GENERATED_CASES.length} generated malformed requests per server (seed ${SEED})`, () => {
  let servers: RunningServers | undefined;
  before(async () => {
    servers = await startServers({
      ports: Object.fromEntries(SERVICE_NAMES.map((name) => [name, 0])),
      syncWorkers: W,
      quiet: true,
    });
  });
  after(() => servers?.stop());
  const url = (name: ServiceName) => (servers as RunningServers).urls[name];

  it('has at least 200 cases per server, each with one expected status everywhere', () => {
    assert.ok(FIXED.length + GENERATED_CASES.length >= 200);
    // The generated set mixes valid requests in, but stays mostly malformed.
    const valid = GENERATED_CASES.filter((c) => c.status('koa') === 200).length;
    assert.ok(
      valid < GENERATED_CASES.length / 2,
      `${valid} of ${GENERATED_CASES.length} generated cases are valid`,
    );
  });

  for (const name of SERVICE_NAMES) {
    describe(name, () => {
      let workersBefore = new Set<number>();
      before(async () => {
        if (name === 'express') workersBefore = await expressWorkers(url(name));
      });

      for (const group of GROUPS) {
        const cases = [...FIXED, ...GENERATED_CASES].filter((c) => c.group === group);
        it(`${group} (${cases.length}): the expected 4xx (or 2xx) with a JSON body, then /health and /io still answer`, async () => {
          const port = Number(new URL(url(name)).port);
          const failures = await runAll(name, port, cases);
          assert.deepEqual(
            failures.slice(0, 25),
            [],
            `${failures.length} of ${cases.length} failed on ${name} (FUZZ_SEED=${SEED})`,
          );
          await assertHealthy(name, url(name));
        });
      }

      it('has lost no process and left nothing in flight', async () => {
        const pid = (servers as RunningServers).pids[name];
        assert.doesNotThrow(() => process.kill(pid, 0), `${name} (pid ${pid}) is gone`);
        if (name === 'express')
          assert.deepEqual(await expressWorkers(url(name)), workersBefore, 'a worker was replaced');
        const deadline = Date.now() + 3000;
        for (;;) {
          const stats = JSON.parse((await send(port(url(name)), request('GET', '/stats'), 'GET', 2000)).body);
          // The upstream counts open streams apart and has no queue.
          if (stats.inFlight === 0 && (stats.queued ?? 0) === 0 && (stats.streamsOpen ?? 0) === 0) break;
          assert.ok(Date.now() < deadline, `still in flight: ${JSON.stringify(stats)}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
    });
  }
});

const port = (base: string) => Number(new URL(base).port);

async function assertHealthy(name: ServiceName, base: string): Promise<void> {
  const health = await send(port(base), request('GET', '/health'), 'GET', REPLY_TIMEOUT_MS);
  assert.equal(health.status, 200, `${name} /health after the fuzz: ${health.status} ${health.body}`);
  const io = await send(port(base), request('GET', '/io?delay=0.01'), 'GET', REPLY_TIMEOUT_MS);
  assert.equal(io.status, 200, `${name} /io after the fuzz: ${io.status} ${io.body}`);
  assert.equal(JSON.parse(io.body).delay, 0.01);
}

/** Idle workers are handed connections in turn, so 2·W sequential /health calls meet each of them. */
async function expressWorkers(base: string): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < 2 * W; i++)
    pids.add(
      JSON.parse((await send(port(base), request('GET', '/health'), 'GET', REPLY_TIMEOUT_MS)).body).pid,
    );
  return pids;
}
