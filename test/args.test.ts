import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFlags, wholeNumber } from '../scripts/args.ts';

const USAGE = 'usage: npm run x -- [--on] [--name N]';
const parse = (argv: string[]) =>
  parseFlags(argv, { on: { type: 'boolean' }, name: { type: 'string' } }, USAGE);

describe('parseFlags', () => {
  it('takes switches, `--flag value` and `--flag=value` (the first `=` splits)', () => {
    assert.deepEqual({ ...parse(['--on', '--name', 'a']) }, { on: true, name: 'a' });
    assert.deepEqual({ ...parse(['--name=a=b']) }, { name: 'a=b' });
    assert.deepEqual({ ...parse([]) }, {});
  });

  it('refuses each mistake in one line naming it as typed, then the usage', () => {
    const refused: [string[], string][] = [
      [['--of'], 'unknown argument --of'],
      [['--of=1'], 'unknown argument --of=1'],
      [['on'], 'unknown argument on'],
      [['--name'], '--name needs a value'],
      [['--name', '--on'], '--name needs a value'],
      [['--on=yes'], '--on takes no value'],
    ];
    for (const [argv, line] of refused)
      assert.throws(() => parse(argv), { message: `${line}; ${USAGE}` }, argv.join(' '));
  });

  it('reads whole numbers within bounds only', () => {
    assert.equal(wholeNumber('--n', '3', 1, 4), 3);
    assert.throws(() => wholeNumber('--n', '3.5', 1, 4), /--n must be a whole number from 1 to 4, got 3.5$/);
  });
});
