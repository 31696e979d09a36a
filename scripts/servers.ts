// npm run servers: the upstream and the selected built-in targets in the foreground, on their
// default ports (UPSTREAM_PORT, EXPRESS_PORT, ..., HOST and SYNC_WORKERS apply). The selection
// is TARGETS or --targets, as for the suite (default: every Node target, which need nothing
// beyond npm ci: the suite's defaults, the control and fastify-cluster); the Python ones need
// Debian's packages. Ctrl-C or SIGTERM stops them all.

import { ENV } from '../k6/lib/config.ts';
import { parseTargets } from '../k6/lib/targets.ts';
import { NODE_TARGET_NAMES, UPSTREAM } from '../lib/registry.ts';
import { type ServiceName, startServers } from '../servers/launch.ts';
import { parseFlags } from './args.ts';

function selection(argv: readonly string[]): string | undefined {
  const v = parseFlags(argv, { targets: { type: 'string' } }, 'usage: npm run servers -- [--targets a,b]');
  return v.targets ?? process.env[ENV.targets];
}

// An upstream named by UPSTREAM_URL is used as it is (startServers starts none); said first,
// so a user who left it set in the shell sees where every app's IO goes.
const external = process.env[UPSTREAM.urlEnv];
if (external)
  console.log(`${UPSTREAM.urlEnv}=${external}: no upstream started here; every app calls that one`);

let names: ServiceName[];
try {
  const targets = parseTargets(selection(process.argv.slice(2)), process.env, NODE_TARGET_NAMES);
  const own = targets.filter((t) => !t.builtin).map((t) => t.name);
  if (own.length > 0) console.log(`not started here (your own servers): ${own.join(', ')}`);
  names = ['upstream', ...targets.filter((t) => t.builtin).map((t) => t.name as ServiceName)];
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

const servers = await startServers({ only: names }).catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
for (const name of names) if (servers.lines[name]) console.log(servers.lines[name]);
console.log('Ctrl-C stops them all.');

let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await servers.stop();
  process.exit(code);
};
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
// `kill <npm pid>` ends npm and its `sh -c` without passing the signal on; this process is then
// re-parented. Notice it, so no orphaned server keeps its port taken.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop(0);
}, 500).unref();
servers.exited.then(({ name, code, signal }) => {
  // A server exits 0 only when signalled (Ctrl-C reaches every process of the group at once).
  if (code !== 0) console.error(`${name} exited (${signal ?? `code ${code}`}); stopping the others`);
  return stop(code === 0 ? 0 : 1);
});
