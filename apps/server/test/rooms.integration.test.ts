import { CloseCode, encode } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMemoryDocStore } from '../src/storage/memory-doc-store.js';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { connectRaw, frameOfType, type RawClient } from './helpers/raw-client.js';
import { failLoads, gateLoads, holdAppends } from './helpers/store-wrappers.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('room lifecycle', () => {
  let server: TestServer | undefined;
  const stock: StockClient[] = [];
  const raw: RawClient[] = [];

  afterEach(async () => {
    for (const c of stock.splice(0)) c.destroy();
    for (const c of raw.splice(0)) c.close();
    await server?.close();
  });

  it('ROOM-1: fifty clients joining a cold room cause one storage load', async () => {
    const gated = gateLoads(createMemoryDocStore());
    server = await startTestServer({ store: gated.store });
    const url = `${server.syncUrl}/cold-room`;
    for (let i = 0; i < 50; i++) raw.push(connectRaw(url));
    await Promise.all(raw.map((c) => c.opened()));
    await waitFor(() => server?.app.tandem.sessions.size === 50, { what: '50 sessions waiting on the load' });
    expect(gated.loads()).toBe(1);
    gated.release();
    // Every session gets the server's sync step 1 once the single load completes.
    await Promise.all(raw.map((c) => c.waitForFrame(frameOfType('sync-step1'))));
    expect(gated.loads()).toBe(1);
    expect(server.app.tandem.registry.stats()).toMatchObject({ rooms: 1, sessions: 50, loads: 1 });
  });

  it('ROOM-2: an idle room unloads after its last session leaves, and its content is reloaded', async () => {
    server = await startTestServer({ config: { roomIdleMs: 50 } });
    const a = connectStockClient(server.syncUrl, 'idle');
    stock.push(a);
    await waitFor(() => a.provider.synced);
    a.text.insert(0, 'kept across unload');
    await waitFor(
      () => server?.app.tandem.registry.get('idle')?.doc.getText('content').toString() === 'kept across unload',
    );
    a.destroy();
    await waitFor(() => server?.app.tandem.registry.get('idle') === undefined, { what: 'room unloaded' });
    expect(server.logsWith('room unloaded').some((l) => l.room === 'idle')).toBe(true);

    const b = connectStockClient(server.syncUrl, 'idle');
    stock.push(b);
    await waitFor(() => b.provider.synced && b.text.toString() === 'kept across unload', { what: 'reloaded content' });
    expect(server.app.tandem.registry.stats().loads).toBe(2);
  });

  it('ROOM-2: a room with a session stays loaded past the idle delay', async () => {
    server = await startTestServer({ config: { roomIdleMs: 20 } });
    const a = connectStockClient(server.syncUrl, 'busy');
    const b = connectStockClient(server.syncUrl, 'busy');
    stock.push(a, b);
    await waitFor(() => a.provider.synced && b.provider.synced);
    a.destroy();
    // b's edit reaching the server proves time passed with the room still serving b.
    b.text.insert(0, 'still here');
    await waitFor(() => server?.app.tandem.registry.get('busy')?.doc.getText('content').length === 10);
    await waitFor(() => server?.logs.some((l) => l.msg === 'session ended'));
    expect(server.app.tandem.registry.get('busy')).toBeDefined();
    expect(server.logsWith('room unloaded')).toHaveLength(0);
  });

  it('ROOM-3: a failed load closes joining sessions with 1011, caches nothing, and a later join retries', async () => {
    const inner = createMemoryDocStore();
    const seed = new Y.Doc();
    seed.getText('content').insert(0, 'stored before the failure');
    await inner.append([{ docId: 'fragile', update: Y.encodeStateAsUpdate(seed) }]);
    const failing = failLoads(inner);
    server = await startTestServer({ store: failing.store });

    const first = connectRaw(`${server.syncUrl}/fragile`, ['tandem.v1']);
    const second = connectRaw(`${server.syncUrl}/fragile`);
    raw.push(first, second);
    expect((await first.waitForClose()).code).toBe(CloseCode.internalError);
    expect((await second.waitForClose()).code).toBe(CloseCode.internalError);
    const notice = first.frames.find(frameOfType('notice'));
    expect(notice?.code).toBe(CloseCode.internalError);
    expect(server.app.tandem.registry.get('fragile')).toBeUndefined();
    expect(server.logsWith('room failed to load').some((l) => l.room === 'fragile')).toBe(true);
    // The stored bytes are untouched and nothing was written.
    const stored = await inner.load('fragile');
    expect(stored.updates).toHaveLength(1);

    failing.setFailing(false);
    const retry = connectStockClient(server.syncUrl, 'fragile');
    stock.push(retry);
    await waitFor(() => retry.provider.synced && retry.text.toString() === 'stored before the failure');
  });

  it('CONN-3: shutdown closes sessions with 1012 and waits until the store has taken every pending update', async () => {
    const inner = createMemoryDocStore();
    const held = holdAppends(inner);
    // The held append outlasts the drain's share for acks (half the timeout): sessions close while it is held.
    server = await startTestServer({ store: held.store, config: { shutdownTimeoutMs: 2000 } });
    const writer = connectRaw(`${server.syncUrl}/drain`, ['tandem.v1']);
    raw.push(writer);
    await writer.waitForFrame(frameOfType('sync-step1'));
    const doc = new Y.Doc();
    doc.getText('content').insert(0, 'pending at shutdown');
    writer.send(encode.syncUpdate(Y.encodeStateAsUpdate(doc)));
    await waitFor(() => held.held() === 1, { what: 'append in flight' });

    let closed = false;
    const closing = server.app.close().then(() => {
      closed = true;
    });
    expect((await writer.waitForClose()).code).toBe(CloseCode.serviceRestart);
    expect(closed).toBe(false);
    held.release();
    await closing;
    const stored = await inner.load('drain');
    const reloaded = new Y.Doc();
    for (const { update } of stored.updates) Y.applyUpdate(reloaded, update);
    expect(reloaded.getText('content').toString()).toBe('pending at shutdown');
  });
});
