// npm run servers: upstream, express, koa and fastify in the foreground, on their default ports
// (UPSTREAM_PORT, EXPRESS_PORT, ..., HOST and SYNC_WORKERS apply). Ctrl-C or SIGTERM stops them all.

import { SERVICE_NAMES, startServers } from '../servers/launch.ts';

const servers = await startServers().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
for (const name of SERVICE_NAMES) console.log(servers.lines[name]);
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
// re-parented. Notice it, so no orphaned server keeps ports 8001-8004 taken.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop(0);
}, 500).unref();
servers.exited.then(({ name, code, signal }) => {
  // A server exits 0 only when signalled (Ctrl-C reaches every process of the group at once).
  if (code !== 0) console.error(`${name} exited (${signal ?? `code ${code}`}); stopping the others`);
  return stop(code === 0 ? 0 : 1);
});
