// The targets of a run: which servers are measured and which sync one every speedup is
// computed against. Built-in targets come from the registry; a user names their own server by
// URL. Pure: k6 passes `__ENV`, the runner and the tests pass plain objects.
//
//   TARGETS=express,koa,fastify                        built-in targets (the default)
//   TARGETS=express,koa,mine=http://127.0.0.1:9000;model=async
//   TARGETS=express,legacy=http://legacy.internal:8000;model=sync;workers=4;stats=http://legacy.internal:8001
//   REFERENCE=flask                                    speedups against real Gunicorn

import {
  DEFAULT_HOST,
  DEFAULT_REFERENCE,
  DEFAULT_TARGETS,
  type Model,
  TARGET_NAMES,
  TARGETS,
  type TargetName,
} from '../../lib/registry.ts';

export interface Target {
  /** Tag value of every sample of this target; k6 scenario ids are built from it. */
  readonly name: string;
  readonly url: string;
  /** Where /stats is read: the target's own URL unless it declares another (Gunicorn). */
  readonly statsUrl: string;
  readonly model: Model;
  readonly framework: string;
  /** Sync targets: W, when known before the run (`workers=`); else read from /health. */
  readonly workers?: number;
  /** A target of the registry, as opposed to one a user named by URL. */
  readonly builtin: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

export const TARGETS_ENV = 'TARGETS';
export const REFERENCE_ENV = 'REFERENCE';

/** k6 scenario names allow [A-Za-z0-9_-]; `_` separates scenario and target in a slot id. */
const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const USER_KEYS = ['model', 'workers', 'stats', 'framework'] as const;

const trimUrl = (url: string): string => url.trim().replace(/\/+$/, '');

function checkUrl(url: string, what: string): string {
  if (!/^https?:\/\/[^/\s]+/.test(url)) throw new Error(`${what} must be an http(s) URL, got '${url}'`);
  return trimUrl(url);
}

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

function positiveInt(raw: string, what: string): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1)) throw new Error(`${what} must be a whole number of at least 1, got '${raw}'`);
  return n;
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
  const opts: Partial<Record<(typeof USER_KEYS)[number], string>> = {};
  for (const option of options) {
    if (option.trim() === '') continue;
    const [key = '', ...rest] = option.split('=');
    const k = key.trim() as (typeof USER_KEYS)[number];
    if (!USER_KEYS.includes(k) || rest.length === 0) {
      throw new Error(`${TARGETS_ENV}: '${option}' in '${name}' is not one of ${USER_KEYS.join('=, ')}=`);
    }
    opts[k] = rest.join('=').trim();
  }
  if (isBuiltin(name)) {
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
    if (!opts.workers) return placed;
    return Object.assign(placed, {
      workers: positiveInt(opts.workers, `${TARGETS_ENV}: workers of '${name}'`),
    });
  }
  const model = opts.model;
  if (model !== 'sync' && model !== 'async') {
    throw new Error(
      `${TARGETS_ENV}: '${name}' needs model=sync or model=async (got ${model === undefined ? 'none' : `'${model}'`})`,
    );
  }
  const target: Target = {
    name,
    url,
    statsUrl: opts.stats ? checkUrl(opts.stats, `${TARGETS_ENV}: stats of '${name}'`) : url,
    model,
    framework: opts.framework || `${name}: user target (${model})`,
    builtin: false,
  };
  if (opts.workers) {
    if (model !== 'sync')
      throw new Error(`${TARGETS_ENV}: workers= only applies to a sync target ('${name}')`);
    return Object.assign(target, {
      workers: positiveInt(opts.workers, `${TARGETS_ENV}: workers of '${name}'`),
    });
  }
  return target;
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
  const targets = entries.map((e) => parseEntry(e, env));
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
      if (t.statsUrl !== t.url) parts.push(`stats=${t.statsUrl}`);
      if (!t.builtin) parts.push(`framework=${t.framework.replace(/[;,]/g, ' ')}`);
      return parts.join(';');
    })
    .join(',');
}

/** Colours of the built-in targets in the report; user targets take the rest in turn. */
const BUILTIN_COLORS: Readonly<Record<TargetName, string>> = {
  express: '#c0392b',
  flask: '#8e44ad',
  koa: '#2471a3',
  fastify: '#229954',
  quart: '#d68910',
  control: '#5d6d7e',
};
const EXTRA_COLORS = ['#17a589', '#a04000', '#1f618d', '#7d3c98', '#b7950b'];

export function targetColor(name: string, index: number): string {
  return isBuiltin(name) ? BUILTIN_COLORS[name] : (EXTRA_COLORS[index % EXTRA_COLORS.length] as string);
}
