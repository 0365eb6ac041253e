import { encode } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { awarenessUpdateFor } from './helpers/awareness.js';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { connectRaw, type RawClient } from './helpers/raw-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { signToken, TEST_SECRET } from './helpers/tokens.js';

describe('awareness', () => {
  let server: TestServer | undefined;
  const stock: StockClient[] = [];
  const raw: RawClient[] = [];

  afterEach(async () => {
    for (const c of stock.splice(0)) c.destroy();
    for (const c of raw.splice(0)) c.close();
    await server?.close();
  });

  const stockClient = (room: string, params: Record<string, string> = {}) => {
    const client = connectStockClient((server as TestServer).syncUrl, room, params);
    stock.push(client);
    return client;
  };

  it('AW-1/AW-3: presence is relayed, and removed for everyone when a session drops without saying goodbye', async () => {
    server = await startTestServer();
    const a = stockClient('presence');
    const b = stockClient('presence');
    await waitFor(() => a.provider.synced && b.provider.synced);
    a.provider.awareness.setLocalStateField('user', { name: 'Ada' });
    await waitFor(
      () => (b.provider.awareness.getStates().get(a.doc.clientID) as { user?: { name: string } })?.user?.name === 'Ada',
      {
        what: "Ada's presence at b",
      },
    );
    // Cut a's socket abruptly and keep the provider from reconnecting: only the server can tell b.
    a.provider.shouldConnect = false;
    (a.provider.ws as WebSocket | null)?.terminate();
    await waitFor(() => !b.provider.awareness.getStates().has(a.doc.clientID), { what: "Ada's presence removed at b" });
  });

  it('AW-4: query-awareness is answered with every known state', async () => {
    server = await startTestServer();
    const a = stockClient('query');
    await waitFor(() => a.provider.synced);
    a.provider.awareness.setLocalStateField('user', { name: 'Grace' });
    await waitFor(() => server?.app.tandem.registry.get('query')?.presence.states().has(a.doc.clientID));
    const probe = connectRaw(`${server.syncUrl}/query`);
    raw.push(probe);
    await probe.opened();
    probe.send(encode.queryAwareness());
    await waitFor(() => probe.frames.filter((f) => f.type === 'awareness').length >= 2, {
      what: 'two awareness frames (join + query answer)',
    });
  });

  it("AW-2: a session cannot overwrite or remove presence owned by another user's session", async () => {
    // Another user: the same user (or anyone in open mode) with a newer state is the same client reconnecting (YJS-5).
    server = await startTestServer({
      config: { auth: { secret: TEST_SECRET, publicKey: null, jwksUrl: null, audience: 'tandem' } },
    });
    const a = stockClient('owned', { token: await signToken({ sub: 'owner', name: 'Owner' }) });
    const b = stockClient('owned', { token: await signToken({ sub: 'bystander' }) });
    await waitFor(() => a.provider.synced && b.provider.synced);
    a.provider.awareness.setLocalStateField('user', { name: 'Owner' });
    await waitFor(() => b.provider.awareness.getStates().has(a.doc.clientID));

    const intruder = connectRaw(`${server.syncUrl}/owned?token=${await signToken({ sub: 'intruder' })}`);
    raw.push(intruder);
    await intruder.opened();
    const victim = a.doc.clientID;
    intruder.send(encode.awareness(awarenessUpdateFor(victim, 1_000, { user: { name: 'Hijacked' } })));
    intruder.send(encode.awareness(awarenessUpdateFor(victim, 1_001, null)));
    // The intruder's own presence is accepted; it arrives after the forged frames, so they were already judged.
    intruder.send(encode.awareness(awarenessUpdateFor(424242, 1, { user: { name: 'Intruder' } })));
    await waitFor(() => b.provider.awareness.getStates().has(424242), { what: "intruder's own presence" });
    const state = b.provider.awareness.getStates().get(victim) as { user?: { name: string } } | undefined;
    expect(state?.user?.name).toBe('Owner');
  });
});
