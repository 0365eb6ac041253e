import { CloseCode, encode } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { awarenessUpdateFor } from './helpers/awareness.js';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { connectRaw, frameOfType, type RawClient } from './helpers/raw-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('connection health', () => {
  let server: TestServer | undefined;
  const stock: StockClient[] = [];
  const raw: RawClient[] = [];
  let sampler: NodeJS.Timeout | undefined;

  afterEach(async () => {
    clearInterval(sampler);
    for (const c of stock.splice(0)) c.destroy();
    for (const c of raw.splice(0)) c.close();
    await server?.close();
  });

  it('CONN-1: a peer that stops answering pings is terminated and its presence removed', async () => {
    server = await startTestServer({ config: { heartbeatIntervalMs: 500 } });
    const observer = connectStockClient(server.syncUrl, 'heartbeat');
    stock.push(observer);
    await waitFor(() => observer.provider.synced);
    // A client that never answers WS pings: a half-open connection as the server sees it.
    const dead = connectRaw(`${server.syncUrl}/heartbeat`, [], { autoPong: false });
    raw.push(dead);
    await dead.opened();
    dead.send(encode.awareness(awarenessUpdateFor(777, 1, { user: { name: 'Ghost' } })));
    await waitFor(() => observer.provider.awareness.getStates().has(777), { what: "ghost's presence" });

    // A healthy peer has a whole interval (500 ms) to answer, so a busy test machine does not cut it.
    await waitFor(() => server?.logs.some((l) => l.msg === 'terminating session' && l.reason === 'heartbeat missed'), {
      what: 'heartbeat termination',
    });
    await waitFor(() => !observer.provider.awareness.getStates().has(777), { what: "ghost's presence removed" });
    // The observer answers pings (ws does so automatically) and stays connected.
    expect(observer.provider.wsconnected).toBe(true);
    expect(server.app.tandem.registry.stats().sessions).toBe(1);
  });

  it('CONN-2: a stalled reader is closed with 1013, its buffer stays bounded, and the room keeps serving others', async () => {
    const limit = 256 * 1024;
    server = await startTestServer({ config: { maxBufferedBytes: limit, slowCloseGraceMs: 100 } });
    const url = `${server.syncUrl}/flood`;
    const healthy = connectStockClient(server.syncUrl, 'flood');
    stock.push(healthy);
    const stalled = connectRaw(url);
    const writer = connectRaw(url);
    raw.push(stalled, writer);
    await Promise.all([stalled.opened(), writer.opened(), waitFor(() => healthy.provider.synced)]);
    await stalled.waitForFrame(frameOfType('sync-step1'));
    await writer.waitForFrame(frameOfType('sync-step1'));
    // Stop reading: the kernel buffers fill, then the server's.
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();

    const maxBufferedBySession = new Map<string, number>();
    sampler = setInterval(() => {
      for (const session of server?.app.tandem.sessions ?? []) {
        const seen = maxBufferedBySession.get(session.id) ?? 0;
        maxBufferedBySession.set(session.id, Math.max(seen, session.bufferedAmount));
      }
    }, 2);

    const source = new Y.Doc();
    const items = source.getArray<string>('chunks');
    const chunk = 'x'.repeat(16 * 1024);
    const rounds = 1500; // ~24 MiB, far beyond the loopback socket buffers
    source.on('update', (update: Uint8Array) => writer.send(encode.syncUpdate(update)));
    for (let i = 0; i < rounds; i++) items.push([`${i}:${chunk}`]);

    await waitFor(() => healthy.doc.getArray('chunks').length === rounds, {
      what: 'healthy client got everything',
      timeoutMs: 20_000,
    });
    const closing = await waitFor(
      () => server?.logs.find((l) => l.msg === 'closing session' && l.code === CloseCode.tryAgainLater),
      {
        what: '1013 close',
      },
    );
    expect(closing.room).toBe('flood');
    await waitFor(() => server?.app.tandem.registry.stats().sessions === 2, { what: 'stalled session gone' });
    clearInterval(sampler);
    // Bounded: the limit, or one coalesced frame (at most 1 MiB plus one update) taken by an empty buffer —
    // far below the ~24 MiB the room relayed.
    const maxBuffered = maxBufferedBySession.get(String(closing.session)) ?? -1;
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(Math.max(limit, 1024 * 1024 + 2 * chunk.length));
    expect(healthy.provider.wsconnected).toBe(true);
  });
});
