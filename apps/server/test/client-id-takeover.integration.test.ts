import { CloseCode, encode, type Frame, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { awarenessUpdateFor } from './helpers/awareness.js';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { connectRaw, frameOfType, type RawClient } from './helpers/raw-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { signToken, TEST_SECRET } from './helpers/tokens.js';

/**
 * A client whose connection went half-open reconnects with the same Y.Doc, so the same Yjs client
 * id, while the server still holds its old session (the server only notices at its heartbeat).
 * The old session is played by a raw socket that introduced the client id and then went silent.
 */
describe('client id takeover after a half-open connection', () => {
  let server: TestServer | undefined;
  const stock: StockClient[] = [];
  const raw: RawClient[] = [];

  afterEach(async () => {
    for (const c of stock.splice(0)) c.destroy();
    for (const c of raw.splice(0)) c.close();
    await server?.close();
    server = undefined;
  });

  const start = async (config: Parameters<typeof startTestServer>[0] = {}) => {
    // A heartbeat far beyond the test: the stale session is never reaped on its own.
    server = await startTestServer({ ...config, config: { heartbeatIntervalMs: 600_000, ...config.config } });
    return server;
  };

  const stockClient = (room: string, doc?: Y.Doc, params: Record<string, string> = {}) => {
    const client = connectStockClient((server as TestServer).syncUrl, room, params, doc);
    stock.push(client);
    return client;
  };

  /** A raw session that writes `doc`'s state and presence under its client id, then says nothing more. */
  const staleSession = async (url: string, doc: Y.Doc, protocols: string[] = [], wrap = (b: Uint8Array) => b) => {
    const old = connectRaw(url, protocols);
    raw.push(old);
    await old.opened();
    old.send(wrap(encode.awareness(awarenessUpdateFor(doc.clientID, 1, { user: { name: 'Laptop' } }))));
    old.send(wrap(encode.syncUpdate(Y.encodeStateAsUpdate(doc))));
    return old;
  };

  /** A synced stock observer of `room`, and every client id whose presence it saw removed. */
  const watchedRoom = async (room: string) => {
    const observer = stockClient(room);
    await waitFor(() => observer.provider.synced, { what: 'observer synced' });
    const removals: number[] = [];
    observer.provider.awareness.on('change', ({ removed: ids }: { removed: number[] }) => removals.push(...ids));
    return { observer, removals };
  };

  it('YJS-5/AW-6: a stock y-websocket client reconnecting with its own client id is accepted at once; its presence never vanishes', async () => {
    const s = await start();
    const { observer, removals } = await watchedRoom('laptop');

    const doc = new Y.Doc();
    doc.getText('content').insert(0, 'before sleep. ');
    const old = await staleSession(`${s.syncUrl}/laptop`, doc);
    await waitFor(() => observer.text.toString() === 'before sleep. ', { what: 'first edit relayed' });
    await waitFor(() => observer.provider.awareness.getStates().has(doc.clientID), { what: 'presence relayed' });

    // Edits made while the path was down ride in the reconnect handshake.
    doc.getText('content').insert(14, 'offline edit.');
    const back = stockClient('laptop', doc);
    const closes: number[] = [];
    back.provider.on('connection-close', (event: { code: number } | null) => closes.push(event?.code ?? 0));
    back.provider.awareness.setLocalStateField('user', { name: 'Laptop' });

    await waitFor(() => observer.text.toString() === 'before sleep. offline edit.', {
      what: 'offline edit relayed',
      timeoutMs: 2000,
    });
    // The older session is closed with the documented code; the live one keeps its presence.
    expect((await old.waitForClose()).code).toBe(CloseCode.clientIdTakenOver);
    await waitFor(() => s.app.tandem.registry.get('laptop')?.sessionCount === 2, { what: 'stale session gone' });
    back.text.insert(0, '>');
    await waitFor(() => observer.text.toString().startsWith('>'), { what: 'the new session keeps writing' });
    expect(closes).toEqual([]);
    expect(removals).not.toContain(doc.clientID);
    expect(observer.provider.awareness.getStates().has(doc.clientID)).toBe(true);
  });

  it('YJS-5/EXT-3: a tandem.v1 session reconnecting with its own client id is acked and relayed at once', async () => {
    const s = await start();
    const { observer, removals } = await watchedRoom('tandem-laptop');
    const doc = new Y.Doc();
    doc.getMap('m').set('a', 1);
    const old = await staleSession(`${s.syncUrl}/tandem-laptop`, doc, [TANDEM_SUBPROTOCOL]);
    await waitFor(() => observer.doc.getMap('m').get('a') === 1, { what: 'first edit relayed' });

    doc.getMap('m').set('b', 2);
    const back = connectRaw(`${s.syncUrl}/tandem-laptop`, [TANDEM_SUBPROTOCOL]);
    raw.push(back);
    await back.opened();
    back.send(encode.awareness(awarenessUpdateFor(doc.clientID, 2, { user: { name: 'Laptop' } })));
    const step1 = await back.waitForFrame(frameOfType('sync-step1'));
    back.send(encode.syncStep2(Y.encodeStateAsUpdate(doc, step1.stateVector)));
    await back.waitForFrame((f): f is Extract<Frame, { type: 'ack' }> => f.type === 'ack' && f.through === 1);
    await waitFor(() => observer.doc.getMap('m').get('b') === 2, { what: 'reconnect edit relayed', timeoutMs: 2000 });
    expect((await old.waitForClose()).code).toBe(CloseCode.clientIdTakenOver);
    expect(back.closeEvent).toBeUndefined();
    expect(removals).not.toContain(doc.clientID);
  });

  it('YJS-5/MUX-1: a multiplexed document reconnecting with its own client id is acked and relayed at once', async () => {
    const s = await start();
    const { observer, removals } = await watchedRoom('mux-laptop');
    const doc = new Y.Doc();
    doc.getText('content').insert(0, 'one');
    const inDoc = (bytes: Uint8Array) => encode.doc('mux-laptop', bytes);
    const oldMux = connectRaw(s.syncUrl, [TANDEM_SUBPROTOCOL]);
    raw.push(oldMux);
    await oldMux.opened();
    oldMux.send(encode.open('mux-laptop'));
    oldMux.send(inDoc(encode.awareness(awarenessUpdateFor(doc.clientID, 1, { user: { name: 'Laptop' } }))));
    oldMux.send(inDoc(encode.syncUpdate(Y.encodeStateAsUpdate(doc))));
    await waitFor(() => observer.text.toString() === 'one', { what: 'first edit relayed' });

    doc.getText('content').insert(3, ' two');
    const mux = connectRaw(s.syncUrl, [TANDEM_SUBPROTOCOL]);
    raw.push(mux);
    await mux.opened();
    mux.send(encode.open('mux-laptop'));
    mux.send(inDoc(encode.syncUpdate(Y.encodeStateAsUpdate(doc))));
    await waitFor(() => observer.text.toString() === 'one two', { what: 'reconnect edit relayed', timeoutMs: 2000 });
    await waitFor(() => mux.frames.some((f) => f.type === 'doc' && f.frame[0] === 64 /* ack */), {
      what: 'ack on the new connection',
    });
    await waitFor(() => oldMux.frames.some((f) => f.type === 'close-doc' && f.code === CloseCode.clientIdTakenOver), {
      what: 'close-doc 4409 on the old connection',
    });
    expect(mux.frames.some((f) => f.type === 'close-doc')).toBe(false);
    expect(removals).not.toContain(doc.clientID);
  });

  it('YJS-5/AW-3: when the stale session is finally reaped, no presence removal is sent for a client id a live session holds', async () => {
    const s = await start({ config: { heartbeatIntervalMs: 1000 } });
    const { observer, removals } = await watchedRoom('reaped');
    const doc = new Y.Doc();
    doc.getText('content').insert(0, 'x');
    // A session that stops answering pings, as a half-open socket does: the heartbeat reaps it.
    const old = connectRaw(`${s.syncUrl}/reaped`, [], { autoPong: false });
    raw.push(old);
    await old.opened();
    old.send(encode.awareness(awarenessUpdateFor(doc.clientID, 1, { user: { name: 'Old' } })));
    old.send(encode.syncUpdate(Y.encodeStateAsUpdate(doc)));
    await waitFor(() => observer.provider.awareness.getStates().has(doc.clientID), { what: 'presence relayed' });
    doc.getText('content').insert(1, 'y');
    const back = stockClient('reaped', doc);
    const closes: number[] = [];
    back.provider.on('connection-close', (event: { code: number } | null) => closes.push(event?.code ?? 0));
    back.provider.awareness.setLocalStateField('user', { name: 'Back' });
    await waitFor(() => observer.text.toString() === 'xy', { what: 'reconnect edit relayed', timeoutMs: 2000 });
    await old.waitForClose(5000);
    await waitFor(() => s.app.tandem.registry.get('reaped')?.sessionCount === 2, { what: 'stale session removed' });
    back.text.insert(2, 'z');
    await waitFor(() => observer.text.toString() === 'xyz', { what: 'a later edit' });
    expect(closes).toEqual([]);
    expect(removals).not.toContain(doc.clientID);
    expect(observer.provider.awareness.getStates().has(doc.clientID)).toBe(true);
  });

  it('YJS-5/AW-2: with authentication only the same token subject may take over; another user is refused', async () => {
    const s = await start({
      config: { auth: { secret: TEST_SECRET, publicKey: null, jwksUrl: null, audience: 'tandem' } },
    });
    const ada = await signToken({ sub: 'ada', name: 'Ada' });
    const mallory = await signToken({ sub: 'mallory', name: 'Mallory' });
    const doc = new Y.Doc();
    doc.getText('content').insert(0, 'ada wrote this');
    const old = await staleSession(`${s.syncUrl}/guarded?token=${ada}`, doc);
    await waitFor(() => s.app.tandem.registry.get('guarded')?.doc.getText('content').toString() === 'ada wrote this');

    // Mallory copies Ada's client id: her awareness for it is dropped, her structs refused.
    const squatter = connectRaw(`${s.syncUrl}/guarded?token=${mallory}`);
    raw.push(squatter);
    await squatter.opened();
    squatter.send(encode.awareness(awarenessUpdateFor(doc.clientID, 9, { user: { name: 'forged' } })));
    const forged = new Y.Doc();
    Y.applyUpdate(forged, Y.encodeStateAsUpdate(doc));
    forged.clientID = doc.clientID;
    forged.getText('content').insert(0, 'MALLORY ');
    squatter.send(encode.syncUpdate(Y.encodeStateAsUpdate(forged, Y.encodeStateVector(doc))));
    expect((await squatter.waitForClose()).code).toBe(CloseCode.policyViolation);
    expect(old.closeEvent).toBeUndefined();
    const presence = s.app.tandem.registry.get('guarded')?.presence.states().get(doc.clientID) as {
      user: { id: string };
    };
    expect(presence.user.id).toBe('ada');

    // Ada herself, reconnecting with the same client id, takes it over.
    doc.getText('content').insert(0, 'still ');
    const back = stockClient('guarded', doc, { token: ada });
    await waitFor(
      () => s.app.tandem.registry.get('guarded')?.doc.getText('content').toString() === 'still ada wrote this',
      { what: "Ada's reconnect edit", timeoutMs: 2000 },
    );
    expect((await old.waitForClose()).code).toBe(CloseCode.clientIdTakenOver);
    expect(back.provider.wsconnected).toBe(true);
  });
});
