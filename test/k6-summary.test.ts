// The fixture is a real k6 end-of-test `data` object (what handleSummary receives), recorded
// on this project's 2-core machine with k6 v0.49.0 against the real servers:
//   npm run k6:smoke -- --start     (TIME_SCALE=0.1, SYNC_WORKERS=2 read from express /health)
// then results/k6-data.json (written by handleSummary) copied, pretty-printed, to
// test/fixtures/k6-summary-data.smoke-w2.json. The plan below must match that run's options.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { failures } from '../k6/lib/checks.ts';
import { readConfig } from '../k6/lib/config.ts';
import { renderJunit } from '../k6/lib/junit.ts';
import type { K6SummaryData } from '../k6/lib/k6-data.ts';
import { renderReport } from '../k6/lib/report.ts';
import { buildSummary, type Summary } from '../k6/lib/summary.ts';
import { renderTable } from '../k6/lib/table.ts';
import { thresholdSpecs } from '../k6/lib/thresholds.ts';
import { DEFAULT_TARGETS, SCENARIOS } from '../lib/registry.ts';
import { recordedSmokePlan } from './helpers/recorded-plan.ts';

const ASYNC_SERVERS = ['koa', 'fastify'];
const SERVER_NAMES = DEFAULT_TARGETS;

const data = JSON.parse(
  readFileSync(new URL('./fixtures/k6-summary-data.smoke-w2.json', import.meta.url), 'utf8'),
) as K6SummaryData;
const config = readConfig({ SYNC_WORKERS: '2', TIME_SCALE: '0.1', SLOT_SECONDS: '30' });
const plan = recordedSmokePlan();
const specs = thresholdSpecs(plan);
const now = new Date('2026-11-26T21:05:01Z');
const summarize = (d: K6SummaryData = data): Summary => buildSummary({ data: d, config, plan, specs, now });

/** A copy of the data with one submetric's values changed. */
function withValues(key: string, values: Record<string, number>): K6SummaryData {
  const copy = structuredClone(data) as { metrics: Record<string, { values: Record<string, number> }> };
  const metric = copy.metrics[key];
  assert.ok(metric, key);
  Object.assign(metric.values, values);
  return copy as unknown as K6SummaryData;
}

describe('summary from a recorded k6 run', () => {
  const s = summarize();

  it('has the contract shape: every scenario × server with latency, throughput, errors and CPU', () => {
    assert.equal(s.syncWorkers, 2);
    assert.equal(s.timeScale, 0.1);
    assert.deepEqual(
      s.scenarios.map((x) => x.name),
      SCENARIOS.filter((x) => !x.optIn).map((x) => x.name),
    );
    for (const sc of s.scenarios) {
      assert.equal(sc.theorySpeedup, Math.max(1, sc.vus / 2));
      for (const name of SERVER_NAMES) {
        const f = sc.servers[name];
        assert.ok(f, `${sc.name}/${name}`);
        for (const key of [
          'p50',
          'p95',
          'p99',
          'avg',
          'rps',
          'errorRate',
          'cpuSeconds',
          'cpuMsPerRequest',
        ] as const) {
          assert.equal(typeof f[key], 'number', `${sc.name}/${name}.${key}`);
        }
        assert.ok(f.requests > 0 && f.completed > 0);
        assert.ok((f.p50 ?? 0) <= (f.p95 ?? 0) && (f.p95 ?? 0) <= (f.p99 ?? 0));
        assert.equal(f.errorRate, 0);
      }
      for (const name of ASYNC_SERVERS) {
        assert.equal(typeof sc.speedup[name]?.latency, 'number');
        assert.equal(typeof sc.speedup[name]?.throughput, 'number');
      }
    }
    assert.equal(typeof s.averageSpeedup, 'number');
    assert.equal(s.recommendation, 'strong case');
    assert.equal(s.generatedAt, '2026-11-26T21:05:01.000Z');
  });

  it('measures speedups close to the theory and async latency close to the delay', () => {
    for (const sc of s.scenarios) {
      for (const name of ASYNC_SERVERS) {
        const sp = sc.speedup[name];
        assert.ok(sp?.latencyVsTheory && Math.abs(sp.latencyVsTheory - 1) < 0.1, `${sc.name}/${name}`);
        assert.ok(sp?.throughputVsTheory && Math.abs(sp.throughputVsTheory - 1) < 0.1, `${sc.name}/${name}`);
        // At TIME_SCALE=0.1 a 30 ms delay carries a few ms of fixed cost.
        assert.ok((sc.servers[name]?.p50OverDelay ?? 9) < 1.2, `${sc.name}/${name}`);
      }
    }
  });

  it('computes rps over the measurement window and CPU per request from the same window', () => {
    const f = s.scenarios.find((x) => x.name === 'medium')?.servers.koa;
    assert.ok(f);
    assert.equal(f.rps, f.completed / f.windowSeconds);
    assert.equal(f.cpuMsPerRequest, ((f.cpuSeconds ?? 0) * 1000) / f.completed);
    // Closed loop, 10 clients, 100 ms: about 100 completions per second.
    assert.ok(Math.abs((f.rps ?? 0) - 100) < 10);
  });

  it('reports the open model apart, with timeouts and dropped iterations', () => {
    const open = s.openModel;
    assert.ok(open);
    assert.ok(Math.abs(open.ratePerSecond - 50 / 0.03) < 1e-6);
    const express = open.servers.express;
    assert.ok(express && express.timeouts > 0 && express.droppedIterations > 0);
    assert.ok((express.errorRate ?? 0) > 0.5);
    assert.ok((open.servers.koa?.errorRate ?? 1) < 0.01);
  });

  it('passes every threshold and speedup check', () => {
    assert.equal(s.passed, true);
    assert.deepEqual(failures(s), []);
    assert.equal(s.checks.filter((c) => c.kind === 'threshold').length, 15 * 4);
    assert.equal(s.checks.filter((c) => c.kind === 'speedup').length, 5 * 2 * 2);
  });

  describe('when an async server is too slow', () => {
    it('fails the speedup check with a line naming scenario, server and figures', () => {
      const key = 'http_req_duration{scenario:medium,server:koa,phase:measure}';
      const slow = summarize(withValues(key, { avg: 170 }));
      const failed = failures(slow).map((c) => c.message);
      assert.equal(slow.passed, false);
      assert.ok(
        failed.some((m) =>
          /^FAIL medium\/koa: latency speedup 3\.\d\dx < 0\.80 × theory 5\.00x \(express avg \d+ ms, koa avg 170 ms;/.test(
            m,
          ),
        ),
        failed.join('\n'),
      );
    });
  });

  describe('when a slot has no samples (a run aborted before it)', () => {
    it('reports no latency rather than zeros, and fails its speedup check', () => {
      const key = 'http_req_duration{scenario:stress,server:fastify,phase:measure}';
      const zeros = { avg: 0, med: 0, 'p(50)': 0, 'p(95)': 0, 'p(99)': 0, min: 0, max: 0, count: 0 };
      const empty = summarize(withValues(key, zeros));
      const f = empty.scenarios.find((x) => x.name === 'stress')?.servers.fastify;
      assert.equal(f?.avg, null);
      assert.equal(f?.p95, null);
      assert.ok(
        failures(empty).some((c) => /^FAIL stress\/fastify: latency speedup not measured/.test(c.message)),
      );
    });
  });

  describe('when k6 failed a threshold', () => {
    it('says which, with the observed value', () => {
      const key = 'http_req_duration{scenario:high,server:fastify,phase:measure}';
      const copy = structuredClone(data) as unknown as {
        metrics: Record<string, { thresholds: Record<string, { ok: boolean }> }>;
      };
      const m = copy.metrics[key];
      assert.ok(m);
      for (const k of Object.keys(m.thresholds)) m.thresholds[k] = { ok: false };
      const failed = failures(summarize(copy as unknown as K6SummaryData));
      assert.equal(failed.length, 1);
      assert.match(
        failed[0]?.message ?? '',
        /^FAIL high\/fastify: http_req_duration p\(95\)<113 \(p\(95\)=\d/,
      );
    });
  });
});

describe('outputs', () => {
  const s = summarize();

  it('the table has the seed columns and the recommendation', () => {
    const text = renderTable(s);
    assert.match(text, /Scenario\s+VUs\s+Delay\s+express\s+koa\s+fastify\s+speedup koa\/fastify\s+theory/);
    assert.match(text, /^stress\s+50\s+30 ms\s+\S+ ms/m);
    assert.match(text, /Recommendation: strong case/);
    assert.match(text, /Open model \(stress-open\)/);
  });

  it('the report is one self-contained page: an inline <svg> per chart, no external URL, no script', () => {
    const html = renderReport(s);
    assert.equal(html.match(/<svg /g)?.length, 6);
    assert.doesNotMatch(html, /https?:\/\//);
    assert.doesNotMatch(html, /<script|<link|<img|@import/i);
    assert.match(html, /W = 2 sync worker/);
    assert.match(html, /strong case/);
    assert.match(html, /Latency speedup: measured vs theory/);
  });

  it('the JUnit XML is well-formed, one testcase per claim', () => {
    const xml = renderJunit(
      summarize(withValues('http_req_duration{scenario:low,server:koa,phase:measure}', { avg: 900 })),
    );
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites '));
    const cases = xml.match(/<testcase /g)?.length ?? 0;
    assert.equal(cases, 80);
    assert.match(xml, /<testsuites name="k6 io-benchmark" tests="80" failures="\d+">/);
    assert.match(xml, /<failure message="FAIL low\/koa: latency speedup/);
    assertWellFormed(xml);
  });
});

/** A small XML checker: balanced elements, quoted attributes, no bare `&` or `<` in text. */
function assertWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const token = /<\/?([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  for (m = token.exec(body); m; m = token.exec(body)) {
    consumed = token.lastIndex;
    if (m[4] !== undefined) {
      assert.doesNotMatch(m[4], /&(?!(amp|lt|gt|quot|apos);)/, 'bare & in text');
      continue;
    }
    const [whole, name = '', , selfClosing] = m;
    if (whole.startsWith('</')) assert.equal(stack.pop(), name, `closing </${name}>`);
    else if (!selfClosing) stack.push(name);
  }
  assert.equal(consumed, body.length, `unparsed XML at ${body.slice(consumed, consumed + 60)}`);
  assert.deepEqual(stack, []);
}
