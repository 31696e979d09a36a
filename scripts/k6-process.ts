// One k6 process: finding the binary, its command line, spawning it in its own process group
// and filtering what it writes to stderr. The runner decides how many and with what
// environment (k6/lib/run-info.ts runEnv); this module only runs them.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fail } from './run-log.ts';
import type { Segment } from './segments.ts';

export const K6_MISSING_EXIT = 2;

export const K6_INSTALL_HELP = [
  'k6 is not installed: no `k6` on PATH.',
  'Install it with your package manager (macOS: `brew install k6`; Windows: `winget install k6`;',
  'Debian/Ubuntu and Fedora: Grafana\'s k6 package repository, see "Install k6" in the k6 docs),',
  'or run the suite in Docker without installing anything: `docker compose run --rm k6`.',
].join('\n');

export function findOnPath(name: string, envPath = process.env.PATH || ''): string | null {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The first line of `k6 version`, as summary.json reports it. */
export function k6Version(k6: string): string {
  return spawnSync(k6, ['version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] || 'k6';
}

/**
 * Tags k6 writes to InfluxDB as fields instead: `url` differs with every seeded request path and
 * would make a series of each request; `iter` likewise where a k6 version tags it. Samples of
 * two VUs are kept apart by the suite's own `vu_id` tag (TAGS.vu).
 */
const INFLUX_TAGS_AS_FIELDS = 'K6_INFLUXDB_TAGS_AS_FIELDS';
const INFLUX_FIELDS_NOT_TAGS = 'iter,url';

export interface K6Command {
  readonly bundle: string;
  /** `--out influxdb=<url>`, when an InfluxDB answers. */
  readonly influx: string | null;
  /** Every `-e` of the run (runEnv). */
  readonly env: Readonly<Record<string, string>>;
  /** The REST API's port; 0 picks a free one. */
  readonly port: number;
  /** One slice of a run split over several processes, started paused. */
  readonly segment?: Segment;
}

export function k6Args(c: K6Command): string[] {
  const args = ['run', '--address', `127.0.0.1:${c.port}`];
  if (c.segment) {
    args.push(
      '--paused',
      '--execution-segment',
      c.segment.segment,
      '--execution-segment-sequence',
      c.segment.sequence,
    );
  }
  if (c.influx) args.push('--out', `influxdb=${c.influx}`);
  for (const [k, v] of Object.entries(c.env)) args.push('-e', `${k}=${v}`);
  args.push(c.bundle);
  return args;
}

export interface K6Run {
  readonly child: ChildProcess;
  /** k6's exit code (1 when it could not be run). */
  readonly exit: Promise<number>;
  /** How many "Request Failed" warnings were not shown. */
  readonly suppressed: Promise<number>;
}

export function spawnK6(k6: string, args: readonly string[], cwd: string): K6Run {
  const tty = Boolean(process.stderr.isTTY);
  // Its own process group: a terminal's Ctrl-C reaches the runner only, which passes one
  // SIGINT on, so k6 stops gracefully instead of receiving two signals and aborting.
  const child = spawn(k6, args, {
    cwd,
    env: Object.assign({}, process.env, {
      [INFLUX_TAGS_AS_FIELDS]: process.env[INFLUX_TAGS_AS_FIELDS] || INFLUX_FIELDS_NOT_TAGS,
    }),
    stdio: ['ignore', 'inherit', tty ? 'inherit' : 'pipe'],
    detached: true,
  });
  const suppressed = tty ? Promise.resolve(0) : filterStderr(child);
  const exit: Promise<number> = new Promise((resolve) => {
    child.on('exit', (c) => resolve(c ?? 1));
    child.on('error', (err) => {
      fail(`could not run k6: ${err.message}`);
      resolve(1);
    });
  });
  return { child, exit, suppressed };
}

/**
 * Without a terminal, k6 writes one "Request Failed" warning per failed request (hundreds
 * when the sync server times out in the open model) and logfmt lines for the script's
 * console output: keep the first few warnings, count the rest, and print console lines plainly.
 */
function filterStderr(child: ChildProcess): Promise<number> {
  let suppressed = 0;
  let shown = 0;
  const rl = createInterface({ input: child.stderr as NodeJS.ReadableStream });
  rl.on('line', (line) => {
    if (line.includes('msg="Request Failed"')) {
      if (shown < 3) {
        shown++;
        process.stderr.write(`${line}\n`);
      } else suppressed++;
      return;
    }
    const consoleLine = /level=(\w+) msg="((?:[^"\\]|\\.)*)" source=console/.exec(line);
    if (consoleLine) {
      process.stdout.write(`[k6] ${consoleLine[2]?.replace(/\\"/g, '"')}\n`);
      return;
    }
    process.stderr.write(`${line}\n`);
  });
  return new Promise((resolve) => rl.on('close', () => resolve(suppressed)));
}
