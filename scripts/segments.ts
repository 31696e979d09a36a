// Several k6 processes sharing one run, the way k6-operator runs them: each gets an execution
// segment of the same sequence (`--execution-segment 1/2:1 --execution-segment-sequence
// 0,1/2,1`), so between them they run every VU of every scenario exactly once, and each
// starts paused until all are ready, then all are resumed together through k6's REST API.

export interface Segment {
  /** 1-based, the `instance` tag of its samples. */
  readonly instance: number;
  readonly segment: string;
  readonly sequence: string;
}

const fraction = (i: number, n: number): string => (i === 0 ? '0' : i === n ? '1' : `${i}/${n}`);

/** More k6 processes than this on one machine measure the machine, not the servers. */
export const MAX_INSTANCES = 64;

export function segments(n: number): Segment[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_INSTANCES)
    throw new Error(`--instances must be a whole number from 1 to ${MAX_INSTANCES}, got ${n}`);
  const sequence = Array.from({ length: n + 1 }, (_, i) => fraction(i, n)).join(',');
  return Array.from({ length: n }, (_, i) => ({
    instance: i + 1,
    segment: `${fraction(i, n)}:${fraction(i + 1, n)}`,
    sequence,
  }));
}

/** lib.ExecutionStatusPausedBeforeRun in k6: initialised, waiting for the resume. */
const PAUSED_BEFORE_RUN = 4;

/** Waits until k6's REST API at `port` answers, i.e. the process is initialised and paused. */
export async function waitPaused(port: number, timeoutMs: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error(`k6 on port ${port} exited before it was ready`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v1/status`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { data?: { attributes?: { paused?: boolean; status?: number } } };
      // `paused` is true from the start, while VUs are still initialising; k6's execution
      // status 4 (PausedBeforeRun) says the process is ready and only waits to be resumed.
      // Resumed earlier, a slow process starts its slots seconds after the others.
      const a = body.data?.attributes;
      if (res.ok && a?.paused === true && a.status === PAUSED_BEFORE_RUN) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`k6 on port ${port} did not come up paused within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resumes every paused k6 at once (k6's REST API: PATCH /v1/status, paused false). */
export async function resumeAll(ports: readonly number[]): Promise<void> {
  const body = JSON.stringify({ data: { type: 'status', id: 'default', attributes: { paused: false } } });
  await Promise.all(
    ports.map(async (port) => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/status`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`k6 on port ${port} refused to resume: HTTP ${res.status}`);
    }),
  );
}
