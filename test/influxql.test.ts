// InfluxQL quoting (lib/influxql.ts): each delimiter and the backslash escaped, nothing else.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeRegex, quoteIdent, quoteString } from '../lib/influxql.ts';

describe('InfluxQL quoting', () => {
  it('quotes an identifier, escaping the double quote and the backslash', () => {
    assert.equal(quoteIdent('http_req_duration'), '"http_req_duration"');
    assert.equal(quoteIdent('a"b'), '"a\\"b"');
    assert.equal(quoteIdent('a\\b'), '"a\\\\b"');
    // A single quote needs no escape inside double quotes.
    assert.equal(quoteIdent("it's"), `"it's"`);
  });

  it('quotes a string, escaping the single quote and the backslash', () => {
    assert.equal(quoteString('stress-open'), "'stress-open'");
    assert.equal(quoteString("it's"), "'it\\'s'");
    assert.equal(quoteString('a\\'), "'a\\\\'");
    assert.equal(quoteString('say "hi"'), `'say "hi"'`);
  });

  it('escapes regular-expression metacharacters and the slash, so a value matches only itself', () => {
    assert.equal(escapeRegex('/io'), '\\/io');
    assert.equal(escapeRegex('a.b*c'), 'a\\.b\\*c');
    const pattern = new RegExp(`^${escapeRegex('(x|y)+[z]?$')}$`);
    assert.ok(pattern.test('(x|y)+[z]?$'));
    assert.ok(!pattern.test('xx'));
  });
});
