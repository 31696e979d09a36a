// A black-box target's side of TARGETS: the request k6 sends it instead of /io (method, path,
// body and headers, inline or from files), whose header values the run's record leaves out,
// and where its CPU is read from. The entry itself is parsed in targets.ts.

import { positiveInt, TARGETS_ENV, unescapeValue } from './target-values.ts';
import type { BlackBoxRequest, CpuSource, Target } from './targets.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
/** RFC 9110 token: what a header name may be. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseHeader(line: string, what: string): [string, string] {
  const colon = line.indexOf(':');
  const headerName = line.slice(0, colon).trim();
  const value = line.slice(colon + 1).trim();
  if (colon === -1 || !HEADER_NAME.test(headerName) || /[\r\n]/.test(value)) {
    throw new Error(`${what} must be 'Name: value', got '${line}'`);
  }
  return [headerName, value];
}

/** The request, the process and the CPU source of an entry with `path=`. */
export function blackBoxTarget(
  target: Target,
  opts: Readonly<Partial<Record<string, string>>>,
  headers: [string, string][],
): Target {
  const what = `${TARGETS_ENV}: '${target.name}'`;
  const path = opts.path as string;
  if (!/^\/\S*$/.test(path))
    throw new Error(`${what}: path= must start with '/' and hold no spaces, got '${path}'`);
  const rawBody = opts.body;
  const fromFile = (raw: string | undefined, key: string): string | undefined => {
    if (raw === undefined || !raw.startsWith('@')) return undefined;
    const file = raw.slice(1).trim();
    if (file === '') throw new Error(`${what}: ${key}=@ needs a file name`);
    return file;
  };
  const bodyFile = fromFile(rawBody, 'body');
  if (opts.headers !== undefined && !opts.headers.startsWith('@')) {
    throw new Error(
      `${what}: headers= names a file (headers=@file, one 'Name: value' a line); one header is header=Name: value`,
    );
  }
  const headersFile = fromFile(opts.headers, 'headers');
  const method = (opts.method ?? (rawBody === undefined ? 'GET' : 'POST')).toUpperCase();
  if (!METHODS.includes(method)) {
    throw new Error(`${what}: method= must be one of ${METHODS.join(', ')}, got '${opts.method}'`);
  }
  if (rawBody !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new Error(
      `${what}: a ${method} request sends no body; give method=POST (or PUT, PATCH) with body=`,
    );
  }
  const request: BlackBoxRequest = Object.assign(
    { method, path, headers },
    bodyFile !== undefined
      ? { bodyFile }
      : rawBody !== undefined
        ? { body: unescapeValue(rawBody, `${what}: body=`) }
        : {},
    headersFile !== undefined ? { headersFile } : {},
  );
  const out: { -readonly [K in keyof Target]: Target[K] } = Object.assign({}, target, { request });
  if (opts.pid !== undefined) out.pid = positiveInt(opts.pid, `${what}: pid=`);
  if (opts.cpu === 'none') {
    if (opts.stats || opts.pid)
      throw new Error(`${what}: cpu=none says not to measure it; leave out stats= and pid=`);
    out.cpu = 'not measured';
  } else if (opts.cpu === 'process-tree') {
    // Written by the runner with the stats URL of its own reader (scripts/proc-tree.ts).
    if (!opts.stats)
      throw new Error(`${what}: cpu=process-tree needs stats= (the runner fills both in; leave cpu= out)`);
    out.cpu = 'process tree';
  } else if (opts.cpu !== undefined) {
    throw new Error(`${what}: cpu= is 'none' (do not measure) or 'process-tree', got '${opts.cpu}'`);
  }
  return out;
}

/** How the summary says a target's CPU was read. */
export function cpuMeasuredBy(t: Pick<Target, 'statsUrl' | 'cpu'>): CpuSource {
  return t.cpu ?? (t.statsUrl === '' ? 'not measured' : '/stats');
}

/** A black-box target whose CPU the runner may still measure from its process tree. */
export const cpuUndecided = (t: Target): boolean =>
  t.request !== undefined && t.cpu === undefined && t.statsUrl === '';

/**
 * A black-box target with its `body=@file` and `headers=@file` read. Node only (the runner and
 * the tests pass readFileSync): k6's init context cannot read arbitrary files portably, so k6
 * gets the contents inline in TARGETS.
 */
export function readRequestFiles(t: Target, read: (file: string) => string): Target {
  const req = t.request;
  if (!req || (req.bodyFile === undefined && req.headersFile === undefined)) return t;
  const readOne = (file: string, key: string): string => {
    try {
      return read(file);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new Error(`${TARGETS_ENV}: cannot read ${key}=@${file} of '${t.name}' (${e.code ?? e.message})`);
    }
  };
  const { bodyFile, headersFile, ...rest } = req;
  const headers = rest.headers.slice();
  if (headersFile !== undefined) {
    for (const line of readOne(headersFile, 'headers').split(/\r?\n/)) {
      if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
      headers.push(parseHeader(line, `${TARGETS_ENV}: a line of ${headersFile} ('${t.name}')`));
    }
  }
  const request: BlackBoxRequest = Object.assign(
    rest,
    { headers },
    bodyFile !== undefined ? { body: readOne(bodyFile, 'body') } : {},
  );
  return Object.assign({}, t, { request });
}

/**
 * A target as the run's record keeps it (run_info in InfluxDB, read back by `npm run report`):
 * header values left out, as they are often credentials; the plan needs none of them.
 */
export function withoutHeaderValues(t: Target): Target {
  const req = t.request;
  if (!req || req.headers.length === 0) return t;
  const headers = req.headers.map(([name]) => [name, '(not recorded)'] as const);
  return Object.assign({}, t, { request: Object.assign({}, req, { headers }) });
}
