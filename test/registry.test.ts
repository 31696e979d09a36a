import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recommendationFor, SCENARIOS, TARGETS, UPSTREAM } from '../lib/registry.ts';

describe('registry', () => {
  it('keeps the seed scenario table', () => {
    assert.deepEqual(
      SCENARIOS.filter((s) => !s.optIn).map((s) => [s.name, s.vus, s.delaySeconds]),
      [
        ['baseline', 1, 0.5],
        ['low', 5, 1.0],
        ['medium', 10, 1.0],
        ['high', 20, 0.5],
        ['stress', 50, 0.3],
      ],
    );
  });

  it('gives every service its own port', () => {
    const ports = [
      UPSTREAM.port,
      ...Object.values(TARGETS).flatMap((s) => ('stats' in s ? [s.port, s.stats.port] : [s.port])),
    ];
    assert.equal(new Set(ports).size, ports.length);
  });

  it('maps average speedup onto the seed migration matrix', () => {
    assert.equal(recommendationFor(1.5), 'moderate benefit');
    assert.equal(recommendationFor(2), 'good candidate');
    assert.equal(recommendationFor(7), 'strong case');
    assert.equal(recommendationFor(10), 'migrate');
  });
});
