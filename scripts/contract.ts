// Before k6 starts, every target must answer the route contract (DESIGN.md, "The routes"):
// a server that answers /health but not /io (its upstream is down), or a user's server that
// leaves out the model or the worker count, is refused with one line naming what is missing,
// instead of surfacing as thousands of failed requests and unexplained thresholds. A black-box
// target has no contract routes: it is sent its declared request once, which must answer 2xx.

import { answered, declaredRequests } from '../k6/lib/request.ts';
import type { Target } from '../k6/lib/targets.ts';
import { UPSTREAM } from '../lib/registry.ts';

/** How long a black-box target's declared request may take here (its IO included). */
export const DECLARED_TIMEOUT_MS = 10_000;

async function get(
  url: string,
  timeoutMs: number,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(url, Object.assign({ signal: AbortSignal.timeout(timeoutMs) }, init));
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, body, text };
}

/** A failed fetch in a few words: its system error code (ECONNREFUSED) or its message. */
export const describe = (err: unknown): string => {
  const e = err as { cause?: { code?: string }; message?: string };
  return e?.cause?.code ?? e?.message ?? String(err);
};

/**
 * Resolves with W (sync targets; 1 for async) and, where /health reports it, T threads per
 * worker (threads count as workers: gthread serves W·T at once); or rejects with an Error
 * naming the target and the gap.
 */
export async function checkContract(target: Target): Promise<{ workers: number; threads?: number }> {
  if (target.request) return checkDeclared(target);
  const where = `${target.name} (${target.url})`;
  let health: Awaited<ReturnType<typeof get>>;
  try {
    health = await get(`${target.url}/health`, 5000);
  } catch (err) {
    throw new Error(`${where}: GET /health failed (${describe(err)}): is it running at that URL?`);
  }
  if (health.status !== 200) throw new Error(`${where}: GET /health answered ${health.status}, not 200`);
  const h = health.body as { model?: unknown; workers?: unknown; threads?: unknown } | null;
  if (!h || typeof h !== 'object') throw new Error(`${where}: GET /health did not answer JSON`);
  if (h.model !== 'sync' && h.model !== 'async') {
    throw new Error(`${where}: GET /health has no "model" ("sync" or "async"): the route contract needs it`);
  }
  if (h.model !== target.model) {
    throw new Error(
      `${where}: GET /health says model "${h.model}" but the target is declared ${target.model}`,
    );
  }
  let workers = 1;
  if (target.model === 'sync') {
    if (typeof h.workers !== 'number' || !Number.isInteger(h.workers) || h.workers < 1) {
      throw new Error(
        `${where}: GET /health has no "workers" (a whole number >= 1): a sync target must report W`,
      );
    }
    workers = h.workers;
    if (
      h.threads !== undefined &&
      (typeof h.threads !== 'number' || !Number.isInteger(h.threads) || h.threads < 1)
    ) {
      throw new Error(
        `${where}: GET /health has "threads" ${JSON.stringify(h.threads)}: it must be a whole number >= 1`,
      );
    }
  }
  try {
    const io = await get(`${target.url}/io?delay=0`, 10_000);
    if (io.status !== 200) {
      throw new Error(
        `${where}: GET /io?delay=0 answered ${io.status} ${io.text.slice(0, 200)}: is its upstream running (${UPSTREAM.urlEnv})?`,
      );
    }
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(where)) throw err;
    throw new Error(`${where}: GET /io?delay=0 failed (${describe(err)})`);
  }
  await checkStats(target);
  return typeof h.threads === 'number' && target.model === 'sync'
    ? { workers, threads: h.threads }
    : { workers };
}

async function checkStats(target: Target): Promise<void> {
  try {
    const stats = await get(`${target.statsUrl}/stats`, 5000);
    const b = stats.body as { cpuSeconds?: unknown; rssBytes?: unknown } | null;
    if (stats.status !== 200 || !b || typeof b.cpuSeconds !== 'number' || typeof b.rssBytes !== 'number') {
      throw new Error(
        `${target.name}: GET ${target.statsUrl}/stats has no numeric "cpuSeconds" and "rssBytes" (status ${stats.status})`,
      );
    }
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(target.name)) throw err;
    throw new Error(`${target.name}: GET ${target.statsUrl}/stats failed (${describe(err)})`);
  }
}

/** A black-box target: its declared request, sent once, answers 2xx in time; its /stats if it names one. */
async function checkDeclared(target: Target): Promise<{ workers: number; threads?: number }> {
  const req = declaredRequests([target])[target.name];
  if (!req) throw new Error(`${target.name}: no declared request`);
  const what = `${target.name} (${target.url}): ${req.method} ${req.path}`;
  let reply: Awaited<ReturnType<typeof get>>;
  try {
    reply = await get(`${target.url}${req.path}`, DECLARED_TIMEOUT_MS, {
      method: req.method,
      headers: req.headers,
      body: req.body,
    });
  } catch (err) {
    const e = err as { name?: string };
    throw new Error(
      e?.name === 'TimeoutError'
        ? `${what} gave no answer within ${DECLARED_TIMEOUT_MS / 1000} s`
        : `${what} failed (${describe(err)}): is it running at that URL?`,
    );
  }
  if (!answered(reply.status)) {
    const text = reply.text.replace(/\s+/g, ' ').trim().slice(0, 200);
    throw new Error(
      `${what} answered ${reply.status}${text ? ` ${text}` : ''}: the declared request must answer 2xx`,
    );
  }
  if (target.statsUrl !== '' && target.cpu === undefined) await checkStats(target);
  return target.threads
    ? { workers: target.workers ?? 1, threads: target.threads }
    : { workers: target.workers ?? 1 };
}
