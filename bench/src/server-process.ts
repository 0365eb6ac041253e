import { mkdtempSync, rmSync, statSync } from 'node:fs';
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
