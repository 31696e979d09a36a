// Which upstream a run's targets wait on, so that k6 can set its IO profile per slot and read
// the IO it served (k6/lib/io-usage.ts): the one this runner started, else UPSTREAM_URL, else
// the default port when this project's upstream answers there (servers started by hand).

import { UPSTREAM } from '../lib/registry.ts';
import { log } from './run-log.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** This project's upstream answers GET /profile with the profile in force. */
async function isUpstream(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/profile`, { signal: AbortSignal.timeout(1500) });
    const body = (await res.json()) as { slot?: unknown };
    return res.ok && typeof body.slot === 'string';
  } catch {
    return false;
  }
}

export async function findUpstream(started: string | undefined, env: Env): Promise<string | undefined> {
  const url = (
    started ??
    env[UPSTREAM.urlEnv] ??
    `http://127.0.0.1:${env[UPSTREAM.portEnv] || UPSTREAM.port}`
  ).replace(/\/+$/, '');
  if (await isUpstream(url)) return url;
  log(`IO per request not measured: no upstream answers ${url}/profile (set ${UPSTREAM.urlEnv})`);
  return undefined;
}
