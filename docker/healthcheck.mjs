// Container healthcheck: exits 0 when GET <url> answers 2xx within two seconds, else 1.
//   node docker/healthcheck.mjs http://127.0.0.1:8003/health
const url = process.argv[2];
if (!url) {
  console.error('usage: node docker/healthcheck.mjs <url>');
  process.exit(2);
}
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  process.exit(res.ok ? 0 : 1);
} catch (error) {
  console.error(`${url}: ${error.message}`);
  process.exit(1);
}
