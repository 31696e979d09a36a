// A real PostgreSQL for the tests, from Debian's packages: initdb into a temporary directory,
// pg_ctl start on a free port of 127.0.0.1 with its unix socket in that directory (the default,
// /var/run/postgresql, is root's), stopped and removed afterwards. PostgreSQL refuses to run as
// root, so as root every server command runs as the `postgres` user through runuser.

import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/free-port.ts';

const run = promisify(execFile);

/** Who runs the server when the tests run as root: the user Debian's postgresql package makes. */
export const PG_USER = 'postgres';
const LIB = '/usr/lib/postgresql';

/** The server binaries: PG_BIN, else the newest /usr/lib/postgresql/<major>/bin. */
export function postgresBin(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  if (!existsSync(LIB)) return undefined;
  const majors = readdirSync(LIB)
    .filter((v) => /^\d+$/.test(v) && existsSync(path.join(LIB, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? undefined : path.join(LIB, majors[0], 'bin');
}

const asRoot = () => process.getuid?.() === 0;

/** The uid and gid of PG_USER, or undefined when there is no such user. */
function pgUser(): { uid: number; gid: number } | undefined {
  const id = (flag: string) => spawnSync('id', [flag, PG_USER], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

/** Null when a server can be started here; else one line saying what is missing. */
export function postgresProblem(): string | null {
  const bin = postgresBin();
  if (bin === undefined || !existsSync(path.join(bin, 'pg_ctl'))) {
    return `PostgreSQL is not installed (no ${bin ?? `${LIB}/<version>/bin`}/pg_ctl; PG_BIN names its bin directory): sudo apt-get install postgresql`;
  }
  if (asRoot() && pgUser() === undefined) {
    return `PostgreSQL refuses to run as root and there is no '${PG_USER}' user to run it as (sudo apt-get install postgresql makes one)`;
  }
  return null;
}

export interface Postgres {
  /** postgresql://postgres@127.0.0.1:PORT/postgres, trusted without a password. */
  readonly url: string;
  readonly port: number;
  /** One SQL statement through psql; its rows as text, one a line, columns split by '|'. */
  query(sql: string): Promise<string>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** PostgreSQL's own default is 100. */
  readonly maxConnections?: number;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<Postgres> {
  const problem = postgresProblem();
  if (problem) throw new Error(problem);
  const bin = postgresBin() as string;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'io-benchmark-pg-'));
  const user = asRoot() ? pgUser() : undefined;
  if (user) chownSync(dir, user.uid, user.gid);
  // As root, runuser drops to PG_USER; the cwd is the data's parent, which that user can enter.
  const server = (tool: string, args: string[]) =>
    user
      ? run('runuser', ['-u', PG_USER, '--', path.join(bin, tool), ...args], { cwd: dir })
      : run(path.join(bin, tool), args, { cwd: dir });
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  const port = await freePort();
  let started = false;
  const stop = async () => {
    if (started) await server('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Throwaway data: no fsync, so initdb and the tests do not wait on the disk.
    await server('initdb', ['-D', data, '-U', PG_USER, '--auth=trust', '-E', 'UTF8', '--no-sync']);
    const settings = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      `-c max_connections=${options.maxConnections ?? 100}`,
    ];
    started = true;
    await server('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', settings.join(' '), 'start']);
  } catch (err) {
    const logTail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').pop() : undefined;
    const detail =
      logTail ??
      String((err as { stderr?: string }).stderr ?? err)
        .trim()
        .split('\n')
        .pop();
    await stop();
    throw new Error(`PostgreSQL did not start on port ${port}: ${detail}`);
  }
  const url = `postgresql://${PG_USER}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async query(sql) {
      const { stdout } = await run(path.join(bin, 'psql'), ['-X', '-A', '-t', '-d', url, '-c', sql]);
      return stdout.trim();
    },
    stop,
  };
}

/** A server started before the suite and stopped after it; read it inside tests. */
export function usePostgres(options: PostgresOptions = {}): { readonly current: Postgres } {
  let pg: Postgres | undefined;
  before(async () => {
    pg = await startPostgres(options);
  });
  after(() => pg?.stop());
  return {
    get current() {
      if (!pg) throw new Error('PostgreSQL is not started yet (use it inside a test)');
      return pg;
    },
  };
}
