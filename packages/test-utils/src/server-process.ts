import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningProcess, startProcess } from './child-process.js';
import { freePort } from './ports.js';

/**
 * The built server entry (`apps/server/dist/main.js`), found by its place in the workspace: this
 * package cannot depend on `@tandem/server`, whose tests depend on this package. The same relative
 * path holds from `src/` and from `dist/`.
 */
export const SERVER_ENTRY = fileURLToPath(new URL('../../../apps/server/dist/main.js', import.meta.url));

/** The log line the server prints once it accepts connections. */
const LISTENING = /tandem server listening/;

/** Options for {@link startServerProcess}. */
export interface ServerProcessOptions {
  /** A fixed port, so a restarted server answers on the same URL; a free one by default. */
  readonly port?: number;
  /** The line that says the server listens (default: its `tandem server listening` log line). */
  readonly readyLine?: RegExp;
  /** How long the server gets to print `readyLine`. */
  readonly startTimeoutMs?: number;
}

/** A `node apps/server/dist/main.js` child process listening on a loopback port. */
export interface ServerProcess {
  readonly process: RunningProcess;
  readonly port: number;
  /** `ws://127.0.0.1:PORT/sync` */
  readonly syncUrl: string;
  /** `http://127.0.0.1:PORT` */
  readonly httpUrl: string;
}

/**
 * Starts the built server on a loopback port and waits until it listens. `env` goes on top of
 * PORT, HOST=127.0.0.1, LOG_LEVEL=info and a temporary DATA_DIR, each of which it may override.
 * A server that does not come up is killed before the error is thrown, so a failed start leaks
 * no process.
 */
export async function startServerProcess(
  env: Record<string, string> = {},
  options: ServerProcessOptions = {},
): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  // Never the repository's ./data: a server that names no DATA_DIR gets a temporary one, removed at exit.
  const ownDataDir = env.DATA_DIR === undefined ? mkdtempSync(join(tmpdir(), 'tandem-server-')) : null;
  const child = startProcess(process.execPath, [SERVER_ENTRY], {
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...(ownDataDir === null ? {} : { DATA_DIR: ownDataDir }),
      ...env,
    },
  });
  if (ownDataDir !== null) void child.exited.then(() => rmSync(ownDataDir, { recursive: true, force: true }));
  try {
    await child.waitForLine(options.readyLine ?? LISTENING, options.startTimeoutMs ?? 15_000);
  } catch (err) {
    await child.stop('SIGKILL');
    throw err;
  }
  return { process: child, port, syncUrl: `ws://127.0.0.1:${port}/sync`, httpUrl: `http://127.0.0.1:${port}` };
}
