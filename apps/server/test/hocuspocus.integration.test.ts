import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerProcess, startServerProcess, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryDocStore } from '../src/storage/memory-doc-store.js';
import { HOCUSPOCUS_RELEASES, type HocuspocusClient, hocuspocusClients } from './helpers/hocuspocus-clients.js';
import { holdAppends } from './helpers/store-wrappers.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { signToken, TEST_SECRET } from './helpers/tokens.js';

const hocuspocusUrl = (server: { readonly httpUrl: string }) => `${server.httpUrl.replace(/^http/, 'ws')}/hocuspocus`;

describe.each(HOCUSPOCUS_RELEASES)('$name against a Tandem process', (release) => {
  const servers: ServerProcess[] = [];
  const hp = hocuspocusClients(release);
  const dirs: string[] = [];
  let inProcess: TestServer | undefined;

  afterEach(async () => {
    hp.destroyAll();
    for (const s of servers.splice(0)) await s.process.stop('SIGKILL');
    await inProcess?.close();
    inProcess = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const startServer = async (env: Record<string, string> = {}, port?: number) => {
    const server = await startServerProcess(env, port === undefined ? {} : { port });
    servers.push(server);
    return server;
  };
  const socketFor = (url: string) => hp.socket(url);
  const open = hp.open;
  const synced = (client: HocuspocusClient) => client.provider.isSynced;

  it('HP-1: two providers sync through the endpoint, and a late joiner gets the document', async () => {
    const server = await startServer();
    const url = hocuspocusUrl(server);
    const a = open(socketFor(url), 'notes');
    const b = open(socketFor(url), 'notes');
    await waitFor(() => synced(a) && synced(b), { what: 'both providers synced' });
    a.text.insert(0, 'hello from a. ');
    b.text.insert(0, 'hello from b. ');
    await waitFor(() => a.text.length === 28 && a.text.toString() === b.text.toString(), { what: 'a and b converge' });
    const late = open(socketFor(url), 'notes');
    await waitFor(() => synced(late) && late.text.toString() === a.text.toString(), { what: 'the late joiner has it' });
  });

  it('HP-4: unsyncedChanges reaches 0, and the document survives a restart on the same DATA_DIR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-hp-'));
    dirs.push(dir);
    const first = await startServer({ DATA_DIR: dir });
    const writer = open(socketFor(hocuspocusUrl(first)), 'kept');
    await waitFor(() => synced(writer));
    writer.text.insert(0, 'durable text');
    await waitFor(() => writer.provider.unsyncedChanges === 0, { what: 'every change stored' });
    await first.process.stop('SIGKILL');
    const second = await startServer({ DATA_DIR: dir }, first.port);
    const reader = open(socketFor(hocuspocusUrl(second)), 'kept');
    await waitFor(() => synced(reader) && reader.text.toString() === 'durable text', {
      what: 'the restarted server has the text',
    });
  });

  it('HP-3: awareness reaches the other provider, and is removed when its socket goes', async () => {
    const server = await startServer();
    const url = hocuspocusUrl(server);
    const leavingSocket = socketFor(url);
    const a = open(leavingSocket, 'presence');
    const b = open(socketFor(url), 'presence');
    await waitFor(() => synced(a) && synced(b));
    a.provider.setAwarenessField('user', { name: 'Ada', color: '#ff0000' });
    const aId = a.doc.clientID;
    const seenByB = () => b.provider.awareness?.getStates().get(aId) as { user?: { name?: string } } | undefined;
    await waitFor(() => seenByB()?.user?.name === 'Ada', { what: "b sees a's presence" });
    // A closed socket sends no awareness removal of its own: the server removes it (AW-3).
    leavingSocket.disconnect();
    await waitFor(() => seenByB() === undefined, { what: "a's presence removed for b" });
  });

  it('HP-1: many documents over one HocuspocusProviderWebsocket stay independent', async () => {
    const server = await startServer();
    const url = hocuspocusUrl(server);
    const shared = socketFor(url);
    const names = Array.from({ length: 12 }, (_, i) => `many-${i}`);
    const docs = names.map((name) => open(shared, name));
    await waitFor(() => docs.every(synced), { what: 'every document synced on the shared socket' });
    for (const [i, client] of docs.entries()) client.text.insert(0, `text of ${names[i]}`);
    await waitFor(() => docs.every((c) => c.provider.unsyncedChanges === 0), { what: 'every document stored' });
    const check = socketFor(url);
    const readers = names.map((name) => open(check, name));
    await waitFor(() => readers.every((r, i) => synced(r) && r.text.toString() === `text of ${names[i]}`), {
      what: 'each document has only its own text',
    });
  });

  describe('with authentication', () => {
    const env = { AUTH_SECRET: TEST_SECRET };

    it('HP-2: a readonly scope is announced, its edits are not applied, and it still receives', async () => {
      const server = await startServer(env);
      const url = hocuspocusUrl(server);
      const writer = open(socketFor(url), 'ro', { token: await signToken({ docs: { ro: 'write' } }) });
      const reader = open(socketFor(url), 'ro', { token: await signToken({ sub: 'viewer', docs: { ro: 'read' } }) });
      await waitFor(() => synced(writer) && synced(reader));
      expect(writer.authenticated).toEqual(['read-write']);
      expect(reader.authenticated).toEqual(['readonly']);
      expect(reader.provider.authorizedScope).toBe('readonly');
      reader.text.insert(0, 'not allowed');
      writer.text.insert(0, 'written');
      await waitFor(() => reader.text.toString().includes('written'), { what: 'the reader receives the writer' });
      const late = open(socketFor(url), 'ro', { token: await signToken({ docs: { ro: 'write' } }) });
      await waitFor(() => synced(late) && late.text.toString() === 'written', {
        what: "the stored document has the writer's text only",
      });
    });

    it('HP-2: a forbidden document is refused alone; the others on the socket sync', async () => {
      const server = await startServer(env);
      const url = hocuspocusUrl(server);
      const token = await signToken({ docs: { 'allowed-*': 'write' } });
      const shared = socketFor(url);
      const allowed = open(shared, 'allowed-1', { token });
      const secret = open(shared, 'secret', { token });
      const alsoAllowed = open(shared, 'allowed-2', { token: () => token });
      await waitFor(() => secret.denied.length > 0, { what: 'permission denied for the secret document' });
      expect(secret.denied[0]).toContain('secret');
      await waitFor(() => synced(allowed) && synced(alsoAllowed), { what: 'the allowed documents sync' });
      allowed.text.insert(0, 'still works');
      await waitFor(() => allowed.provider.unsyncedChanges === 0);
      expect(synced(secret)).toBe(false);
      expect(secret.text.toString()).toBe('');
    });

    it('HP-2: an expired token is refused; one about to expire is refreshed through the token function, without a reconnect', async () => {
      const server = await startServer(env);
      const url = hocuspocusUrl(server);
      const stale = open(socketFor(url), 'expiry', { token: await signToken({ expiresIn: -60 }) });
      await waitFor(() => stale.denied.length > 0, { what: 'the expired token refused' });
      expect(stale.denied[0]).toMatch(/exp/);
      let issued = 0;
      let firstExpiry = 0;
      const socket = socketFor(url);
      let connects = 0;
      socket.on('connect', () => {
        connects += 1;
      });
      const refreshing = open(socket, 'expiry', {
        token: async () => {
          issued += 1;
          if (issued === 1) firstExpiry = Date.now() + 2000;
          return signToken({ expiresIn: issued === 1 ? 2 : 3600 });
        },
      });
      await waitFor(() => synced(refreshing));
      // Before the first token expires the server asks for the token; the provider calls its function again.
      await waitFor(() => issued >= 2 && refreshing.authenticated.length >= 2, {
        what: 'a second token fetched and authenticated',
        timeoutMs: 15_000,
      });
      await waitFor(() => Date.now() > firstExpiry + 250, {
        what: 'the first token’s expiry passed',
        timeoutMs: 5_000,
      });
      refreshing.text.insert(0, 'after refresh');
      await waitFor(() => refreshing.provider.unsyncedChanges === 0, { what: 'the edit after the expiry stored' });
      expect(connects).toBe(1);
      expect(refreshing.denied).toEqual([]);
    });
  });

  it('HP-8: a stateless message reaches the document’s other providers, not the sender or other documents', async () => {
    const server = await startServer();
    const url = hocuspocusUrl(server);
    const a = open(socketFor(url), 'chat');
    const b = open(socketFor(url), 'chat');
    const other = open(socketFor(url), 'elsewhere');
    await waitFor(() => synced(a) && synced(b) && synced(other));
    a.provider.sendStateless('{"ping":1}');
    await waitFor(() => b.stateless.length === 1, { what: 'b receives the stateless message' });
    expect(b.stateless).toEqual(['{"ping":1}']);
    b.provider.sendStateless('reply');
    await waitFor(() => a.stateless.length === 1);
    expect(a.stateless).toEqual(['reply']);
    expect(b.stateless).toEqual(['{"ping":1}']);
    expect(other.stateless).toEqual([]);
  });

  it('HP-4: unsyncedChanges stays above 0 while the store holds the commit, and reaches 0 after it', async () => {
    const held = holdAppends(createMemoryDocStore());
    inProcess = await startTestServer({ store: held.store });
    const writer = open(socketFor(hocuspocusUrl(inProcess)), 'held');
    await waitFor(() => synced(writer) && writer.provider.unsyncedChanges === 0, { what: 'the initial sync acked' });
    writer.text.insert(0, 'not yet stored');
    await waitFor(() => held.held() > 0, { what: 'the commit reached the store and is held' });
    // The room has applied the update (other clients could see it) but it is not durable yet.
    await waitFor(
      () => inProcess?.app.tandem.registry.get('held')?.doc.getText('content').toString() === 'not yet stored',
    );
    expect(writer.provider.unsyncedChanges).toBeGreaterThan(0);
    held.release();
    await waitFor(() => writer.provider.unsyncedChanges === 0, { what: 'the sync status after the commit' });
  });
});

describe('@hocuspocus/provider 4.8.0 session awareness', () => {
  const release = HOCUSPOCUS_RELEASES.find((r) => r.name.includes('4.8.0'));
  if (release === undefined) throw new Error('the 4.x provider release is not in HOCUSPOCUS_RELEASES');
  const hp = hocuspocusClients(release);
  const servers: ServerProcess[] = [];

  afterEach(async () => {
    hp.destroyAll();
    for (const s of servers.splice(0)) await s.process.stop('SIGKILL');
  });

  it('HP-1: two providers of the same document on one socket (name\\0sessionId addresses) are two sessions that sync', async () => {
    const server = await startServerProcess();
    servers.push(server);
    const shared = hp.socket(hocuspocusUrl(server));
    const first = hp.open(shared, 'twice', { sessionAwareness: true });
    const second = hp.open(shared, 'twice', { sessionAwareness: true });
    await waitFor(() => first.provider.isSynced && second.provider.isSynced, {
      what: 'both session-aware providers synced',
    });
    first.text.insert(0, 'one ');
    await waitFor(() => second.text.toString() === 'one ', { what: 'the second session receives the first' });
    second.text.insert(4, 'two');
    await waitFor(() => first.text.toString() === 'one two', { what: 'and the other way' });
    first.provider.setAwarenessField('user', { name: 'first' });
    await waitFor(
      () =>
        (second.provider.awareness?.getStates().get(first.doc.clientID) as { user?: { name?: string } })?.user?.name ===
        'first',
      { what: 'presence between the two sessions' },
    );
    await waitFor(() => first.provider.unsyncedChanges === 0 && second.provider.unsyncedChanges === 0);
  });
});
