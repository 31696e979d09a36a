import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findOnPath } from '../scripts/k6-process.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const k6 = findOnPath('k6');

describe('the k6 bundle', () => {
  const build = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, encoding: 'utf8' });
  const bundle = build.status === 0 ? readFileSync(`${ROOT}/dist/suite.js`, 'utf8') : '';

  it('builds', () => {
    assert.equal(build.status, 0, build.stderr);
  });

  it('imports nothing but k6 modules, and no Node built-in', () => {
    const imports = [...bundle.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    assert.ok(imports.length > 0);
    for (const name of imports) assert.match(name ?? '', /^k6(\/[a-z/]+)?$/);
    assert.doesNotMatch(bundle, /\brequire\(/);
    assert.doesNotMatch(bundle, /["']node:/);
  });

  it('has no syntax newer than ES2017 that k6 v0.49 rejects (object spread, ??, ?.)', () => {
    assert.doesNotMatch(bundle, /\?\?/);
    assert.doesNotMatch(bundle, /\?\.(?!\d)/);
    assert.doesNotMatch(bundle, /\{\s*\.\.\./);
    assert.doesNotMatch(bundle, /,\s*\.\.\.\w+\s*\}/);
    assert.match(bundle, /export \{[^}]*handleSummary/);
  });

  it('is accepted by the k6 on PATH (`k6 inspect`), options included', {
    skip: k6 ? false : 'k6 not on PATH',
  }, () => {
    const res = spawnSync(k6 as string, ['inspect', '-e', 'SYNC_WORKERS=2', 'dist/suite.js'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(res.status, 0, res.stderr);
    const options = JSON.parse(res.stdout) as { scenarios: Record<string, unknown>; thresholds: object };
    assert.equal(Object.keys(options.scenarios).length, 19);
    assert.ok(Object.keys(options.thresholds).length > 100);
  });
});
