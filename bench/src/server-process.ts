import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type RunningProcess, startProcess } from '@tandem/test-utils';

/** How long the server gets to answer /healthz after it was spawned. */
const START_TIMEOUT_MS = 15_000;
const HEALTH_POLL_MS = 50;
/** How long a SIGTERMed server gets to drain before it is killed. */
const STOP_TIMEOUT_MS = 15_000;

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

/** The built server entry, found through the workspace dependency on `@tandem/server`. */
export function serverEntry(): string {
  return fileURLToPath(import.meta.resolve('@tandem/server'));
}

/** Starts `node apps/server/dist/main.js` on a free port and waits until GET /healthz answers 200. */
export async function startServer(): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
  const port = await freePort();
  const proc = startProcess(process.execPath, [serverEntry()], {
    env: { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
  });
  const cleanup = async () => {
    try {
      return await proc.stop('SIGTERM', STOP_TIMEOUT_MS);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  try {
    await waitHealthy(proc, port);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    port,
    dataDir,
    dataBytes: () => directoryBytes(dataDir),
    cpuSeconds: () => (proc.child.pid === undefined ? null : processCpuSeconds(proc.child.pid)),
    async stop() {
      const { code, signal } = await cleanup();
      if (code !== 0) {
        process.stderr.write(
          `warning: server exited with ${code ?? signal}; output:\n${proc.lines.slice(-20).join('\n')}\n`,
        );
      }
    },
  };
}

async function waitHealthy(proc: RunningProcess, port: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`server exited before it was healthy; output:\n${proc.lines.slice(-30).join('\n')}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_MS));
  }
  throw new Error(
    `server not healthy after ${START_TIMEOUT_MS} ms (${lastError}); output:\n${proc.lines.slice(-30).join('\n')}`,
  );
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
