import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_ENTRY, startServerProcess } from '@tandem/test-utils';

/** How long a SIGTERMed server gets to drain before it is killed. */
const STOP_TIMEOUT_MS = 15_000;
/**
 * The start banner, printed right after the server listens whatever LOG_LEVEL says (the bench runs
 * at `warn`, which hides the `tandem server listening` log line).
 */
const STARTED = /Tandem is running/;

/** A Tandem server running as a child process on a fresh SQLite data directory. */
export interface BenchServer {
  readonly port: number;
  readonly dataDir: string;
  /** Bytes in the data directory (database, WAL and shared-memory files). */
  dataBytes(): number;
  /** CPU time (user + system) the server process has used so far, in seconds; null off Linux. */
  cpuSeconds(): number | null;
  /** SIGTERMs the server, waits for it to exit and deletes its data directory. */
  stop(): Promise<void>;
}

/** The built server entry (`apps/server/dist/main.js`). */
export function serverEntry(): string {
  return SERVER_ENTRY;
}

/**
 * Starts `node apps/server/dist/main.js` on a free port and waits until it listens. With `core`,
 * the server and every thread it has or starts run on that core only (`taskset -a`): a child
 * otherwise inherits the affinity of the process that starts it — `compare` pins itself, the load
 * generator, to core 1, and its ack scenario's server used to share that core with its writers.
 */
export async function startServer(options: { core?: number | null } = {}): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
  const server = await startServerProcess({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, { readyLine: STARTED }).catch(
    (err: unknown) => {
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    },
  );
  const proc = server.process;
  const pid = proc.child.pid;
  if (options.core !== undefined && options.core !== null && pid !== undefined) {
    const pinned = spawnSync('taskset', ['-a', '-pc', String(options.core), String(pid)], { stdio: 'ignore' });
    if (pinned.status !== 0) {
      await proc.stop('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`taskset could not pin the server to core ${options.core}`);
    }
  }
  return {
    port: server.port,
    dataDir,
    dataBytes: () => directoryBytes(dataDir),
    cpuSeconds: () => (proc.child.pid === undefined ? null : processCpuSeconds(proc.child.pid)),
    async stop() {
      let exit: Awaited<ReturnType<typeof proc.stop>>;
      try {
        exit = await proc.stop('SIGTERM', STOP_TIMEOUT_MS);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
      if (exit.code !== 0) {
        process.stderr.write(
          `warning: server exited with ${exit.code ?? exit.signal}; output:\n${proc.lines.slice(-20).join('\n')}\n`,
        );
      }
    },
  };
}

function directoryBytes(dir: string): number {
  let total = 0;
  for (const name of ['tandem.sqlite', 'tandem.sqlite-wal', 'tandem.sqlite-shm']) {
    try {
      total += statSync(join(dir, name)).size;
    } catch {
      // The file does not exist (yet): it counts as empty.
    }
  }
  return total;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every mainstream Linux build). */
const USER_HZ = 100;

function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may itself contain spaces): utime is
    // field 14 and stime field 15 of the whole line, i.e. indexes 11 and 12 after the ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / USER_HZ : null;
  } catch {
    return null;
  }
}
