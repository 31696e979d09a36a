// Latency profiles: the upstream's draws are reproducible (same seed, same delay) and follow
// the distribution they name; every target passes the parameters through, so two servers sent
// the same seeds wait the same delays.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PYTHON_TARGET_NAMES, pythonProblem, type ServiceName } from '../servers/launch.ts';
import {
  drawDelay,
  longestDelay,
  normalQuantile,
  quantileDelay,
  uniformFromSeed,
} from '../servers/lib/delay-dist.ts';
import { NODE_SERVERS, request, useServers } from './helpers/servers.ts';

const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.floor(q * (sorted.length - 1))] as number;
const draws = (n: number, params: Parameters<typeof drawDelay>[0]) =>
  Array.from({ length: n }, (_, seed) => drawDelay(Object.assign({}, params, { seed }))).sort(
    (a, b) => a - b,
  );

describe('delay draws', () => {
  it('are a pure function of the seed: same seed, same delay; another seed, another', () => {
    const p = { delay: 0.8, dist: 'lognormal', sigma: 0.6 } as const;
    assert.equal(drawDelay({ ...p, seed: 42 }), drawDelay({ ...p, seed: 42 }));
    assert.notEqual(drawDelay({ ...p, seed: 42 }), drawDelay({ ...p, seed: 43 }));
    const u = uniformFromSeed(0);
    assert.ok(u > 0 && u < 1);
  });

  it('follow the lognormal: median S, p99 S·e^(2.326σ), over 20,000 seeded draws', () => {
    const sorted = draws(20_000, { delay: 0.8, dist: 'lognormal', sigma: 0.6 });
    const median = quantile(sorted, 0.5);
    const p99 = quantile(sorted, 0.99);
    assert.ok(Math.abs(median / 0.8 - 1) < 0.03, `median ${median}`);
    const theory = 0.8 * Math.exp(2.326 * 0.6);
    assert.ok(Math.abs(p99 / theory - 1) < 0.08, `p99 ${p99} vs ${theory}`);
  });

  it('follow the exponential: mean S', () => {
    const sorted = draws(20_000, { delay: 0.2, dist: 'exponential' });
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    assert.ok(Math.abs(mean / 0.2 - 1) < 0.03, `mean ${mean}`);
  });

  it('have the percentiles quantileDelay says', () => {
    const lognormal = { delay: 0.8, dist: 'lognormal', sigma: 0.6 } as const;
    assert.ok(Math.abs(quantileDelay(lognormal, 0.5) - 0.8) < 1e-9);
    assert.ok(Math.abs(quantileDelay(lognormal, 0.99) / (0.8 * Math.exp(2.326 * 0.6)) - 1) < 1e-3);
    // The exponential's mean is its quantile at 1 - 1/e.
    assert.ok(Math.abs(quantileDelay({ delay: 0.2, dist: 'exponential' }, 1 - Math.exp(-1)) - 0.2) < 1e-9);
    assert.equal(quantileDelay({ delay: 0.3, dist: 'fixed' }, 0.99), 0.3);
    const sorted = draws(20_000, lognormal);
    const p90 = quantile(sorted, 0.9);
    assert.ok(Math.abs(p90 / quantileDelay(lognormal, 0.9) - 1) < 0.03, `p90 ${p90}`);
  });

  it('are exact when fixed, clamped at 60 s, and bound the servers’ timeouts', () => {
    assert.equal(drawDelay({ delay: 0.3, dist: 'fixed', seed: 9 }), 0.3);
    assert.equal(drawDelay({ delay: 50, dist: 'lognormal', sigma: 3, seed: 0xfffffff0 }), 60);
    assert.equal(longestDelay({ delay: 0.3, dist: 'fixed' }), 0.3);
    assert.equal(longestDelay({ delay: 0.3, dist: 'lognormal' }), 60);
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-5);
  });
});

const PYTHON_MISSING = pythonProblem(PYTHON_TARGET_NAMES);
const TESTED: ServiceName[] = [...NODE_SERVERS, ...(PYTHON_MISSING ? [] : PYTHON_TARGET_NAMES)];

describe('profiles end to end', () => {
  const servers = useServers<ServiceName>({ syncWorkers: 1, only: ['upstream', ...TESTED] });

  it('the upstream waits the drawn delay and says which', async () => {
    const query = 'delay=0.1&dist=lognormal&sigma=0.8&seed=12345';
    const drawn = drawDelay({ delay: 0.1, dist: 'lognormal', sigma: 0.8, seed: 12345 });
    const { status, body, ms } = await request(`${servers.urls.upstream}/io?${query}`);
    assert.equal(status, 200);
    assert.equal(body.delay, drawn);
    assert.ok(ms >= drawn * 1000 - 2 && ms < drawn * 1000 + 150, `${ms} ms for a ${drawn} s draw`);
  });

  for (const name of TESTED) {
    it(`${name} passes dist, sigma and seed on: the same seed takes the same time`, async () => {
      // seed 7 draws about 0.34·median, seed 13 about 7·median: far enough apart that the timing
      // tells them apart even with 400 ms of slack for a busy machine.
      const short = drawDelay({ delay: 0.2, dist: 'lognormal', sigma: 1, seed: 7 });
      const long = drawDelay({ delay: 0.2, dist: 'lognormal', sigma: 1, seed: 13 });
      assert.ok(long - short > 1, `${short} vs ${long}`);
      const a = await request(`${servers.urls[name]}/io?delay=0.2&dist=lognormal&sigma=1&seed=7`);
      const b = await request(`${servers.urls[name]}/io?delay=0.2&dist=lognormal&sigma=1&seed=13`);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      assert.ok(a.ms >= short * 1000 - 2 && a.ms < short * 1000 + 400, `${name}: ${a.ms} ms for ${short} s`);
      assert.ok(b.ms >= long * 1000 - 2 && b.ms < long * 1000 + 400, `${name}: ${b.ms} ms for ${long} s`);
      // `delay` echoes the scale asked for; `drawnDelay` is what the upstream drew.
      assert.equal(a.body.delay, 0.2);
      assert.equal(a.body.drawnDelay, short);
      assert.equal(b.body.drawnDelay, long);
    });
  }
});
