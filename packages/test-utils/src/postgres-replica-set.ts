import { rmSync } from 'node:fs';
import type { RunningProcess } from './child-process.js';
import { freePort } from './ports.js';
import { initPostgresDir, launchPostgres, postgresDataDir, runPostgresTool } from './postgres-server.js';

/** One postmaster of a {@link PostgresReplicaSet}. */
export interface PostgresMember {
  readonly port: number;
  readonly process: RunningProcess;
  /** `host:port`, as a multi-host connection string lists it. */
  readonly address: string;
}

/** A primary and a streaming standby on loopback ports, commits synchronous to the standby. */
export interface PostgresReplicaSet {
  readonly primary: PostgresMember;
  readonly standby: PostgresMember;
  /** `postgres://postgres@primary,standby/DATABASE?target_session_attrs=read-write` */
  multiHostUrl(database: string): string;
  /** Kills the primary with SIGKILL (a crash) and waits for it. */
  killPrimary(): Promise<void>;
  /** `pg_ctl promote -w` on the standby: it becomes a read-write primary. */
  promoteStandby(): Promise<void>;
  /** Stops both and removes their data directories. */
  stop(): Promise<void>;
}

/**
 * Starts a primary (initdb) and a standby made from it with `pg_basebackup -R` that streams its
 * WAL. Commits are synchronous (`synchronous_standby_names = '*'`): a commit the primary
 * acknowledged is on the standby too, so promoting the standby loses no acknowledged write.
 */
export async function startPostgresReplicaSet(): Promise<PostgresReplicaSet> {
  const primaryDir = postgresDataDir();
  const standbyDir = postgresDataDir();
  const [primaryPort, standbyPort] = [await freePort(), await freePort()];
  const running: RunningProcess[] = [];
  const cleanup = async () => {
    for (const child of running) await child.stop('SIGINT', 5_000);
    rmSync(primaryDir.dir, { recursive: true, force: true });
    rmSync(standbyDir.dir, { recursive: true, force: true });
  };
  try {
    await initPostgresDir(primaryDir.dir, primaryDir.asUser);
    const primary = await launchPostgres({
      ...primaryDir,
      port: primaryPort,
      args: ['-c', 'synchronous_standby_names=*', '-c', 'synchronous_commit=on'],
    });
    running.push(primary);
    await runPostgresTool(
      'pg_basebackup',
      ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', standbyDir.dir, '-R', '-X', 'stream'],
      standbyDir.asUser,
      standbyDir.dir,
    );
    const standby = await launchPostgres({
      ...standbyDir,
      port: standbyPort,
      readyLine: /database system is ready to accept read-only connections/,
    });
    running.push(standby);
    await standby.waitForLine(/started streaming WAL/, 20_000);
    const member = (port: number, process: RunningProcess): PostgresMember => ({
      port,
      process,
      address: `127.0.0.1:${port}`,
    });
    const set: PostgresReplicaSet = {
      primary: member(primaryPort, primary),
      standby: member(standbyPort, standby),
      multiHostUrl: (database) =>
        `postgres://postgres@127.0.0.1:${primaryPort},127.0.0.1:${standbyPort}/${database}?target_session_attrs=read-write`,
      async killPrimary() {
        await primary.stop('SIGKILL');
      },
      async promoteStandby() {
        await runPostgresTool(
          'pg_ctl',
          ['promote', '-w', '-t', '30', '-D', standbyDir.dir],
          standbyDir.asUser,
          standbyDir.dir,
        );
        await standby.waitForLine(/database system is ready to accept connections/, 20_000);
      },
      stop: cleanup,
    };
    return set;
  } catch (err) {
    await cleanup();
    throw err;
  }
}
