import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Check, EXIT, exitCode, failures } from '../k6/lib/checks.ts';

const check = (kind: Check['kind'], ok: boolean): Check => ({ kind, name: kind, ok, message: kind });

describe('the exit code rule', () => {
  it('is 1 for a failed speedup check, whatever k6 exited with', () => {
    const summary = { checks: [check('speedup', false), check('threshold', false)] };
    assert.equal(exitCode(summary, 99), EXIT.speedup);
    assert.equal(exitCode(summary), EXIT.speedup);
  });

  it('is k6’s own code when k6 ran, and 99 for a failed threshold of a rebuilt summary', () => {
    const summary = { checks: [check('speedup', true), check('threshold', false)] };
    assert.equal(exitCode(summary, 0), 0);
    assert.equal(exitCode(summary), EXIT.thresholds);
  });

  it('leaves fidelity notes out of the verdict', () => {
    const summary = { checks: [check('fidelity', false), check('speedup', true)] };
    assert.deepEqual(failures(summary), []);
    assert.equal(exitCode(summary), EXIT.ok);
  });
});
