import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningProcess, startProcess, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { TandemProvider } from '../src/index.js';
import { type ServerHandle, startServer } from './server.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/sync-then-destroy.mjs', import.meta.url));
/** How long a finished Node program may take to exit once nothing holds it. */
const EXIT_WITHIN_MS = 3_000;

describe('@tandem/client in Node, as its README shows', () => {
  const dirs: string[] = [];
  const servers: ServerHandle[] = [];
  const children: RunningProcess[] = [];
  const providers: TandemProvider[] = [];

  afterEach(async () => {
    for (const p of providers.splice(0)) p.destroy();
    for (const c of children.splice(0)) await c.stop('SIGKILL');
    for (const s of servers.splice(0)) await s.process.stop('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const server = async (env: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-node-usage-'));
    dirs.push(dir);
    const s = await startServer(dir, env);
    servers.push(s);
    return s;
  };

  it('CLIENT-16: ws’s WebSocket class is accepted as the WebSocket option without a cast', async () => {
    const s = await server();
    const doc = new Y.Doc();
    // Type-checked by `npm test` (turbo typecheck): before CLIENT-16 this line was TS2322.
    const provider = new TandemProvider('typed', doc, { url: s.url, WebSocket, crossTab: false });
    providers.push(provider);
    await provider.whenSynced();
    doc.getText('content').insert(0, 'typed');
    await provider.flush();
    expect(provider.unsyncedChanges).toBe(0);
  });

  it('CLIENT-14: a Node program exits by itself after provider.destroy()', async () => {
    const s = await server();
    const child = startProcess(process.execPath, [SCRIPT, s.url, 'exits', 'hello from Node']);
    children.push(child);
    await child.waitForLine(/destroyed/, 15_000);
    const destroyedAt = Date.now();
    await waitFor(() => child.child.exitCode !== null || child.child.signalCode !== null, {
      timeoutMs: EXIT_WITHIN_MS,
      what: `the Node program to exit within ${EXIT_WITHIN_MS} ms of destroy()`,
    });
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - destroyedAt).toBeLessThan(EXIT_WITHIN_MS);
  });

  it('ORIGIN-2: a provider from a refused origin stops with 4403 and the server’s reason', async () => {
    const s = await server({ ALLOWED_ORIGINS: 'https://app.example.com' });
    // What a page at http://localhost:5173 sends; a browser adds the Origin header itself.
    class FromDevServer extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { origin: 'http://localhost:5173' });
      }
    }
    const provider = new TandemProvider('refused', new Y.Doc(), {
      url: s.url,
      WebSocket: FromDevServer,
      crossTab: false,
    });
    providers.push(provider);
    const errors: { code: number; reason: string }[] = [];
    provider.on('error', (e) => errors.push(e));
    await waitFor(() => provider.status === 'failed', { what: 'the provider to stop' });
    expect(errors).toEqual([
      { code: 4403, reason: expect.stringContaining('origin http://localhost:5173 is not allowed') },
    ]);
  });
});
