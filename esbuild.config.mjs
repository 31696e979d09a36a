// Bundles the k6 suite (TypeScript) into one plain JavaScript file k6 can run:
// k6/suite.ts -> dist/suite.js. `npm run build`, or `node esbuild.config.mjs`.
import { build } from 'esbuild';

await build({
  entryPoints: ['k6/suite.ts'],
  outfile: 'dist/suite.js',
  bundle: true,
  // ESM: k6 loads `import`/`export` modules natively, and the k6 API is imported as
  // `k6/...` modules, which only ESM can leave as imports for k6 to resolve.
  format: 'esm',
  // es2017: k6 v0.49 passes scripts through an old Babel that rejects object spread,
  // `??` and `?.` (ES2018+). esbuild lowers those, so the same bundle runs on v0.49 and on
  // current k6, whose own parser accepts anything newer.
  target: 'es2017',
  // Neutral: k6's VM is neither a browser nor Node; no Node built-in may be pulled in.
  platform: 'neutral',
  mainFields: ['module', 'main'],
  // k6's modules exist only inside k6, which provides them at run time.
  external: ['k6', 'k6/*'],
  // Readable output: the bundle is small, and stack traces from k6 point at real names.
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
