import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode, decodeFrame } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import * as Y from 'yjs';
import { TandemProvider } from '../src/index.js';
import { startServer } from './server.js';
import { SECRET, sign } from './tokens.js';

/**
 * A WebSocket server that only judges tokens: it records the auth-token frame each connection
 * opens with and closes with the code `decide` returns, so the client's side of the close
 * codes is exercised in isolation (the real server's auth is tested below).
 */
async function tokenGate(decide: (token: string | null, attempt: number) => number | 'keep') {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => [...p][0] ?? false });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const tokens: (string | null)[] = [];
  let connections = 0;
  server.on('connection', (socket) => {
    connections++;
    // A tandem.v1 client authenticates with an auth-token frame first thing.
    socket.once('message', (data: Buffer) => {
      const decoded = decodeFrame(new Uint8Array(data));
      const token = decoded.ok && decoded.frame.type === 'auth-token' ? decoded.frame.token : null;
      tokens.push(token);
      const verdict = decide(token, tokens.length);
      if (verdict !== 'keep') socket.close(verdict, verdict === CloseCode.unauthenticated ? 'token expired' : 'bye');
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/sync`,
    tokens,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('provider: tokens, cross-tab sync and presence', () => {
  const providers: TandemProvider[] = [];
  const closers: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const p of providers.splice(0)) p.destroy();
    for (const close of closers.splice(0)) await close();
  });

  it('CLIENT-9: the token function is called on every (re)connect, so a refreshed token is used', async () => {
    const gate = await tokenGate((_token, attempt) => (attempt === 1 ? CloseCode.serviceRestart : 'keep'));
    closers.push(gate.close);
    let issued = 0;
    const p = new TandemProvider('doc', new Y.Doc(), {
      url: gate.url,
      WebSocket,
      crossTab: false,
      token: async () => `token-${++issued}`,
      backoff: { restartMinMs: 10, restartSpreadMs: 10 },
    });
    providers.push(p);
    await waitFor(() => gate.tokens.length === 2, { what: 'a reconnect' });
    expect(gate.tokens).toEqual(['token-1', 'token-2']);
  });

  it('CLIENT-9: 4401 with a refreshed token reconnects at once; 4401 without a new token stops and says why', async () => {
    const gate = await tokenGate((token) => (token === 'fresh' ? 'keep' : CloseCode.unauthenticated));
    closers.push(gate.close);
    const answers = ['stale', 'fresh'];
    const refreshed = new TandemProvider('doc', new Y.Doc(), {
      url: gate.url,
      WebSocket,
      crossTab: false,
      token: () => answers.shift() ?? 'fresh',
    });
    providers.push(refreshed);
    // The refused socket opens before its 4401 close, so wait for the second connection too.
    await waitFor(() => refreshed.status === 'connected' && gate.tokens.length === 2, {
      what: 'connected with the fresh token',
    });
    expect(gate.tokens).toEqual(['stale', 'fresh']);

    gate.tokens.length = 0;
    const errors: { code: number; reason: string }[] = [];
    const stuck = new TandemProvider('doc', new Y.Doc(), {
      url: gate.url,
      WebSocket,
      crossTab: false,
      token: () => 'stale',
    });
    providers.push(stuck);
    stuck.on('error', (e) => errors.push(e));
    const statuses: string[] = [];
    stuck.on('status', (e) => statuses.push(e.status));
    await waitFor(() => stuck.status === 'failed', { what: 'gave up' });
    expect(gate.tokens).toEqual(['stale']);
    expect(errors.at(-1)?.code).toBe(CloseCode.unauthenticated);
    expect(statuses.at(-1)).toBe('failed');
    // A retry loop would show up as more connections; there are none.
    await new Promise((resolve) => setImmediate(resolve));
    expect(gate.tokens).toEqual(['stale']);
  });

  it('CLIENT-10: same-origin tabs exchange updates and presence through BroadcastChannel, even offline', async () => {
    // Two providers in one process stand for two tabs; neither is connected to any server.
    const tabA = new TandemProvider('shared-doc', new Y.Doc(), { url: 'ws://127.0.0.1:9/sync', connect: false });
    const tabB = new TandemProvider('shared-doc', new Y.Doc(), { url: 'ws://127.0.0.1:9/sync', connect: false });
    providers.push(tabA, tabB);
    tabA.doc.getText('content').insert(0, 'typed in tab A');
    await waitFor(() => tabB.doc.getText('content').toString() === 'typed in tab A', { what: 'update across tabs' });
    tabB.awareness.setLocalStateField('user', { name: 'B' });
    await waitFor(() => tabA.awareness.getStates().get(tabB.doc.clientID) !== undefined, {
      what: 'presence across tabs',
    });
    // Tab B holds A's edit as its own unsynced work too: whichever tab reconnects first sends it.
    expect(tabB.unsyncedChanges).toBe(1);
  });

  it('CLIENT-11: destroy() clears the local presence (and tells the other tabs)', async () => {
    const tabA = new TandemProvider('presence-doc', new Y.Doc(), { url: 'ws://127.0.0.1:9/sync', connect: false });
    const tabB = new TandemProvider('presence-doc', new Y.Doc(), { url: 'ws://127.0.0.1:9/sync', connect: false });
    providers.push(tabB);
    tabA.awareness.setLocalStateField('user', { name: 'A' });
    await waitFor(() => tabB.awareness.getStates().has(tabA.doc.clientID));
    tabA.destroy();
    expect(tabA.awareness.getLocalState()).toBeNull();
    await waitFor(() => !tabB.awareness.getStates().has(tabA.doc.clientID), {
      what: 'presence removed in the other tab',
    });
  });
});

/** An HTTP server that answers every path with an HTML page, as an SPA dev server's fallback does. */
async function htmlEverywhere() {
  const server = createServer((_req, res) => {
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html>\n<html><body><div id="root"></div></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    tokenUrl: `http://127.0.0.1:${port}/api/tandem-token`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('provider: what a token function returns', () => {
  const providers: TandemProvider[] = [];
  const closers: (() => Promise<void>)[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    for (const p of providers.splice(0)) p.destroy();
    for (const close of closers.splice(0)) await close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const failure = async (url: string, token: () => Promise<string>) => {
    const errors: { code: number; reason: string }[] = [];
    const p = new TandemProvider('doc', new Y.Doc(), { url, WebSocket, crossTab: false, token });
    providers.push(p);
    p.on('error', (e) => errors.push(e));
    await waitFor(() => p.status === 'failed', { what: 'the provider to stop' });
    return errors;
  };

  it('CLIENT-15: an HTML page from a missing token route is never sent; the provider stops and says so', async () => {
    const html = await htmlEverywhere();
    const gate = await tokenGate(() => 'keep');
    closers.push(html.close, gate.close);
    const errors = await failure(gate.url, async () => (await fetch(html.tokenUrl)).text());
    expect(errors).toEqual([{ code: CloseCode.unauthenticated, reason: expect.stringMatching(/HTML page/) }]);
    expect(gate.connections()).toBe(0);
  });

  it('CLIENT-15: with authentication on, the error names the HTML page; a token with a trailing newline works', async () => {
    const html = await htmlEverywhere();
    closers.push(html.close);
    const dir = mkdtempSync(join(tmpdir(), 'tandem-token-'));
    dirs.push(dir);
    const server = await startServer(dir, { AUTH_SECRET: SECRET });
    closers.push(async () => void (await server.process.stop('SIGKILL')));
    const errors = await failure(server.url, async () => (await fetch(html.tokenUrl)).text());
    expect(errors.at(-1)?.reason).toMatch(/token function returned an HTML page/);

    const ok = new TandemProvider('doc', new Y.Doc(), {
      url: server.url,
      WebSocket,
      crossTab: false,
      token: async () => `${sign({ docs: { '*': 'write' } })}\n`,
    });
    providers.push(ok);
    await ok.whenSynced();
  });
});
