import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type RunningProcess, startProcess } from '@tandem/test-utils';

/** The built server entry; `npm test` builds before it runs the tests. */
export const SERVER_ENTRY = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** A server child process listening on a loopback port. */
export interface ServerProcess {
  readonly process: RunningProcess;
  readonly port: number;
  /** `ws://127.0.0.1:PORT/sync` */
  readonly syncUrl: string;
  readonly httpUrl: string;
}

/** Starts `node dist/main.js` with `env` on a free port and waits until it listens. */
export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  // Never the repository's ./data: a test that names no DATA_DIR gets a temporary one, removed at exit.
  const ownDataDir = env.DATA_DIR === undefined ? mkdtempSync(join(tmpdir(), 'tandem-server-')) : null;
  const process = startProcess(globalThis.process.execPath, [SERVER_ENTRY], {
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...(ownDataDir ? { DATA_DIR: ownDataDir } : {}),
      ...env,
    },
  });
  if (ownDataDir !== null) void process.exited.then(() => rmSync(ownDataDir, { recursive: true, force: true }));
  await process.waitForLine(/tandem server listening/, 15_000);
  return { process, port, syncUrl: `ws://127.0.0.1:${port}/sync`, httpUrl: `http://127.0.0.1:${port}` };
}
