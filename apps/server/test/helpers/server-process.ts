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
  const process = startProcess(globalThis.process.execPath, [SERVER_ENTRY], {
    env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
  });
  await process.waitForLine(/tandem server listening/, 15_000);
  return { process, port, syncUrl: `ws://127.0.0.1:${port}/sync`, httpUrl: `http://127.0.0.1:${port}` };
}
