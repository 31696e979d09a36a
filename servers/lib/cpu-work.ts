// cpu=MS: real computation in the request handler, so a run can show where async stops paying
// (DESIGN.md, the theory with CPU work c per request). A sleep would cost no CPU and block
// nothing on an event loop; this hashes, on the thread that runs the handler: a sync worker's,
// or the event loop itself on the async servers, which is exactly what stalls every other
// request there.
//
// The work is measured against the process's CPU clock, not the wall clock and not a rate
// calibrated at start: the theory's c is CPU time, and on a busy machine both of those drift
// (a round descheduled half the time halves a wall-clock rate; measured while every server was
// starting, a CPU-time rate came out 30% low on the 2-core test machine). The hash allocates
// nothing, so the process's CPU is this thread's: no garbage collector threads add to it.

// 1 KiB hashed with FNV-1a in plain JavaScript: the unit of work between two clock reads
// (CHUNK of them, some tens of microseconds, so the clock read is not what is measured).
const BLOCK = new Uint8Array(1024).map((_, i) => (i * 31) & 0xff);
const CHUNK = 16;

function hash(rounds: number, seed: number): number {
  let h = seed;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < BLOCK.length; i++) h = Math.imul(h ^ (BLOCK[i] as number), 0x01000193);
  }
  return h >>> 0;
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** About `ms` milliseconds of CPU on the calling thread; returns the hash so nothing is optimised away. */
export function burnCpu(ms: number): number {
  let h = 0x811c9dc5;
  if (!(ms > 0)) return h;
  const end = cpuMs() + ms;
  while (cpuMs() < end) h = hash(CHUNK, h);
  return h;
}
