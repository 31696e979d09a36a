// The targets of a run: which servers are measured and which sync one every speedup is
// computed against. Built-in targets come from the registry; a user names their own server by
// URL. Pure: k6 passes `__ENV`, the runner and the tests pass plain objects.
//
//   TARGETS=express,koa,fastify                        built-in targets (the default)
//   TARGETS=express,koa,mine=http://127.0.0.1:9000;model=async
//   TARGETS=express,legacy=http://legacy.internal:8000;model=sync;workers=4;stats=http://legacy.internal:8001
//   TARGETS='express,gw=http://127.0.0.1:9001;model=sync;workers=2;path=/ask;method=POST;body=@ask.json'
//   REFERENCE=flask                                    speedups against real Gunicorn
//
// An entry with `path=` is a black-box target: k6 sends it that request instead of /io, and it
// needs none of the contract routes (docs/targets.md, "Your service as it is").

import {
  DEFAULT_HOST,
  DEFAULT_REFERENCE,
  DEFAULT_TARGETS,
  type Model,
  TARGET_NAMES,
  TARGETS,
  type TargetName,
} from '../../lib/registry.ts';
import { blackBoxTarget, parseHeader } from './black-box.ts';
import { withPool } from './target-pool.ts';
import { escapeValue, positiveInt, TARGETS_ENV, unescapeValue } from './target-values.ts';

/** How a target's CPU and RSS are read, as the summary says it. */
export type CpuSource = '/stats' | 'process tree' | 'not measured';

/** What k6 sends a black-box target instead of /io: declared in TARGETS, not a contract route. */
export interface BlackBoxRequest {
  readonly method: string;
  /** Path and query, sent exactly as written. */
  readonly path: string;
  readonly headers: readonly (readonly [name: string, value: string])[];
  readonly body?: string;
  /** `body=@file` and `headers=@file` until the runner has read them (k6 cannot read files). */
  readonly bodyFile?: string;
  readonly headersFile?: string;
}

export interface Target {
  /** Tag value of every sample of this target; k6 scenario ids are built from it. */
  readonly name: string;
  readonly url: string;
  /**
   * Where /stats is read: the target's own URL unless it declares another (Gunicorn); for a
   * black-box target the runner's process-tree reader, or '' when its CPU is not measured.
   */
  readonly statsUrl: string;
  readonly model: Model;
  readonly framework: string;
  /** Sync targets: W, when known before the run (`workers=`); else read from /health. */
  readonly workers?: number;
  /** Sync targets: T threads per worker (gthread; `threads=` or /health), when more than one. */
  readonly threads?: number;
  /** Async targets: P connections its IO goes through (`pool=`), which cap it as W does. */
  readonly pool?: number;
  /** A target of the registry, as opposed to one a user named by URL. */
  readonly builtin: boolean;
  /** A black-box target: the request it is sent instead of /io. */
  readonly request?: BlackBoxRequest;
  /** A black-box target's process, when given (`pid=`): its tree is measured instead of the port's. */
  readonly pid?: number;
  /**
   * How CPU is read when not from /stats. A black-box target without it and without a stats
   * URL is not measured yet: the runner decides (process tree on this machine, else none).
   */
  readonly cpu?: 'process tree' | 'not measured';
}

export type Env = Readonly<Record<string, string | undefined>>;

export { TARGETS_ENV };
export const REFERENCE_ENV = 'REFERENCE';

/** k6 scenario names allow [A-Za-z0-9_-]; `_` separates scenario and target in a slot id. */
const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const USER_KEYS = ['model', 'workers', 'threads', 'pool', 'stats', 'framework'] as const;
/** Keys that make an entry a black-box target, or only apply to one; `header` may repeat. */
const BLACK_BOX_KEYS = ['path', 'method', 'body', 'header', 'headers', 'pid', 'cpu'] as const;
const KEYS = [...USER_KEYS, ...BLACK_BOX_KEYS] as const;
type Key = (typeof KEYS)[number];

const trimUrl = (url: string): string => url.trim().replace(/\/+$/, '');

function checkUrl(url: string, what: string): string {
  if (!/^https?:\/\/[^/\s]+/.test(url)) throw new Error(`${what} must be an http(s) URL, got '${url}'`);
  return trimUrl(url);
}

/** A user target's label when TARGETS gives it none. */
const defaultFramework = (name: string, model: Model): string => `${name}: user target (${model})`;

export function isBuiltin(name: string): name is TargetName {
  return (TARGET_NAMES as readonly string[]).includes(name);
}

function fromEnv(env: Env, key: string | undefined): string | undefined {
  const raw = key ? env[key] : undefined;
  return raw && raw.trim() !== '' ? trimUrl(raw) : undefined;
}

/** A built-in target at the URL its environment variable gives, else its default port on loopback. */
export function builtinTarget(name: TargetName, env: Env = {}): Target {
  const spec: (typeof TARGETS)[TargetName] = TARGETS[name];
  const url = fromEnv(env, spec.urlEnv) ?? `http://${DEFAULT_HOST}:${spec.port}`;
  const stats = 'stats' in spec ? spec.stats : undefined;
  const statsUrl = stats ? (fromEnv(env, stats.urlEnv) ?? `http://${DEFAULT_HOST}:${stats.port}`) : url;
  return { name, url, statsUrl, model: spec.model, framework: spec.framework, builtin: true };
}

/** One `name=url;key=value;...` entry (or a bare built-in name). */
function parseEntry(entry: string, env: Env): Target {
  const eq = entry.indexOf('=');
  const name = (eq === -1 ? entry : entry.slice(0, eq)).trim();
  if (!NAME.test(name)) {
    throw new Error(
      `${TARGETS_ENV}: '${name}' is not a usable target name (lower-case letters, digits and '-', starting with a letter)`,
    );
  }
  if (eq === -1) {
    if (!isBuiltin(name)) {
      throw new Error(
        `${TARGETS_ENV}: unknown target '${name}'; built-in: ${TARGET_NAMES.join(', ')}; ` +
          `your own: ${name}=http://host:port;model=async (or model=sync;workers=W)`,
      );
    }
    return builtinTarget(name, env);
  }
  const [rawUrl = '', ...options] = entry.slice(eq + 1).split(';');
  const url = checkUrl(rawUrl, `${TARGETS_ENV}: the URL of '${name}'`);
  const opts: Partial<Record<Key, string>> = {};
  const headers: [string, string][] = [];
  let previous = '';
  for (const option of options) {
    if (option.trim() === '') continue;
    const [key = '', ...rest] = option.split('=');
    const k = key.trim() as Key;
    if (!KEYS.includes(k) || rest.length === 0) {
      // A `;` inside a header value (`Content-Type: application/json; charset=utf-8`) or a
      // body splits it here: say so rather than name a key nobody wrote.
      const inValue = previous === 'header' || previous === 'body';
      throw new Error(
        inValue
          ? `${TARGETS_ENV}: '${option}' in '${name}' follows its ${previous}=: a ';' inside a ${previous} separates options; write it as %3B, or put the ${previous === 'body' ? 'body in a file (body=@file)' : 'headers in a file (headers=@file)'}`
          : `${TARGETS_ENV}: '${option}' in '${name}' is not one of ${KEYS.join('=, ')}=`,
      );
    }
    previous = k;
    const value = rest.join('=').trim();
    if (k === 'header')
      headers.push(
        parseHeader(
          unescapeValue(value, `${TARGETS_ENV}: header of '${name}'`),
          `${TARGETS_ENV}: header of '${name}'`,
        ),
      );
    else if (k in opts) throw new Error(`${TARGETS_ENV}: ${k}= is given twice in '${name}'`);
    else opts[k] = value;
  }
  const blackBoxKeys = BLACK_BOX_KEYS.filter((k) => (k === 'header' ? headers.length > 0 : k in opts));
  if (isBuiltin(name)) {
    if (blackBoxKeys.length > 0) {
      throw new Error(
        `${TARGETS_ENV}: ${blackBoxKeys.join('=, ')}= describe your own service; '${name}' is a built-in target (name yours differently)`,
      );
    }
    // A built-in target somewhere else (another machine, a container): its model is known.
    const base = builtinTarget(name, env);
    const placed: Target = Object.assign({}, base, {
      url,
      statsUrl: opts.stats
        ? checkUrl(opts.stats, `${name} stats`)
        : base.statsUrl === base.url
          ? url
          : base.statsUrl,
    });
    if (opts.workers)
      Object.assign(placed, { workers: positiveInt(opts.workers, `${TARGETS_ENV}: workers of '${name}'`) });
    return withPool(withThreads(placed, opts.threads), opts.pool, TARGETS_ENV);
  }
  const model = opts.model;
  if (model !== 'sync' && model !== 'async') {
    throw new Error(
      `${TARGETS_ENV}: '${name}' needs model=sync or model=async (got ${model === undefined ? 'none' : `'${model}'`})`,
    );
  }
  if (blackBoxKeys.length > 0 && opts.path === undefined) {
    throw new Error(
      `${TARGETS_ENV}: ${blackBoxKeys.join('=, ')}= only apply to a black-box target: give '${name}' the path= of the request to send`,
    );
  }
  const blackBox = opts.path !== undefined;
  let target: Target = {
    name,
    url,
    statsUrl: opts.stats ? checkUrl(opts.stats, `${TARGETS_ENV}: stats of '${name}'`) : blackBox ? '' : url,
    model,
    framework: opts.framework || defaultFramework(name, model),
    builtin: false,
  };
  if (opts.workers) {
    if (model !== 'sync')
      throw new Error(`${TARGETS_ENV}: workers= only applies to a sync target ('${name}')`);
    target = Object.assign(target, {
      workers: positiveInt(opts.workers, `${TARGETS_ENV}: workers of '${name}'`),
    });
  } else if (blackBox && model === 'sync') {
    throw new Error(
      `${TARGETS_ENV}: '${name}' is a sync black-box target: declare its workers=W (it has no /health to read W from)`,
    );
  }
  target = withPool(withThreads(target, opts.threads), opts.pool, TARGETS_ENV);
  return blackBox ? blackBoxTarget(target, opts, headers) : target;
}

/** `threads=T`: a sync target's threads per worker (threads count as workers: W·T slots). */
function withThreads(target: Target, raw: string | undefined): Target {
  if (raw === undefined) return target;
  if (target.model !== 'sync')
    throw new Error(`${TARGETS_ENV}: threads= only applies to a sync target ('${target.name}')`);
  return Object.assign({}, target, {
    threads: positiveInt(raw, `${TARGETS_ENV}: threads of '${target.name}'`),
  });
}

/**
 * The selected targets in measuring order: sync first (so the reference is measured before
 * the servers compared with it), each group in registry order, user targets after built-ins.
 */
export function parseTargets(
  raw: string | undefined,
  env: Env = {},
  defaults: readonly TargetName[] = DEFAULT_TARGETS,
): Target[] {
  const entries =
    raw === undefined || raw.trim() === ''
      ? defaults.slice()
      : raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
  const targets = entries.map((e, i) => {
    const eq = e.indexOf('=');
    const name = (eq === -1 ? e : e.slice(0, eq)).trim();
    const before = entries[i - 1];
    // A `,` inside a body or a header value splits the entry: the piece after it is no entry.
    if (
      (!NAME.test(name) || (eq === -1 && !isBuiltin(name))) &&
      before &&
      /;\s*(body|header)=/.test(before)
    ) {
      throw new Error(
        `${TARGETS_ENV}: '${e}' is not an entry: a ',' inside a body or header value separates entries; write it as %2C, or put it in a file (body=@file, headers=@file)`,
      );
    }
    return parseEntry(e, env);
  });
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.name)) throw new Error(`${TARGETS_ENV}: '${t.name}' is named twice`);
    seen.add(t.name);
  }
  const rank = (t: Target) =>
    (t.model === 'sync' ? 0 : 1000) + (t.builtin ? TARGET_NAMES.indexOf(t.name as TargetName) : 100);
  return targets
    .map((t, i) => ({ t, i }))
    .sort((a, b) => rank(a.t) - rank(b.t) || a.i - b.i)
    .map(({ t }) => t);
}

/**
 * The sync target the speedups are computed against: REFERENCE, else express when selected,
 * else the first sync target; null when no sync target is selected (nothing to compare with).
 */
export function pickReference(targets: readonly Target[], raw: string | undefined): string | null {
  const sync = targets.filter((t) => t.model === 'sync');
  if (raw !== undefined && raw.trim() !== '') {
    const name = raw.trim();
    const found = targets.find((t) => t.name === name);
    if (!found) {
      throw new Error(
        `${REFERENCE_ENV}=${name} is not among the targets (${targets.map((t) => t.name).join(', ')})`,
      );
    }
    if (found.model !== 'sync') throw new Error(`${REFERENCE_ENV}=${name} must be a sync target`);
    return name;
  }
  return (sync.find((t) => t.name === DEFAULT_REFERENCE) ?? sync[0])?.name ?? null;
}

/** The TARGETS value that reproduces a list exactly (the runner passes it to k6 with W filled in). */
export function formatTargets(targets: readonly Target[]): string {
  return targets
    .map((t) => {
      const parts = [`${t.name}=${t.url}`];
      if (!t.builtin) parts.push(`model=${t.model}`);
      if (t.workers !== undefined) parts.push(`workers=${t.workers}`);
      if (t.threads !== undefined) parts.push(`threads=${t.threads}`);
      if (t.pool !== undefined) parts.push(`pool=${t.pool}`);
      if (t.statsUrl !== t.url && t.statsUrl !== '') parts.push(`stats=${t.statsUrl}`);
      // The label parsing gives anyway is left out: TARGETS stays as the user wrote it.
      if (!t.builtin && t.framework !== defaultFramework(t.name, t.model))
        parts.push(`framework=${t.framework.replace(/[;,]/g, ' ')}`);
      const req = t.request;
      if (req) {
        parts.push(`path=${req.path}`, `method=${req.method}`);
        for (const [name, value] of req.headers) parts.push(`header=${escapeValue(`${name}: ${value}`)}`);
        if (req.headersFile !== undefined) parts.push(`headers=@${req.headersFile}`);
        if (req.bodyFile !== undefined) parts.push(`body=@${req.bodyFile}`);
        else if (req.body !== undefined) parts.push(`body=${escapeValue(req.body)}`);
        if (t.pid !== undefined) parts.push(`pid=${t.pid}`);
        if (t.cpu) parts.push(`cpu=${t.cpu === 'process tree' ? 'process-tree' : 'none'}`);
      }
      return parts.join(';');
    })
    .join(',');
}

/**
 * Colours of the built-in targets in the report; user targets, and a built-in one without a
 * colour here, take the rest in turn.
 */
const BUILTIN_COLORS: Readonly<Record<string, string>> = {
  express: '#c0392b',
  flask: '#8e44ad',
  'flask-gthread': '#a569bd',
  'flask-gevent': '#6c3483',
  koa: '#2471a3',
  fastify: '#229954',
  'fastify-cluster': '#1e8449',
  quart: '#d68910',
  fastapi: '#ca6f1e',
  control: '#5d6d7e',
};
const EXTRA_COLORS = ['#17a589', '#a04000', '#1f618d', '#7d3c98', '#b7950b'];

export function targetColor(name: string, index: number): string {
  return BUILTIN_COLORS[name] ?? (EXTRA_COLORS[index % EXTRA_COLORS.length] as string);
}
