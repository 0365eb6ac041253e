import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningProcess, startServerProcess } from '@tandem/test-utils';

/** A server process serving the built editor app; restartable on the same port and data. */
export interface AppServer {
  readonly httpUrl: string;
  process: RunningProcess;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** Starts again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops for good and removes the data directory. */
  dispose(): Promise<void>;
}

/** Starts `apps/server/dist/main.js` (which serves `apps/web/dist`) on a free loopback port. */
export async function startAppServer(env: Record<string, string> = {}): Promise<AppServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-e2e-'));
  const first = await startServerProcess({ DATA_DIR: dataDir, ...env });
  const launch = async () => (await startServerProcess({ DATA_DIR: dataDir, ...env }, { port: first.port })).process;
  const server: AppServer = {
    httpUrl: first.httpUrl,
    process: first.process,
    async stop() {
      await server.process.stop('SIGTERM');
    },
    async start() {
      server.process = await launch();
    },
    async dispose() {
      await server.process.stop('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
