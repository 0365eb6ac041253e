import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type RunningProcess, startProcess } from '@tandem/test-utils';

const SERVER_ENTRY = fileURLToPath(new URL('../../apps/server/dist/main.js', import.meta.url));

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
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-e2e-'));
  const launch = async () => {
    const child = startProcess(process.execPath, [SERVER_ENTRY], {
      env: { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env },
    });
    await child.waitForLine(/tandem server listening/, 15_000);
    return child;
  };
  const server: AppServer = {
    httpUrl: `http://127.0.0.1:${port}`,
    process: await launch(),
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
