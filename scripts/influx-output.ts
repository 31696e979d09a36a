// Where k6's samples go besides the local files: an InfluxDB, when one answers.

import { ENV } from '../k6/lib/config.ts';
import { INFLUXDB } from '../lib/registry.ts';
import { log } from './run-log.ts';

/** `--out influxdb=...` when an InfluxDB answers, else null (and one line saying so). */
export async function influxOutput(env: NodeJS.ProcessEnv): Promise<string | null> {
  const configured = env[INFLUXDB.urlEnv];
  const url = configured || `http://localhost:${INFLUXDB.port}/${INFLUXDB.database}`;
  let ping: string;
  try {
    ping = new URL('/ping', url).href;
  } catch {
    log(`${INFLUXDB.urlEnv}=${url} is not a URL: results stay local`);
    return null;
  }
  try {
    const res = await fetch(ping, { signal: AbortSignal.timeout(1500) });
    await res.arrayBuffer();
    if (res.status < 500) return url;
  } catch {
    // not there
  }
  log(
    `InfluxDB not reachable at ${ping.replace(/\/ping$/, '')}: results stay local (${env[ENV.resultsDir] || 'results'}/)`,
  );
  return null;
}
