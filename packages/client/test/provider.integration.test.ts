import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { createMultiplexedConnection, TandemProvider } from '../src/index.js';
import { type ServerHandle, startServer } from './server.js';
import { SECRET, sign } from './tokens.js';

const fastBackoff = { baseMs: 50, capMs: 500, restartMinMs: 50, restartSpreadMs: 300 };

describe('TandemProvider against a real server (Node, ws)', () => {
  const dirs: string[] = [];
  const servers: ServerHandle[] = [];
  const providers: TandemProvider[] = [];
  const cleanups: (() => void)[] = [];

  afterEach(async () => {
    for (const p of providers.splice(0)) p.destroy();
    for (const fn of cleanups.splice(0)) fn();
    for (const s of servers.splice(0)) {
      s.process.child.kill('SIGCONT');
      await s.process.stop('SIGKILL');
    }
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const server = async (env: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-client-'));
    dirs.push(dir);
    const s = await startServer(dir, env);
    servers.push(s);
    return s;
  };
  const provider = (
    url: string,
    room: string,
    extra: Partial<ConstructorParameters<typeof TandemProvider>[2]> = {},
  ) => {
    const p = new TandemProvider(room, new Y.Doc(), {
      url,
      WebSocket,
      crossTab: false,
      backoff: fastBackoff,
      ...extra,
    });
    providers.push(p);
    return p;
  };
  const text = (p: TandemProvider) => p.doc.getText('content').toString();

  it('CLIENT-4: a server restart mid-session: every client reconnects and converges, with edits made meanwhile', async () => {
    const s = await server();
    const clients = [provider(s.url, 'restart'), provider(s.url, 'restart'), provider(s.url, 'restart')];
    await Promise.all(clients.map((c) => c.whenSynced()));
    clients[0]?.doc.getText('content').insert(0, 'before restart. ');
    await waitFor(() => clients.every((c) => text(c) === 'before restart. '));

    await s.process.stop('SIGTERM');
    await waitFor(() => clients.every((c) => c.status !== 'connected'), { what: 'everyone disconnected' });
    clients[1]?.doc.getText('content').insert(0, 'while down. ');
    expect(clients[1]?.unsyncedChanges).toBe(1);
    await s.restart();
    await waitFor(
      () => clients.every((c) => c.synced && !c.hasUnsyncedChanges && text(c) === text(clients[0] as TandemProvider)),
      { what: 'convergence after restart', timeoutMs: 10_000 },
    );
    expect(text(clients[2] as TandemProvider)).toContain('while down. ');
    expect(text(clients[2] as TandemProvider)).toContain('before restart. ');
  });

  it('CLIENT-5: a half-open socket (server frozen) is noticed within the configured time and replaced', async () => {
    const s = await server();
    const p = provider(s.url, 'frozen', { liveness: { pingIntervalMs: 200, pongTimeoutMs: 300 } });
    await p.whenSynced();
    const frozenAt = Date.now();
    s.process.child.kill('SIGSTOP');
    await waitFor(() => p.status !== 'connected', { what: 'half-open detected', timeoutMs: 3_000 });
    const detectedAfter = Date.now() - frozenAt;
    expect(detectedAfter).toBeLessThan(2_000);
    s.process.child.kill('SIGCONT');
    await waitFor(() => p.status === 'connected' && p.synced, { what: 'reconnected', timeoutMs: 10_000 });
  });

  it('CLIENT-6: two clients edit while disconnected, then converge with nothing lost or duplicated; acks gate unsyncedChanges', async () => {
    const s = await server();
    const a = provider(s.url, 'offline');
    const b = provider(s.url, 'offline');
    await Promise.all([a.whenSynced(), b.whenSynced()]);
    a.doc.getText('content').insert(0, 'shared start.');
    await waitFor(() => text(b) === 'shared start.');
    // The relay does not wait for storage; the ack does (group commit, up to COMMIT_INTERVAL_MS).
    await waitFor(() => a.unsyncedChanges === 0, { what: "a's first edit acked" });
    await s.process.stop('SIGTERM');
    await waitFor(() => a.status !== 'connected' && b.status !== 'connected');
    a.doc.getText('content').insert(0, '[A offline]');
    b.doc.getText('content').insert(text(b).length, '[B offline]');
    b.doc.getText('content').insert(text(b).length, '[B again]');
    expect(a.unsyncedChanges).toBe(1);
    expect(b.unsyncedChanges).toBe(2);
    await s.restart();
    await Promise.all([a.flush(), b.flush()]);
    expect(a.unsyncedChanges).toBe(0);
    expect(b.unsyncedChanges).toBe(0);
    // Acked means durable: a kill -9 right now loses nothing.
    await s.process.stop('SIGKILL');
    await s.restart();
    await waitFor(() => text(a) === text(b) && a.synced && b.synced, { what: 'convergence', timeoutMs: 10_000 });
    const final = text(a);
    for (const part of ['[A offline]', 'shared start.', '[B offline]', '[B again]']) {
      expect(final.split(part)).toHaveLength(2);
    }
    const fresh = provider(s.url, 'offline');
    await fresh.whenSynced();
    expect(text(fresh)).toBe(final);
  });

  it('CLIENT-7: fifty documents over one socket stay independent; a refused document does not close the others', async () => {
    const s = await server();
    const connection = createMultiplexedConnection({ url: s.url, WebSocket, backoff: fastBackoff });
    cleanups.push(() => connection.destroy());
    const docs = Array.from({ length: 50 }, (_, i) => provider(s.url, `mux-${i}`, { connection }));
    const refused = provider(s.url, 'bad\u0001name', { connection });
    await Promise.all(docs.map((p) => p.whenSynced()));
    for (const [i, p] of docs.entries()) p.doc.getText('content').insert(0, `document ${i}`);
    await Promise.all(docs.map((p) => p.flush()));
    await waitFor(() => refused.lastError !== null, { what: 'refusal reported' });
    expect(refused.lastError?.code).toBe(1008);
    expect(connection.connected).toBe(true);
    expect(s.process.lines.filter((l) => l.includes('multiplexed connection opened'))).toHaveLength(1);
    for (const i of [0, 17, 49]) {
      const reader = provider(s.url, `mux-${i}`);
      await reader.whenSynced();
      expect(text(reader)).toBe(`document ${i}`);
    }
  });

  it('CLIENT-8: the same provider speaks plain y-websocket (no acks) when told to', async () => {
    const s = await server();
    const plain = provider(s.url, 'plain-room', { mode: 'plain' });
    const tandem = provider(s.url, 'plain-room');
    await Promise.all([plain.whenSynced(), tandem.whenSynced()]);
    plain.doc.getText('content').insert(0, 'from a plain session');
    await waitFor(() => text(tandem) === 'from a plain session');
    await plain.flush();
    expect(s.process.lines.some((l) => l.includes('"protocol":"plain"'))).toBe(true);
  });

  it('CLIENT-7: on a shared socket a forbidden document (4403) is refused alone; the others carry on', async () => {
    const s = await server({ AUTH_SECRET: SECRET });
    const token = sign({ docs: { 'team-a/*': 'write' } });
    const connection = createMultiplexedConnection({
      url: s.url,
      WebSocket,
      token,
      backoff: fastBackoff,
    });
    cleanups.push(() => connection.destroy());
    const allowed = Array.from({ length: 5 }, (_, i) => provider(s.url, `team-a/${i}`, { connection }));
    const forbidden = provider(s.url, 'team-b/secret', { connection });
    await waitFor(() => forbidden.lastError !== null, { what: 'refusal of the forbidden document' });
    expect(forbidden.lastError?.code).toBe(4403);
    for (const p of allowed) p.doc.getText('content').insert(0, 'allowed');
    await Promise.all(allowed.map((p) => p.flush()));
    expect(connection.connected).toBe(true);
  });

  it('CLIENT-9: against the real server, an expired token the function cannot refresh stops with 4401; a fresh one connects', async () => {
    const s = await server({ AUTH_SECRET: SECRET });
    const expired = sign({}, -60);
    const stuck = provider(s.url, 'secured', { token: () => expired });
    await waitFor(() => stuck.status === 'failed', { what: 'gave up on the expired token' });
    expect(stuck.lastError).toMatchObject({ code: 4401, reason: expect.stringContaining('token expired') });
    let calls = 0;
    const refreshed = provider(s.url, 'secured', {
      token: () => (++calls === 1 ? expired : sign({ docs: { '*': 'write' } })),
    });
    await refreshed.whenSynced();
    // Called for the refused connection, to check for a new token, and for the new connection.
    expect(calls).toBe(3);
  });
});
