import { execFileSync } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type RunningProcess, startProcess } from './child-process.js';
import { freePort } from './ports.js';
import { waitFor } from './wait-for.js';

/** A throwaway PostgreSQL cluster: its own data directory and postmaster on 127.0.0.1. */
export interface PostgresServer {
  readonly port: number;
  /** Connection URL of the `postgres` database as the `postgres` superuser (trust auth, loopback only). */
  readonly url: string;
  /** URL of another database on the same server. */
  urlFor(database: string): string;
  /** The running postmaster (replaced by {@link restart}). */
  readonly process: RunningProcess;
  /** Kills the postmaster (SIGKILL by default: a crash) and waits for it. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the postmaster again on the same data directory and port. */
  restart(): Promise<void>;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/** Postgres refuses to run as root: as root, run it as the `postgres` user the Debian package creates. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** Debian keeps initdb and postgres off PATH, in /usr/lib/postgresql/VERSION/bin: look there too, newest first. */
export function postgresBinary(name: string): string {
  const versions = (() => {
    try {
      return readdirSync('/usr/lib/postgresql')
        .sort((x, y) => Number(y) - Number(x))
        .map((v) => join('/usr/lib/postgresql', v, 'bin'));
    } catch {
      return [];
    }
  })();
  for (const dir of [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...versions]) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${name} not found on PATH or in /usr/lib/postgresql/*/bin (apt-get install postgresql)`);
}

/** Who runs the Postgres processes: the `postgres` user when this process is root. */
export type PostgresRunAs = { uid: number; gid: number } | Record<string, never>;

/** A fresh data directory owned by the user Postgres runs as; returns it and that user. */
export function postgresDataDir(): { dir: string; asUser: PostgresRunAs } {
  const user = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'tandem-pg-'));
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  return { dir, asUser: user === undefined ? {} : { uid: user.uid, gid: user.gid } };
}

/** Runs a Postgres tool (initdb, pg_basebackup, pg_ctl) as the Postgres user; rejects with its output on failure. */
export async function runPostgresTool(name: string, args: readonly string[], asUser: PostgresRunAs, cwd: string) {
  const tool = startProcess(postgresBinary(name), args, { ...asUser, cwd });
  const exit = await tool.exited;
  if (exit.code !== 0)
    throw new Error(`${name} failed (${exit.code ?? exit.signal}):\n${tool.lines.slice(-20).join('\n')}`);
}

/**
 * Starts a postmaster on `dir` and `port` (fsync off, 200 connections, plus `args`) and waits for
 * `readyLine` (a standby says it accepts read-only connections).
 */
export async function launchPostgres(options: {
  dir: string;
  port: number;
  asUser: PostgresRunAs;
  args?: readonly string[];
  readyLine?: RegExp;
}): Promise<RunningProcess> {
  const { dir, port } = options;
  const child = startProcess(
    postgresBinary('postgres'),
    [
      ...['-D', dir, '-p', String(port), '-k', dir, '-h', '127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'],
      ...(options.args ?? []),
    ],
    { ...options.asUser, cwd: dir },
  );
  const started = await Promise.race([
    child.waitForLine(options.readyLine ?? /database system is ready to accept connections/, 20_000).then(() => true),
    child.exited.then(() => false),
  ]);
  if (!started) throw new Error(`postgres exited before it was ready:\n${child.lines.slice(-10).join('\n')}`);
  return child;
}

/** initdb in `dir`: trust authentication on loopback (replication included), UTF-8. */
export async function initPostgresDir(dir: string, asUser: PostgresRunAs): Promise<void> {
  try {
    await runPostgresTool(
      'initdb',
      ['-D', dir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions'],
      asUser,
      dir,
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Runs initdb in a temp directory and starts `postgres` on a free port. fsync is off: the tests
 * kill processes, not machines, and committed data survives a process crash without it.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const { dir, asUser } = postgresDataDir();
  await initPostgresDir(dir, asUser);
  const port = await freePort();
  const launch = () => launchPostgres({ dir, port, asUser });
  let current = await launch();
  const urlFor = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    url: urlFor('postgres'),
    urlFor,
    get process() {
      return current;
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      await current.stop(signal, 5_000);
    },
    async restart() {
      // After a SIGKILL the killed postmaster's backends hold its shared memory until they notice
      // it is gone; a start meanwhile refuses ("pre-existing shared memory block"): try again.
      await waitFor(
        async () => {
          try {
            current = await launch();
            return true;
          } catch (err) {
            if (!/shared memory block/.test(String(err))) throw err;
            return false;
          }
        },
        { what: 'postgres to start again', timeoutMs: 15_000, intervalMs: 50 },
      );
    },
    async stop() {
      // Fast shutdown (SIGINT) ends the backends too; SIGKILL after the bound.
      await current.stop('SIGINT', 5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
