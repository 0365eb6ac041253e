import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CloseCode, encode, NoticeCode, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { awarenessUpdateFor } from './helpers/awareness.js';
import { connectRaw, frameOfType, type RawClient } from './helpers/raw-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { signToken, TEST_SECRET, unsignedToken } from './helpers/tokens.js';

const secured = { auth: { secret: TEST_SECRET, publicKey: null, jwksUrl: null, audience: 'tandem' } };

function textUpdate(text: string, doc = new Y.Doc()): Uint8Array {
  doc.getText('content').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

describe('authentication and authorization', () => {
  let server: TestServer | undefined;
  const raw: RawClient[] = [];

  afterEach(async () => {
    for (const c of raw.splice(0)) c.close();
    await server?.close();
  });

  const connect = (path: string, protocols: string[] = [], headers: Record<string, string> = {}) => {
    const client = connectRaw(`${(server as TestServer).syncUrl}/${path}`, protocols, { headers });
    raw.push(client);
    return client;
  };

  const cases: { name: string; token: () => Promise<string | null>; expect: string }[] = [
    { name: 'no token', token: async () => null, expect: 'HTTP 401' },
    { name: 'wrong key', token: () => signToken({ secret: 'another-secret-entirely-123' }), expect: 'HTTP 401' },
    { name: 'alg none', token: async () => unsignedToken(), expect: 'HTTP 401' },
    { name: 'expired', token: () => signToken({ expiresIn: -60 }), expect: 'HTTP 401' },
    { name: 'no exp', token: () => signToken({ expiresIn: null }), expect: 'HTTP 401' },
    { name: 'wrong audience', token: () => signToken({ audience: 'someone-else' }), expect: 'HTTP 401' },
    { name: 'forbidden room', token: () => signToken({ docs: { 'team-b/*': 'write' } }), expect: 'HTTP 403' },
  ];
  it.each(cases)('AUTH-1: $name → $expect, and nothing is stored', async ({ token, expect: expected }) => {
    server = await startTestServer({ config: secured });
    const value = await token();
    const client = connect(`team-a/doc${value === null ? '' : `?token=${value}`}`);
    await expect(client.opened()).rejects.toThrow(expected);
    expect(server.app.tandem.registry.get('team-a/doc')).toBeUndefined();
    expect(await server.store.list()).toEqual([]);
  });

  it('AUTH-1: a valid token via header, query or cookie opens the room', async () => {
    server = await startTestServer({ config: secured });
    const token = await signToken({ docs: { 'team-a/*': 'write' } });
    const viaHeader = connect('team-a/one', [], { authorization: `Bearer ${token}` });
    const viaQuery = connect(`team-a/two?token=${token}`);
    const viaCookie = connect('team-a/three', [], { cookie: `tandem_token=${token}` });
    for (const client of [viaHeader, viaQuery, viaCookie]) await client.waitForFrame(frameOfType('sync-step1'));
  });

  it('AUTH-2: a tandem.v1 client may authenticate in-band; a bad or missing token closes it with 4401', async () => {
    server = await startTestServer({ config: { ...secured, authTimeoutMs: 300 } });
    const good = connect('team-a/inband', [TANDEM_SUBPROTOCOL]);
    await good.opened();
    good.send(encode.authToken(await signToken({ docs: { 'team-a/*': 'write' } })));
    good.send(encode.syncUpdate(textUpdate('after auth')));
    await waitFor(() => good.frames.find(frameOfType('ack')), { what: 'ack after in-band auth' });
    const bad = connect('team-a/inband', [TANDEM_SUBPROTOCOL]);
    await bad.opened();
    bad.send(encode.authToken(unsignedToken()));
    expect((await bad.waitForClose()).code).toBe(CloseCode.unauthenticated);
    const silent = connect('team-a/inband', [TANDEM_SUBPROTOCOL]);
    await silent.opened();
    silent.send(encode.syncUpdate(textUpdate('before auth')));
    const closed = await silent.waitForClose();
    expect(closed).toMatchObject({ code: CloseCode.unauthenticated, reason: expect.stringContaining('no token') });
    expect(server.app.tandem.registry.get('team-a/inband')?.doc.getText('content').toString()).toBe('after auth');
  });

  it('AUTH-5: a session is closed with 4401 when its token expires, unless it refreshed it', async () => {
    server = await startTestServer({ config: secured });
    // `exp` is in whole seconds: 3 leaves 2–3 s to connect and sync even on a loaded machine (1 left 0–1 s).
    const short = await signToken({ expiresIn: 3 });
    const expiring = connect(`room-exp?token=${short}`, [TANDEM_SUBPROTOCOL]);
    const refreshing = connect(`room-exp?token=${short}`, [TANDEM_SUBPROTOCOL]);
    await expiring.waitForFrame(frameOfType('sync-step1'));
    await refreshing.waitForFrame(frameOfType('sync-step1'));
    refreshing.send(encode.authToken(await signToken({ expiresIn: 3600 })));
    const closed = await expiring.waitForClose(5_000);
    expect(closed).toEqual({ code: CloseCode.unauthenticated, reason: 'token expired' });
    refreshing.send(encode.ping(7));
    await refreshing.waitForFrame((f): f is Extract<typeof f, { type: 'pong' }> => f.type === 'pong' && f.id === 7);
    expect(refreshing.closeEvent).toBeUndefined();
  });

  it('AUTH-4: read-only sessions change nothing (step 2, update) and get a notice; they still receive', async () => {
    server = await startTestServer({ config: secured });
    const writer = connect(`board?token=${await signToken({ sub: 'w', docs: { board: 'write' } })}`, [
      TANDEM_SUBPROTOCOL,
    ]);
    const reader = connect(`board?token=${await signToken({ sub: 'r', docs: { board: 'read' } })}`, [
      TANDEM_SUBPROTOCOL,
    ]);
    const bystander = connect(`board?token=${await signToken({ sub: 'b', docs: { board: 'read' } })}`);
    await Promise.all([writer, reader, bystander].map((c) => c.waitForFrame(frameOfType('sync-step1'))));
    reader.send(encode.syncStep2(textUpdate('sneaky step 2')));
    reader.send(encode.syncUpdate(textUpdate('sneaky update')));
    await waitFor(
      () => reader.frames.filter((f) => f.type === 'notice' && f.code === NoticeCode.readOnly).length === 2,
    );
    writer.send(encode.syncUpdate(textUpdate('legit')));
    await reader.waitForFrame(frameOfType('sync-update'));
    await waitFor(() => writer.frames.find(frameOfType('ack')));
    const doc = new Y.Doc();
    for (const { update } of (await server.store.load('board')).updates) Y.applyUpdate(doc, update);
    expect(doc.getText('content').toString()).toBe('legit');
    expect(server.app.tandem.registry.get('board')?.doc.getText('content').toString()).toBe('legit');
    // The bystander saw exactly one relayed update: the writer's.
    expect(bystander.frames.filter((f) => f.type === 'sync-update')).toHaveLength(1);
  });

  it('AUTH-3: on a multiplexed connection each document is authorized on its own; a forbidden one is refused alone', async () => {
    server = await startTestServer({ config: secured });
    const token = await signToken({ docs: { 'team-a/*': 'write', 'team-a/board': 'read' } });
    const mux = connectRaw(`${server.syncUrl}?token=${token}`, [TANDEM_SUBPROTOCOL]);
    raw.push(mux);
    await mux.opened();
    mux.send(encode.open('team-a/notes'));
    mux.send(encode.open('team-b/secret'));
    mux.send(encode.open('team-a/board'));
    mux.send(encode.open('elsewhere', await signToken({ docs: { elsewhere: 'write' } })));
    const closeFor = (doc: string) =>
      waitFor(() =>
        mux.frames.find((f): f is Extract<typeof f, { type: 'close-doc' }> => f.type === 'close-doc' && f.doc === doc),
      );
    expect(await closeFor('team-b/secret')).toMatchObject({ code: CloseCode.forbidden });
    const stepFor = (doc: string) =>
      waitFor(() => mux.frames.some((f) => f.type === 'doc' && f.doc === doc), { what: `sync for ${doc}` });
    await stepFor('team-a/notes');
    await stepFor('team-a/board');
    await stepFor('elsewhere');
    mux.send(encode.doc('team-a/board', encode.syncUpdate(textUpdate('read-only attempt'))));
    mux.send(encode.doc('team-a/notes', encode.syncUpdate(textUpdate('allowed'))));
    await waitFor(
      () => server?.app.tandem.registry.get('team-a/notes')?.doc.getText('content').toString() === 'allowed',
    );
    expect(server.app.tandem.registry.get('team-a/board')?.doc.getText('content').toString()).toBe('');
    expect(mux.closeEvent).toBeUndefined();
  });

  it('AUTH-7: presence carries the name and color from the token, whatever the client claims', async () => {
    server = await startTestServer({ config: secured });
    const ada = connect(`room-p?token=${await signToken({ sub: 'ada', name: 'Ada', color: '#123456' })}`);
    const observer = connect(`room-p?token=${await signToken({ sub: 'obs', name: 'Observer' })}`);
    await ada.waitForFrame(frameOfType('sync-step1'));
    await observer.waitForFrame(frameOfType('sync-step1'));
    ada.send(encode.awareness(awarenessUpdateFor(1001, 1, { user: { name: 'Admin', color: '#ff0000' }, cursor: 5 })));
    const seen = await waitFor(() => server?.app.tandem.registry.get('room-p')?.presence.states().get(1001));
    expect(seen).toEqual({ user: { id: 'ada', name: 'Ada', color: '#123456' }, cursor: 5 });
  });
});

describe('origins and connection limits', () => {
  let server: TestServer | undefined;
  const raw: RawClient[] = [];
  afterEach(async () => {
    for (const c of raw.splice(0)) c.close();
    await server?.close();
  });

  it.each([
    'null',
    'https://evil.example',
    'http://127.0.0.1.evil.com',
    'https://app.example.com.evil.com',
    'http://app.example.com',
  ])('ORIGIN-1: Origin %s → 403 before any room exists', async (origin) => {
    server = await startTestServer({ config: { allowedOrigins: ['https://app.example.com'] } });
    const client = connectRaw(`${server.syncUrl}/guarded`, [], { headers: { origin } });
    raw.push(client);
    await expect(client.opened()).rejects.toThrow('HTTP 403');
    expect(server.app.tandem.registry.get('guarded')).toBeUndefined();
    const allowed = connectRaw(`${server.syncUrl}/guarded`, [], { headers: { origin: 'https://app.example.com' } });
    raw.push(allowed);
    await allowed.waitForFrame(frameOfType('sync-step1'));
  });

  it.each(['/guarded', ''])(
    'ORIGIN-2: a tandem.v1 client from a refused Origin is closed with 4403 naming it (path /sync%s)',
    async (path) => {
      server = await startTestServer({ config: { allowedOrigins: ['https://app.example.com'] } });
      const client = connectRaw(`${server.syncUrl}${path}`, [TANDEM_SUBPROTOCOL], {
        headers: { origin: 'http://localhost:5173' },
      });
      raw.push(client);
      const closed = await client.waitForClose();
      expect(closed.code).toBe(CloseCode.forbidden);
      expect(closed.reason).toContain('origin http://localhost:5173 is not allowed');
      expect(client.frames).toEqual([]);
      expect(server.app.tandem.registry.get('guarded')).toBeUndefined();
    },
  );

  it('LIMIT-2: connections per address are capped (429); X-Forwarded-For counts only from trusted proxies', async () => {
    server = await startTestServer({ config: { maxConnectionsPerIp: 2, trustedProxies: ['127.0.0.1'] } });
    const open = async (headers: Record<string, string> = {}) => {
      const client = connectRaw(`${server?.syncUrl}/limited`, [], { headers });
      raw.push(client);
      return client.opened().then(
        () => 'open',
        (err: Error) => err.message,
      );
    };
    expect(await open({ 'x-forwarded-for': '203.0.113.7' })).toBe('open');
    expect(await open({ 'x-forwarded-for': '203.0.113.7' })).toBe('open');
    expect(await open({ 'x-forwarded-for': '203.0.113.7' })).toBe('HTTP 429');
    expect(await open({ 'x-forwarded-for': '198.51.100.1' })).toBe('open');
  });

  it('LIMIT-2: every endpoint counts against the address while open, and a closed socket frees its place', async () => {
    server = await startTestServer({ config: { maxConnectionsPerIp: 2 } });
    const base = server.syncUrl.replace(/\/sync$/, '');
    const open = (url: string, protocols: string[] = []) => {
      const client = connectRaw(url, protocols);
      raw.push(client);
      return {
        client,
        outcome: client.opened().then(
          () => 'open',
          (err: Error) => err.message,
        ),
      };
    };
    const multiplexed = open(server.syncUrl, [TANDEM_SUBPROTOCOL]);
    expect(await multiplexed.outcome).toBe('open');
    const hocuspocus = open(`${base}/hocuspocus`);
    expect(await hocuspocus.outcome).toBe('open');
    expect(await open(`${server.syncUrl}/third`).outcome).toBe('HTTP 429');
    multiplexed.client.close();
    await multiplexed.client.waitForClose();
    await waitFor(async () => (await open(`${server?.syncUrl}/third`).outcome) === 'open', {
      what: 'the closed multiplexed socket freeing its place',
    });
    expect(await open(`${base}/hocuspocus`).outcome).toBe('HTTP 429');
    hocuspocus.client.close();
    await hocuspocus.client.waitForClose();
    await waitFor(async () => (await open(`${server?.syncUrl}/fourth`).outcome) === 'open', {
      what: 'the closed Hocuspocus socket freeing its place',
    });
  });
});

describe('abuse limits', () => {
  let server: TestServer | undefined;
  const raw: RawClient[] = [];
  afterEach(async () => {
    for (const c of raw.splice(0)) c.close();
    await server?.close();
  });

  it('LIMIT-1: a flooding session is closed with 1008 at the configured rate; another keeps its latency', async () => {
    server = await startTestServer({
      config: {
        rateLimits: {
          messagesPerSecond: 100,
          messageBurst: 100,
          bytesPerSecond: 10 * 1024 * 1024,
          byteBurst: 10 * 1024 * 1024,
        },
      },
    });
    const calm = connectRaw(`${server.syncUrl}/calm`, [TANDEM_SUBPROTOCOL]);
    const flood = connectRaw(`${server.syncUrl}/noisy`, [TANDEM_SUBPROTOCOL]);
    raw.push(calm, flood);
    await calm.waitForFrame(frameOfType('sync-step1'));
    await flood.waitForFrame(frameOfType('sync-step1'));
    for (let i = 0; i < 150; i++) flood.send(encode.ping(i));
    const closed = await flood.waitForClose();
    expect(closed).toEqual({ code: CloseCode.policyViolation, reason: 'rate limit exceeded' });
    // The burst (plus what the bucket refilled while the pings were being sent) was answered, then it tripped.
    const pongs = flood.frames.filter((f) => f.type === 'pong').length;
    expect(pongs).toBeGreaterThanOrEqual(100);
    expect(pongs).toBeLessThan(150);
    calm.send(encode.ping(1));
    await calm.waitForFrame((f): f is Extract<typeof f, { type: 'pong' }> => f.type === 'pong');
    expect(calm.closeEvent).toBeUndefined();
  });

  it('AW-5: an awareness state over the size limit closes the session with 1008', async () => {
    server = await startTestServer({ config: { maxAwarenessStateBytes: 256 } });
    const client = connectRaw(`${server.syncUrl}/big-presence`);
    raw.push(client);
    await client.waitForFrame(frameOfType('sync-step1'));
    client.send(encode.awareness(awarenessUpdateFor(5, 1, { blob: 'x'.repeat(1000) })));
    expect(await client.waitForClose()).toMatchObject({ code: CloseCode.policyViolation });
  });

  it('YJS-2: the RLE bomb is refused at once and the server stays responsive', async () => {
    server = await startTestServer();
    const bomber = connectRaw(`${server.syncUrl}/bomb`);
    raw.push(bomber);
    await bomber.waitForFrame(frameOfType('sync-step1'));
    // One client, one GC struct of 2^45 clocks: 13 bytes.
    bomber.send(encode.syncUpdate(Uint8Array.of(1, 1, 42, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x04, 0)));
    expect((await bomber.waitForClose()).code).toBe(CloseCode.policyViolation);
    expect(server.app.tandem.registry.get('bomb')?.doc.store.clients.size).toBe(0);
  });

  it("YJS-5: a session cannot write structs under a client id another user's live session writes", async () => {
    // Another user: the same user (or anyone in open mode) would be the same client reconnecting.
    server = await startTestServer({ config: secured });
    const owner = connectRaw(`${server.syncUrl}/ids?token=${await signToken({ sub: 'owner' })}`);
    const impostor = connectRaw(`${server.syncUrl}/ids?token=${await signToken({ sub: 'impostor' })}`);
    raw.push(owner, impostor);
    await owner.waitForFrame(frameOfType('sync-step1'));
    await impostor.waitForFrame(frameOfType('sync-step1'));
    const shared = new Y.Doc();
    const updates: Uint8Array[] = [];
    shared.on('update', (u: Uint8Array) => updates.push(u));
    shared.getText('content').insert(0, 'mine');
    shared.getText('content').insert(4, ' and more');
    owner.send(encode.syncUpdate(updates[0] as Uint8Array));
    await waitFor(() => server?.app.tandem.registry.get('ids')?.doc.getText('content').toString() === 'mine');
    impostor.send(encode.syncUpdate(updates[1] as Uint8Array));
    expect(await impostor.waitForClose()).toMatchObject({ code: CloseCode.policyViolation });
    expect(server.app.tandem.registry.get('ids')?.doc.getText('content').toString()).toBe('mine');
  });
});

describe('dependencies', () => {
  it('DEP-1: every ws the lockfile installs is 8.21 or later (fragment-flood fixes)', () => {
    const lockfile = readFileSync(fileURLToPath(new URL('../../../pnpm-lock.yaml', import.meta.url)), 'utf8');
    const versions = [...lockfile.matchAll(/^ {2}ws@(\d+)\.(\d+)\.(\d+):/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(versions.length).toBeGreaterThan(0);
    for (const [major = 0, minor = 0] of versions) {
      expect(major > 8 || (major === 8 && minor >= 21), `ws ${major}.${minor}`).toBe(true);
    }
  });
});
