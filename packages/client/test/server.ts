import { type RunningProcess, startServerProcess } from '@tandem/test-utils';

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
  const first = await startServerProcess({ DATA_DIR: dataDir, ...env });
  const handle: ServerHandle = {
    url: first.syncUrl,
    port: first.port,
    process: first.process,
    async restart() {
      handle.process = (await startServerProcess({ DATA_DIR: dataDir, ...env }, { port: first.port })).process;
    },
  };
  return handle;
}
