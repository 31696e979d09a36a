// Black-box targets: a TARGETS entry that names the request k6 sends instead of /io. Parsing
// and its refusals (each one line), the files the runner reads for k6, the request k6 builds
// from it, the contract check that sends it once to a real server, and how the runner decides
// to measure its CPU.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cpuMeasuredBy, readRequestFiles } from '../k6/lib/black-box.ts';
import { readConfig } from '../k6/lib/config.ts';
import { buildPlan } from '../k6/lib/plan.ts';
import { declaredRequests } from '../k6/lib/request.ts';
import { runEnv } from '../k6/lib/run-info.ts';
import { formatTargets, parseTargets, type Target } from '../k6/lib/targets.ts';
import { thresholdSpecs } from '../k6/lib/thresholds.ts';
import { METRICS } from '../lib/registry.ts';
import { checkContract } from '../scripts/contract.ts';
import { placeCpu } from '../scripts/proc-tree.ts';
import { closedPort } from './helpers/servers.ts';

const only = (raw: string): Target => parseTargets(raw)[0] ?? assert.fail(`no target in ${raw}`);

/** Asserts that `fn` throws one line matching `pattern`. */
function refuses(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: Error) => {
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), `more than one line: ${err.message}`);
    return true;
  });
}

describe('a black-box TARGETS entry', () => {
  it('declares the request, the model and W instead of answering the contract', () => {
    const t = only(
      'gw=http://127.0.0.1:9001;model=sync;workers=2;path=/ask?lang=en;method=post;body={"q": "hi"};header=Authorization: Bearer abc;header=X-Trace: 1',
    );
    assert.equal(t.workers, 2);
    assert.deepEqual(t.request, {
      method: 'POST',
      path: '/ask?lang=en',
      headers: [
        ['Authorization', 'Bearer abc'],
        ['X-Trace', '1'],
      ],
      body: '{"q": "hi"}',
    });
    assert.equal(t.statsUrl, '', 'no /stats: not measured until the runner decides');
    assert.equal(cpuMeasuredBy(t), 'not measured');
    assert.equal(only('gw=http://h:1;model=async;path=/ask').request?.method, 'GET');
    assert.equal(only('gw=http://h:1;model=async;path=/ask;body=@ask.json').request?.method, 'POST');
  });

  it('percent-decodes a body or header value, so , ; and % are written %2C %3B %25, and passes any body to k6 whole', () => {
    const t = only(
      'gw=http://h:1;model=async;path=/a;body={"a":1%2C"b":"x%3By"%2C"c":"50%25"};header=Accept: a%2C b',
    );
    assert.equal(t.request?.body, '{"a":1,"b":"x;y","c":"50%"}');
    assert.deepEqual(t.request?.headers, [['Accept', 'a, b']]);
    const tricky = Object.assign({}, t, {
      request: Object.assign({}, t.request, { body: ' {"p": "%2C, %; é"}\r\n\t ' }),
    });
    const [again] = parseTargets(formatTargets([tricky]));
    assert.deepEqual(again, tricky);
  });

  it('reaches k6 whole: through readConfig, with the plan W it declared', () => {
    const cfg = readConfig({ TARGETS: 'express,gw=http://h:1;model=sync;workers=3;path=/ask;body={}' });
    assert.deepEqual(cfg.workers, { express: 1, gw: 3 });
    assert.deepEqual(declaredRequests(cfg.targets), {
      gw: { method: 'POST', path: '/ask', body: '{}', headers: { 'Content-Type': 'application/json' } },
    });
  });

  it("is recorded in the run's InfluxDB record without its header values", () => {
    const cfg = readConfig({
      TARGETS: 'gw=http://h:1;model=sync;workers=3;path=/ask;body={};header=Authorization: Bearer s3cret',
    });
    const recorded = runEnv(cfg, 1).TARGETS ?? '';
    assert.ok(!recorded.includes('s3cret'), recorded);
    const [gw] = readConfig(runEnv(cfg, 1)).targets;
    assert.deepEqual(gw?.request?.headers, [['Authorization', '(not recorded)']]);
    assert.equal(gw?.workers, 3);
  });

  it('has no CPU figures in k6 when its CPU is not measured, so the summary says null, never 0', () => {
    const plan = buildPlan(
      readConfig({
        TARGETS:
          'koa,far=http://192.0.2.7:1;model=async;path=/a;cpu=none,near=http://h:2;model=async;path=/a;stats=http://h:3',
        SCENARIOS: 'low',
      }),
    );
    const cpuSlots = thresholdSpecs(plan)
      .filter((s) => s.metric.startsWith(METRICS.serverCpuSeconds))
      .map((s) => s.slot);
    assert.deepEqual(cpuSlots, ['low_koa', 'low_near']);
  });

  it('is refused in one line when it cannot be measured', () => {
    refuses(
      () => parseTargets('gw=http://h:1;model=sync;path=/ask'),
      /'gw' is a sync black-box target: declare its workers=W/,
    );
    refuses(() => parseTargets('gw=http://h:1;model=async;path=ask'), /path= must start with '\/'/);
    refuses(
      () => parseTargets('gw=http://h:1;model=async;method=POST'),
      /method= only apply to a black-box target: give 'gw' the path=/,
    );
    refuses(
      () => parseTargets('gw=http://h:1;model=async;path=/a;method=FETCH'),
      /method= must be one of GET, POST/,
    );
    refuses(
      () => parseTargets('gw=http://h:1;model=async;path=/a;header=Authorization'),
      /header of 'gw' must be 'Name: value'/,
    );
    refuses(() => parseTargets('gw=http://h:1;model=async;path=/a;headers=X: 1'), /headers= names a file/);
    refuses(() => parseTargets('gw=http://h:1;model=async;path=/a;body=@'), /body=@ needs a file name/);
    refuses(
      () => parseTargets('express=http://h:1;path=/a'),
      /path= describe your own service; 'express' is a built-in/,
    );
    refuses(() => parseTargets('gw=http://h:1;model=async;path=/a;path=/b'), /path= is given twice in 'gw'/);
    refuses(() => parseTargets('gw=http://h:1;model=async;path=/a;cpu=maybe'), /cpu= is 'none'/);
    refuses(
      () => parseTargets('gw=http://h:1;model=async;path=/a;method=GET;body={}'),
      /a GET request sends no body/,
    );
    refuses(
      () => parseTargets('gw=http://h:1;model=async;path=/a;body={"c":"50%"}'),
      /'gw': body= has a '%' that starts no %XX escape: write a literal % as %25/,
    );
  });

  it('says what a raw , or ; inside a body or header did, instead of naming a key nobody wrote', () => {
    refuses(
      () => parseTargets('gw=http://h:1;model=async;path=/a;body={"a":1,"b":2}'),
      /'"b":2}' is not an entry: a ',' inside a body or header value separates entries; write it as %2C, or put it in a file/,
    );
    refuses(
      () => parseTargets('gw=http://h:1;model=async;path=/a;header=Accept: a, b'),
      /'b' is not an entry: a ','/,
    );
    refuses(
      () =>
        parseTargets(
          'gw=http://h:1;model=async;path=/a;header=Content-Type: application/json; charset=utf-8',
        ),
      /' charset=utf-8' in 'gw' follows its header=: a ';' inside a header separates options; write it as %3B/,
    );
  });
});

describe('body=@file and headers=@file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'black-box-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const read = (file: string) => readFileSync(path.resolve(dir, file), 'utf8');

  it('are read by the runner and reach k6 inline, commas and all', () => {
    writeFileSync(path.join(dir, 'ask.json'), '{"messages": [{"role": "user", "content": "a, b; c"}]}\n');
    writeFileSync(
      path.join(dir, 'headers.txt'),
      '# for the gateway\nAuthorization: Bearer x\n\nX-Team: io\n',
    );
    const t = readRequestFiles(
      only('gw=http://h:1;model=async;path=/ask;body=@ask.json;headers=@headers.txt'),
      read,
    );
    assert.equal(t.request?.body, '{"messages": [{"role": "user", "content": "a, b; c"}]}\n');
    assert.deepEqual(t.request?.headers, [
      ['Authorization', 'Bearer x'],
      ['X-Team', 'io'],
    ]);
    assert.deepEqual(parseTargets(formatTargets([t])), [t]);
  });

  it('refuse the run in one line when a file cannot be read, and k6 refuses a file it was left to read', () => {
    const t = only('gw=http://h:1;model=async;path=/ask;body=@missing.json');
    refuses(() => readRequestFiles(t, read), /cannot read body=@missing.json of 'gw' \(ENOENT\)/);
    refuses(() => declaredRequests([t]), /gw: body=@missing.json is read by the runner \(npm run k6:\*\)/);
  });
});

describe('the contract check of a black-box target', () => {
  /** A service with one route, POST /ask, that echoes the body and a header; 404 elsewhere. */
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c;
    });
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/ask' && req.headers.authorization === 'Bearer x') {
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ answer: body }));
        return;
      }
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: `no route ${req.method} ${req.url}` }));
    });
  });
  const base = new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
  after(() => server.close());

  it('sends the declared request once; any 2xx passes, with W as declared', async () => {
    const t = only(
      `gw=${await base};model=sync;workers=3;path=/ask;body={"q":1};header=Authorization: Bearer x`,
    );
    assert.deepEqual(await checkContract(t), { workers: 3 });
  });

  it('refuses in one line a request that answers 404, naming the target, the request and the answer', async () => {
    const url = await base;
    const t = only(`gw=${url};model=async;path=/nowhere?x=1;method=POST;body={}`);
    await assert.rejects(checkContract(t), (err: Error) => {
      assert.equal(
        err.message,
        `gw (${url}): POST /nowhere?x=1 answered 404 {"error":"no route POST /nowhere?x=1"}: the declared request must answer 2xx`,
      );
      return true;
    });
  });

  it('refuses in one line a service that is not running', async () => {
    const t = only(`gw=http://127.0.0.1:${await closedPort()};model=async;path=/ask`);
    await assert.rejects(
      checkContract(t),
      /^Error: gw \(http:\/\/127\.0\.0\.1:\d+\): GET \/ask failed \(ECONNREFUSED\): is it running at that URL\?$/,
    );
  });
});

describe('where a black-box target gets its CPU from', () => {
  it('a remote one is not measured, said plainly, never a zero', () => {
    const { target, note } = placeCpu(
      only('gw=http://192.0.2.7:9001;model=async;path=/ask'),
      'http://127.0.0.1:1/',
    );
    assert.equal(cpuMeasuredBy(target), 'not measured');
    assert.equal(target.statsUrl, '');
    assert.match(
      note,
      /gw \(http:\/\/192\.0\.2\.7:9001\): CPU and RSS not measured: it is not on this machine/,
    );
    // k6 is told so, and a plain k6 run reads it the same way.
    assert.equal(cpuMeasuredBy(only(formatTargets([target]))), 'not measured');
  });

  it('a local one is its process tree, served by the runner; a port nobody holds is refused', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    after(() => server.close());
    const port = (server.address() as AddressInfo).port;
    const { target } = placeCpu(
      only(`gw=http://127.0.0.1:${port};model=async;path=/`),
      'http://127.0.0.1:5555/',
    );
    assert.equal(cpuMeasuredBy(target), 'process tree');
    assert.equal(target.statsUrl, `http://127.0.0.1:5555/proc/port/${port}`);
    assert.deepEqual(parseTargets(formatTargets([target])), [target]);
    const free = await closedPort();
    refuses(
      () => placeCpu(only(`gw=http://localhost:${free};model=async;path=/`), 'http://127.0.0.1:5555/'),
      new RegExp(
        `gw \\(http://localhost:${free}\\): cannot read its CPU from outside: nothing listens on port ${free}`,
      ),
    );
    // cpu=none: the user said not to measure it; a stats URL of its own: /stats.
    assert.equal(
      placeCpu(only(`gw=http://127.0.0.1:${port};model=async;path=/;cpu=none`), 'x').target.cpu,
      'not measured',
    );
    assert.equal(
      cpuMeasuredBy(only(`gw=http://127.0.0.1:${port};model=async;path=/;stats=http://127.0.0.1:9`)),
      '/stats',
    );
  });
});
