import { CloseCode, encode, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { type RunningProcess, startProcess, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectRaw, frameOfType, type RawClient } from './helpers/raw-client.js';
import { SERVER_ENTRY, startServerProcess } from './helpers/server-process.js';

describe('the server process', () => {
  let server: RunningProcess | undefined;
  const raw: RawClient[] = [];

  afterEach(async () => {
    for (const c of raw.splice(0)) c.close();
    await server?.stop('SIGKILL');
  });

  const start = async (env: Record<string, string> = {}) => {
    const started = await startServerProcess(env);
    server = started.process;
    return started.syncUrl;
  };

  it('CONN-3: SIGTERM closes every session with 1012 and exits 0', async () => {
    const syncUrl = await start();
    for (const room of ['alpha', 'alpha', 'beta']) raw.push(connectRaw(`${syncUrl}/${room}`, [TANDEM_SUBPROTOCOL]));
    raw.push(connectRaw(`${syncUrl}/beta`));
    await Promise.all(raw.map((c) => c.opened()));
    await Promise.all(raw.map((c) => c.waitForFrame(frameOfType('sync-step1'))));
    const doc = new Y.Doc();
    doc.getText('content').insert(0, 'last words');
    raw[0]?.send(encode.syncUpdate(Y.encodeStateAsUpdate(doc)));
    await raw[1]?.waitForFrame(frameOfType('sync-update'));

    server?.child.kill('SIGTERM');
    const exit = await server?.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    const closes = await Promise.all(raw.map((c) => c.waitForClose()));
    for (const closed of closes) expect(closed.code).toBe(CloseCode.serviceRestart);
    expect(server?.lines.some((l) => l.includes('shutdown complete'))).toBe(true);
  });

  it('prints the URL to open and the WebSocket URL at start', async () => {
    const syncUrl = await start();
    const httpUrl = syncUrl.replace('ws://', 'http://').replace('/sync', '');
    await server?.waitForLine(new RegExp(`Open:\\s+${httpUrl.replaceAll('.', '\\.')}`));
    await server?.waitForLine(new RegExp(`WebSocket:\\s+${syncUrl.replaceAll('.', '\\.')}`));
    const health = await fetch(`${httpUrl}/healthz`);
    expect(health.status).toBe(200);
  });

  it('refuses to start on invalid configuration and names the variable', async () => {
    server = startProcess(process.execPath, [SERVER_ENTRY], { env: { PORT: 'not-a-port' } });
    const exit = await server.exited;
    expect(exit.code).toBe(2);
    await waitFor(() => server?.lines.some((l) => l.includes('PORT')), { what: 'error naming PORT' });
  });
});
