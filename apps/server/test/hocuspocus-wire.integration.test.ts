import { CloseCode, encode, HocuspocusMessageType, hocuspocusEncode } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { awarenessUpdateFor } from './helpers/awareness.js';
import { HOCUSPOCUS_RELEASES, hocuspocusClients } from './helpers/hocuspocus-clients.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { signToken, TEST_SECRET } from './helpers/tokens.js';

/** A message from the server: its address (null for the bare ping) and its body from the type on. */
interface Received {
  readonly address: string | null;
  readonly type: number;
  readonly body: Uint8Array;
}

/** A raw socket on /hocuspocus that records what the server sends, decoded to address + type. */
interface RawHocuspocus {
  readonly ws: WebSocket;
  readonly received: Received[];
  readonly closed: Promise<{ code: number; reason: string }>;
  send(address: string, body: Uint8Array): void;
  auth(address: string, token: string, version?: string): void;
  of(address: string, type: number): Received[];
}

function connectRawHocuspocus(url: string, headers: Record<string, string> = {}): RawHocuspocus {
  const ws = new WebSocket(url, { headers });
  const received: Received[] = [];
  ws.on('message', (data: Buffer) => {
    const bytes = new Uint8Array(data);
    if (bytes.byteLength === 1) {
      received.push({ address: null, type: bytes[0] as number, body: bytes });
      return;
    }
    const decoder = decoding.createDecoder(bytes);
    const address = decoding.readVarString(decoder);
    const body = bytes.subarray(decoder.pos);
    received.push({ address, type: body[0] as number, body });
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  const send = (address: string, body: Uint8Array) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(hocuspocusEncode.addressed(address, body));
  };
  return {
    ws,
    received,
    closed,
    send,
    auth(address, token, version) {
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, HocuspocusMessageType.auth);
      encoding.writeVarUint(e, 0);
      encoding.writeVarString(e, token);
      if (version !== undefined) encoding.writeVarString(e, version);
      send(address, encoding.toUint8Array(e));
    },
    of: (address, type) => received.filter((m) => m.address === address && m.type === type),
  };
}

const opened = (raw: RawHocuspocus) =>
  new Promise<void>((resolve, reject) => {
    raw.ws.once('open', () => resolve());
    raw.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });

const update = (text: string) => {
  const doc = new Y.Doc();
  doc.getText('content').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
};

const secured = { auth: { secret: TEST_SECRET, publicKey: null, jwksUrl: null, audience: 'tandem' } };

describe('the /hocuspocus wire', () => {
  let server: TestServer | undefined;
  const raws: RawHocuspocus[] = [];

  afterEach(async () => {
    for (const r of raws.splice(0)) r.ws.terminate();
    await server?.close();
    server = undefined;
  });

  const urlOf = (s: TestServer) => `${s.httpUrl.replace(/^http/, 'ws')}/hocuspocus`;
  const connect = async (headers: Record<string, string> = {}) => {
    const raw = connectRawHocuspocus(urlOf(server as TestServer), headers);
    raws.push(raw);
    await opened(raw);
    return raw;
  };

  it('HP-5: an update from a readonly session gets "sync status: not applied" and changes nothing', async () => {
    server = await startTestServer({
      config: { auth: { secret: TEST_SECRET, publicKey: null, jwksUrl: null, audience: 'tandem' } },
    });
    const raw = await connect();
    raw.auth('ro', await signToken({ docs: { ro: 'read' } }));
    await waitFor(() => raw.of('ro', HocuspocusMessageType.sync).length > 0, { what: "the server's sync step 1" });
    expect([...(raw.of('ro', HocuspocusMessageType.auth)[0]?.body ?? [])].slice(0, 2)).toEqual([2, 2]);
    raw.send('ro', encode.syncUpdate(update('sneaky')));
    await waitFor(() => raw.of('ro', HocuspocusMessageType.syncStatus).length > 0, { what: 'a sync status' });
    expect([...(raw.of('ro', HocuspocusMessageType.syncStatus)[0]?.body ?? [])]).toEqual([8, 0]);
    expect(server.app.tandem.registry.get('ro')?.doc.getText('content').toString()).toBe('');
  });

  it('HP-2: a later auth message refreshes the token (AUTH-5); without one, expiry closes the socket with 4401', async () => {
    server = await startTestServer({ config: secured });
    const refreshed = await connect();
    const expiring = await connect();
    // Whole seconds: 3 leaves at least 2 s for both sessions to sync before the expiry (1 could leave none).
    const short = await signToken({ expiresIn: 3 });
    const expiresAt = JSON.parse(Buffer.from(short.split('.')[1] as string, 'base64url').toString('utf8')).exp * 1000;
    refreshed.auth('kept', short);
    expiring.auth('kept', short);
    await waitFor(
      () => refreshed.of('kept', HocuspocusMessageType.sync).length > 0 && expiring.of('kept', 0).length > 0,
    );
    refreshed.auth('kept', await signToken({ expiresIn: 3600 }));
    await waitFor(() => refreshed.of('kept', HocuspocusMessageType.auth).length === 2, {
      what: 'the refresh answered',
    });
    expect((await expiring.closed).code).toBe(CloseCode.unauthenticated);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 50);
    refreshed.send('kept', encode.syncUpdate(update('after expiry')));
    await waitFor(() => refreshed.of('kept', HocuspocusMessageType.syncStatus).length > 0, {
      what: 'the refreshed session still writes',
    });
    expect(refreshed.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('HP-4: one "applied" sync status per update message, in order', async () => {
    server = await startTestServer();
    const raw = await connect();
    raw.auth('counted', '');
    await waitFor(() => raw.of('counted', HocuspocusMessageType.sync).length > 0);
    for (const text of ['a', 'b', 'c']) raw.send('counted', encode.syncUpdate(update(text)));
    await waitFor(() => raw.of('counted', HocuspocusMessageType.syncStatus).length === 3, {
      what: 'three sync statuses',
    });
    expect(raw.of('counted', HocuspocusMessageType.syncStatus).every((m) => m.body[1] === 1)).toBe(true);
  });

  it('HP-6: a document-only refusal sends a close message for that address; the socket and the other documents carry on', async () => {
    server = await startTestServer();
    const raw = await connect();
    raw.auth('good', '');
    raw.auth('bad', '');
    await waitFor(
      () =>
        raw.of('good', HocuspocusMessageType.sync).length > 0 && raw.of('bad', HocuspocusMessageType.sync).length > 0,
    );
    // An update that Yjs cannot apply closes its document (SYNC-4) with 1007: this address only.
    raw.send('bad', encode.syncUpdate(Uint8Array.of(1, 2, 3, 4, 5)));
    await waitFor(() => raw.of('bad', HocuspocusMessageType.close).length > 0, { what: 'a close message for bad' });
    raw.send('good', encode.syncUpdate(update('fine')));
    await waitFor(() => raw.of('good', HocuspocusMessageType.syncStatus).length > 0, { what: 'good still acked' });
    expect(raw.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('HP-6: a close that reconnecting cures (a room closed for a restart) closes the socket with its code', async () => {
    server = await startTestServer();
    const raw = await connect();
    raw.auth('restarting', '');
    await waitFor(() => raw.of('restarting', HocuspocusMessageType.sync).length > 0);
    await server.app.tandem.registry.closeRoom('restarting', CloseCode.serviceRestart, 'restarting');
    expect((await raw.closed).code).toBe(CloseCode.serviceRestart);
  });

  it('HP-1: documents past MAX_DOCS_PER_CONNECTION are refused with permission denied naming the limit', async () => {
    server = await startTestServer({ config: { maxDocsPerConnection: 2 } });
    const raw = await connect();
    for (const doc of ['one', 'two', 'three']) raw.auth(doc, '');
    await waitFor(() => raw.of('three', HocuspocusMessageType.auth).length > 0);
    const denied = decoding.createDecoder(raw.of('three', HocuspocusMessageType.auth)[0]?.body as Uint8Array);
    expect([decoding.readVarUint(denied), decoding.readVarUint(denied)]).toEqual([2, 1]);
    expect(decoding.readVarString(denied)).toMatch(/limit 2/);
    await waitFor(() => raw.of('two', HocuspocusMessageType.sync).length > 0);
  });

  it('HP-9: undecodable messages and server-only types close the socket with 1007', async () => {
    server = await startTestServer();
    const raw = await connect();
    raw.send('d', Uint8Array.of(HocuspocusMessageType.syncStatus, 1));
    const closed = await raw.closed;
    expect(closed.code).toBe(CloseCode.undecodable);
    expect(closed.reason).toMatch(/servers only/);
  });

  it('HP-9: a flooding socket is closed with 1008 at the configured rate (LIMIT-1)', async () => {
    server = await startTestServer({
      config: {
        rateLimits: {
          messagesPerSecond: 50,
          messageBurst: 50,
          bytesPerSecond: 10 * 1024 * 1024,
          byteBurst: 10 * 1024 * 1024,
        },
      },
    });
    const raw = await connect();
    raw.auth('flood', '');
    for (let i = 0; i < 120; i++) raw.send('flood', Uint8Array.of(HocuspocusMessageType.queryAwareness));
    expect(await raw.closed).toEqual({ code: CloseCode.policyViolation, reason: 'rate limit exceeded' });
  });

  it('HP-3: query-awareness is answered with the presence the room holds', async () => {
    server = await startTestServer();
    const present = await connect();
    const asking = await connect();
    present.auth('aware', '');
    asking.auth('aware', '');
    await waitFor(() => present.of('aware', 0).length > 0 && asking.of('aware', 0).length > 0);
    present.send('aware', encode.awareness(awarenessUpdateFor(4242, 1, { user: { name: 'Ada' } })));
    await waitFor(() => asking.of('aware', HocuspocusMessageType.awareness).length > 0, {
      what: 'the relayed presence',
    });
    const before = asking.of('aware', HocuspocusMessageType.awareness).length;
    asking.send('aware', Uint8Array.of(HocuspocusMessageType.queryAwareness));
    await waitFor(() => asking.of('aware', HocuspocusMessageType.awareness).length > before, { what: 'the answer' });
    const answer = asking.of('aware', HocuspocusMessageType.awareness).at(-1)?.body as Uint8Array;
    expect(Buffer.from(answer).includes(Buffer.from('Ada'))).toBe(true);
  });

  it('HP-6: the provider’s close message leaves the document: its presence is removed, the socket stays', async () => {
    server = await startTestServer();
    const leaving = await connect();
    const staying = await connect();
    leaving.auth('left', '');
    staying.auth('left', '');
    await waitFor(() => server?.app.tandem.registry.get('left')?.sessionCount === 2, { what: 'both joined' });
    leaving.send('left', Uint8Array.of(HocuspocusMessageType.close));
    await waitFor(() => server?.app.tandem.registry.get('left')?.sessionCount === 1, { what: 'the closing one left' });
    expect(leaving.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('HP-9: a foreign Origin is refused before the upgrade (ORIGIN-1)', async () => {
    server = await startTestServer({ config: { allowedOrigins: ['https://app.example'] } });
    const raw = connectRawHocuspocus(urlOf(server), { Origin: 'https://evil.example' });
    raws.push(raw);
    await expect(opened(raw)).rejects.toThrow(/403/);
  });

  it('HP-9: a Yjs client id written by another user is refused (YJS-5): that document alone is closed', async () => {
    server = await startTestServer({ config: secured });
    const first = await connect();
    const second = await connect();
    first.auth('owned', await signToken({ sub: 'owner' }));
    second.auth('owned', await signToken({ sub: 'thief' }));
    await waitFor(() => first.of('owned', 0).length > 0 && second.of('owned', 0).length > 0);
    const doc = new Y.Doc();
    doc.getText('content').insert(0, 'mine');
    first.send('owned', encode.syncUpdate(Y.encodeStateAsUpdate(doc)));
    await waitFor(() => first.of('owned', HocuspocusMessageType.syncStatus).length > 0);
    doc.getText('content').insert(0, 'stolen ');
    second.send('owned', encode.syncUpdate(Y.encodeStateAsUpdate(doc)));
    await waitFor(() => second.of('owned', HocuspocusMessageType.close).length > 0, { what: 'close for the thief' });
    expect(server.app.tandem.registry.get('owned')?.doc.getText('content').toString()).toBe('mine');
  });

  describe.each(HOCUSPOCUS_RELEASES)('HP-7 with $name', (release) => {
    const hp = hocuspocusClients(release);
    afterEach(() => hp.destroyAll());

    it('HP-7: an idle socket gets a keepalive message well within the provider timeout', async () => {
      server = await startTestServer({ config: { hocuspocusKeepaliveMs: 100 } });
      const socket = hp.socket(urlOf(server));
      const client = hp.open(socket, 'idle');
      const seen: Uint8Array[] = [];
      socket.on('message', ({ data }: { data: ArrayBuffer }) => seen.push(new Uint8Array(data)));
      await waitFor(() => client.provider.isSynced);
      const before = seen.length;
      await waitFor(() => seen.length >= before + 3, { what: 'three keepalive messages' });
      expect(client.provider.isSynced).toBe(true);
      const keepalives = seen.slice(before);
      // A 4.x provider (it sent its version) gets the bare v4 ping [9]; a 3.x one an empty awareness update.
      if (release.name.includes('4.8.0')) expect(keepalives.some((m) => m.byteLength === 1 && m[0] === 9)).toBe(true);
      else expect(keepalives.every((m) => m.byteLength > 1)).toBe(true);
    });
  });
});
