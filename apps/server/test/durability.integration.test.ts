import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloseCode, encode, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import {
  createRng,
  type RunningProcess,
  type ServerProcess,
  startProcess,
  startServerProcess,
  waitFor,
} from '@tandem/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMemoryDocStore } from '../src/storage/memory-doc-store.js';
import { openSqliteDocStore, SQLITE_FILE } from '../src/storage/sqlite-doc-store.js';
import { connectStockClient, converged, type StockClient } from './helpers/clients.js';
import { connectRaw, frameOfType, type RawClient } from './helpers/raw-client.js';
import { holdAppends } from './helpers/store-wrappers.js';
import { connectTandemWriter, fetchDocument, type TandemWriter } from './helpers/tandem-writer.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const compactionCrashScript = fileURLToPath(new URL('./fixtures/compaction-crash.mjs', import.meta.url));

describe('durability', () => {
  const dirs: string[] = [];
  const children: RunningProcess[] = [];
  const servers: ServerProcess[] = [];
  const stock: StockClient[] = [];
  const raw: RawClient[] = [];
  let inProcess: TestServer | undefined;

  afterEach(async () => {
    for (const c of stock.splice(0)) c.destroy();
    for (const c of raw.splice(0)) c.close();
    for (const s of servers.splice(0)) await s.process.stop('SIGKILL');
    for (const c of children.splice(0)) await c.stop('SIGKILL');
    await inProcess?.close();
    inProcess = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-data-'));
    dirs.push(dir);
    return dir;
  };
  const startServer = async (env: Record<string, string>) => {
    const server = await startServerProcess(env);
    servers.push(server);
    return server;
  };

  it('PERSIST-1: documents edited by stock clients survive a restart on the same DATA_DIR', async () => {
    const dir = dataDir();
    const first = await startServer({ DATA_DIR: dir });
    const a = connectStockClient(first.syncUrl, 'kept');
    const b = connectStockClient(first.syncUrl, 'kept');
    stock.push(a, b);
    await waitFor(() => a.provider.synced && b.provider.synced);
    a.text.insert(0, 'written by a. ');
    b.doc.getMap('meta').set('title', 'Survives restarts');
    await waitFor(() => converged([a, b]) && b.text.length > 0);
    for (const c of stock.splice(0)) c.destroy();
    expect(await first.process.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const second = await startServer({ DATA_DIR: dir });
    const later = connectStockClient(second.syncUrl, 'kept');
    stock.push(later);
    await waitFor(() => later.provider.synced && later.text.toString() === 'written by a. ', { what: 'reloaded text' });
    expect(later.doc.getMap('meta').get('title')).toBe('Survives restarts');
  });

  it('ACK-1: a tandem.v1 writer gets "persisted through N" only after the store has taken its updates', async () => {
    const held = holdAppends(createMemoryDocStore());
    inProcess = await startTestServer({ store: held.store });
    const writer = connectTandemWriter(`${inProcess.syncUrl}/acks`, 'w');
    const plain = connectRaw(`${inProcess.syncUrl}/acks`);
    raw.push(writer.client, plain);
    await writer.client.waitForFrame(frameOfType('sync-step1'));
    await plain.waitForFrame(frameOfType('sync-step1'));
    writer.write();
    writer.write();
    writer.write();
    await waitFor(() => held.held() >= 1, { what: 'append in flight' });
    // The relay does not wait for storage, but the ack does.
    await plain.waitForFrame(frameOfType('sync-update'));
    expect(writer.ackedThrough).toBe(0);
    held.release();
    await waitFor(() => writer.ackedThrough === 3, { what: 'ack through 3' });
    // Plain y-websocket sessions never get extension frames.
    plain.send(encode.syncUpdate(Y.encodeStateAsUpdate(new Y.Doc())));
    await plain.waitForFrame(frameOfType('sync-update'));
    expect(plain.frames.some((f) => f.type === 'ack')).toBe(false);
  });

  it('ACK-1: a writer waiting for acks commits within ACK_COMMIT_INTERVAL_MS, not the batching COMMIT_INTERVAL_MS', async () => {
    // Batching over 1 s would make each ack after the first wait about 1 s (4 s for five edits).
    const server = await startServer({ DATA_DIR: dataDir(), COMMIT_INTERVAL_MS: '1000', ACK_COMMIT_INTERVAL_MS: '0' });
    const writer = connectTandemWriter(`${server.syncUrl}/prompt-acks`, 'w');
    raw.push(writer.client);
    await writer.client.waitForFrame(frameOfType('sync-step1'));
    const started = performance.now();
    for (let n = 1; n <= 5; n++) {
      writer.write();
      await waitFor(() => writer.ackedThrough === n, { timeoutMs: 15_000, what: `ack through ${n}` });
    }
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('ACK-2: a frame that brings nothing new is acknowledged too', async () => {
    inProcess = await startTestServer();
    const writer = connectTandemWriter(`${inProcess.syncUrl}/noop`, 'w');
    raw.push(writer.client);
    await writer.client.waitForFrame(frameOfType('sync-step1'));
    writer.write();
    await waitFor(() => writer.ackedThrough === 1);
    // An empty update (or a resend of known content) is frame 2 and is durable at once.
    writer.client.send(encode.syncStep2(Y.encodeStateAsUpdate(new Y.Doc())));
    await waitFor(() => writer.ackedThrough === 2, { what: 'ack of the no-op frame' });
  });

  // ten fixed seeds: each kills the server at a different moment of a write storm
  const seeds = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
  it.each(seeds)('ACK-3: kill -9 loses nothing acknowledged (seed %i)', async (seed) => {
    const rng = createRng(seed);
    const dir = dataDir();
    // A small compaction threshold so kills also land around compactions.
    const env = { DATA_DIR: dir, COMPACT_AFTER_UPDATES: String(rng.int(5, 40)) };
    const server = await startServer(env);
    const writers: TandemWriter[] = Array.from({ length: 4 }, (_, i) =>
      connectTandemWriter(`${server.syncUrl}/${i % 2 === 0 ? 'storm-a' : 'storm-b'}`, `s${seed}w${i}`),
    );
    raw.push(...writers.map((w) => w.client));
    await Promise.all(writers.map((w) => w.client.waitForFrame(frameOfType('sync-step1'))));

    const killAfterAcks = rng.int(5, 300);
    const totalAcked = () => writers.reduce((sum, w) => sum + w.ackedThrough, 0);
    let rounds = 0;
    await waitFor(
      () => {
        // Bounded storm: a few writes per writer per poll, at most 3,000 rounds.
        for (let i = 0; i < 3 && rounds < 3000; i++, rounds++) for (const w of writers) w.write();
        return totalAcked() >= killAfterAcks;
      },
      { what: `${killAfterAcks} acks`, intervalMs: 1, timeoutMs: 15_000 },
    );
    for (const w of writers) w.write();
    server.process.child.kill('SIGKILL');
    expect((await server.process.exited).signal).toBe('SIGKILL');
    const acked = writers.flatMap((w) => w.ackedTokens());
    for (const c of raw.splice(0)) c.close();

    const restarted = await startServer(env);
    const stored = new Set<string>();
    for (const room of ['storm-a', 'storm-b']) {
      const doc = await fetchDocument(restarted.syncUrl, room);
      const tokens = doc.getArray<string>('tokens').toArray();
      expect(new Set(tokens).size).toBe(tokens.length); // nothing duplicated
      for (const token of tokens) stored.add(token);
    }
    const lost = acked.filter((token) => !stored.has(token));
    expect(lost).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(killAfterAcks);
  });

  it.each([7, 42, 99, 1234, 31337])(
    'ACK-4: kill -9 during compaction loses nothing acknowledged and duplicates nothing (seed %i)',
    async (seed) => {
      const dir = dataDir();
      const killAfter = createRng(seed).int(20, 250);
      const child = startProcess(process.execPath, [compactionCrashScript, dir], {});
      children.push(child);
      await child.waitForLine(new RegExp(`^acked ${killAfter}$`), 20_000);
      child.child.kill('SIGKILL');
      expect((await child.exited).signal).toBe('SIGKILL');
      const acked = Math.max(...child.lines.map((l) => Number(/^acked (\d+)$/.exec(l)?.[1] ?? 0)));
      expect(acked).toBeGreaterThanOrEqual(killAfter);

      const store = await openSqliteDocStore({ dataDir: dir });
      try {
        const stored = await store.load('doc');
        const doc = new Y.Doc();
        if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot);
        for (const { update } of stored.updates) Y.applyUpdate(doc, update);
        const tokens = doc
          .getArray('tokens')
          .toArray()
          .filter((t): t is string => typeof t === 'string' && t.startsWith('t'));
        expect(new Set(tokens).size).toBe(tokens.length);
        const missing = Array.from({ length: acked }, (_, i) => `t${i + 1}`).filter((t) => !tokens.includes(t));
        expect(missing).toEqual([]);
      } finally {
        await store.close();
      }
    },
  );

  it('PERSIST-2: a corrupt row fails the load with 1011, its bytes stay byte-for-byte, and a later join retries', async () => {
    const dir = dataDir();
    const seedStore = await openSqliteDocStore({ dataDir: dir });
    const seedDoc = new Y.Doc();
    seedDoc.getText('content').insert(0, 'precious');
    await seedStore.append([{ docId: 'broken', update: Y.encodeStateAsUpdate(seedDoc) }]);
    await seedStore.close();
    const db = new Database(join(dir, SQLITE_FILE));
    const original = db.prepare<[], { data: Buffer }>("SELECT data FROM updates WHERE doc = 'broken'").get()?.data;
    if (original === undefined) throw new Error('seed row missing');
    const damaged = Buffer.from(original);
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 0xff;
    db.prepare("UPDATE updates SET data = ? WHERE doc = 'broken'").run(damaged);
    const snapshotOfRows = () => db.prepare('SELECT * FROM updates ORDER BY doc, seq').all();
    const before = snapshotOfRows();

    const server = await startServer({ DATA_DIR: dir });
    const victim = connectRaw(`${server.syncUrl}/broken`, [TANDEM_SUBPROTOCOL]);
    raw.push(victim);
    const closed = await victim.waitForClose();
    expect(closed.code).toBe(CloseCode.internalError);
    await server.process.waitForLine(/room failed to load.*"room":"broken"|"room":"broken".*room failed to load/);
    // A stock client keeps retrying; none of its attempts may write over the stored bytes.
    const stubborn = connectStockClient(server.syncUrl, 'broken');
    stock.push(stubborn);
    await waitFor(() => server.process.lines.filter((l) => l.includes('room failed to load')).length >= 2);
    expect(snapshotOfRows()).toEqual(before);

    // Repair the row: the next join loads it.
    db.prepare("UPDATE updates SET data = ? WHERE doc = 'broken'").run(original);
    db.close();
    await waitFor(() => stubborn.provider.synced && stubborn.text.toString() === 'precious', {
      what: 'retry after repair',
      timeoutMs: 15_000,
    });
  });

  it('PERSIST-3: the log is compacted past the threshold, and the document reloads the same', async () => {
    const dir = dataDir();
    const server = await startServer({ DATA_DIR: dir, COMPACT_AFTER_UPDATES: '20', ROOM_IDLE_MS: '50' });
    const writer = connectTandemWriter(`${server.syncUrl}/compact-me`, 'k');
    raw.push(writer.client);
    await writer.client.waitForFrame(frameOfType('sync-step1'));
    for (let i = 0; i < 45; i++) writer.write();
    await waitFor(() => writer.ackedThrough === 45);
    await server.process.waitForLine(/compaction done/);
    writer.client.close();
    await server.process.waitForLine(/room unloaded/);
    const db = new Database(join(dir, SQLITE_FILE), { readonly: true });
    const logRows = db
      .prepare<[], { n: number }>("SELECT count(*) AS n FROM updates WHERE doc = 'compact-me'")
      .get()?.n;
    const hasSnapshot = db
      .prepare<[], { s: Buffer | null }>("SELECT snapshot AS s FROM docs WHERE doc = 'compact-me'")
      .get()?.s;
    db.close();
    expect(hasSnapshot).toBeInstanceOf(Buffer);
    expect(logRows).toBeLessThan(45);
    const doc = await fetchDocument(server.syncUrl, 'compact-me');
    expect(doc.getArray('tokens').toArray()).toEqual(writer.tokens);
  });

  it('PERSIST-4: unloading a room writes nothing', async () => {
    const dir = dataDir();
    const server = await startServer({ DATA_DIR: dir, ROOM_IDLE_MS: '50' });
    const writer = connectTandemWriter(`${server.syncUrl}/quiet`, 'q');
    raw.push(writer.client);
    await writer.client.waitForFrame(frameOfType('sync-step1'));
    for (let i = 0; i < 5; i++) writer.write();
    await waitFor(() => writer.ackedThrough === 5);
    const db = new Database(join(dir, SQLITE_FILE), { readonly: true });
    const rows = () => db.prepare('SELECT doc, seq, sum FROM updates ORDER BY doc, seq').all();
    const docs = () => db.prepare('SELECT * FROM docs ORDER BY doc').all();
    const before = { rows: rows(), docs: docs() };
    writer.client.close();
    await server.process.waitForLine(/room unloaded/);
    expect({ rows: rows(), docs: docs() }).toEqual(before);
    db.close();
  });
});
