import { fileURLToPath } from 'node:url';
import { freePort, type RunningProcess, startProcess } from '@tandem/test-utils';

const SERVER_ENTRY = fileURLToPath(new URL('../../../apps/server/dist/main.js', import.meta.url));

/** A Tandem server child process on a fixed loopback port (so it can be restarted on the same URL). */
export interface ServerHandle {
  readonly url: string;
  readonly port: number;
  process: RunningProcess;
  /** Starts the process again on the same port and data directory. */
  restart(): Promise<void>;
}

/** Starts `apps/server/dist/main.js` with a data directory. */
export async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<ServerHandle> {
  const port = await freePort();
  const launch = async () => {
    const child = startProcess(process.execPath, [SERVER_ENTRY], {
      env: { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env },
    });
    await child.waitForLine(/tandem server listening/, 15_000);
    return child;
  };
  const handle: ServerHandle = {
    url: `ws://127.0.0.1:${port}/sync`,
    port,
    process: await launch(),
    async restart() {
      handle.process = await launch();
    },
  };
  return handle;
}
