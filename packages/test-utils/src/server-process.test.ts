import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from './server-process.js';

// Spawns the built server (apps/server/dist/main.js): `npm test` builds before it runs the tests.
describe('startServerProcess', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.process.stop('SIGKILL');
    server = undefined;
  });

  it('starts the server on a loopback port and resolves once it listens', async () => {
    server = await startServerProcess();
    expect(server.syncUrl).toBe(`ws://127.0.0.1:${server.port}/sync`);
    expect(server.httpUrl).toBe(`http://127.0.0.1:${server.port}`);
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
    expect(await server.process.waitForLine(/Tandem is running/)).toContain('Tandem is running');
  });

  it('gives a server without DATA_DIR a temporary one and removes it when the server exits', async () => {
    server = await startServerProcess();
    const line = await server.process.waitForLine(/Storage:/);
    const dataDir = /Storage:\s+(\S+)\/tandem\.sqlite/.exec(line)?.[1];
    expect(dataDir).toMatch(/tandem-server-/);
    expect(existsSync(dataDir ?? '')).toBe(true);
    await server.process.stop('SIGTERM');
    await expect.poll(() => existsSync(dataDir ?? '')).toBe(false);
  });

  it('restarts on the same port when asked for it', async () => {
    const first = await startServerProcess();
    await first.process.stop('SIGTERM');
    server = await startServerProcess({}, { port: first.port });
    expect(server.port).toBe(first.port);
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
  });

  it('rejects, and leaves no process behind, when the server does not come up', async () => {
    const failed = startServerProcess({ PORT: 'not-a-port' });
    await expect(failed).rejects.toThrow(/exited/);
  });
});
