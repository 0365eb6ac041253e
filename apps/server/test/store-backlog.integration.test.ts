import { readFileSync } from 'node:fs';
import { CloseCode, encode, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import {
  type PostgresServer,
  type ServerProcess,
  startPostgres,
  startServerProcess,
  waitFor,
} from '@tandem/test-utils';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMemoryDocStore } from '../src/storage/memory-doc-store.js';
import { openPostgresDocStore } from '../src/storage/postgres-doc-store.js';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { readiness } from './helpers/cluster.js';
import { connectRaw, frameOfType, type RawClient } from './helpers/raw-client.js';
import { holdAppends } from './helpers/store-wrappers.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const MiB = 1024 * 1024;
/** The backlog bound under test: small, so a few writers pass it many times over in seconds. */
const MAX_PENDING_BYTES = 2 * MiB;
/**
 * What the process may grow beyond the bound while the store is down and writers keep going: the
 * Y.Doc copy of the backlog's content (about the bound again), frames being received (several
 * reconnecting clients resending a few MiB each at once) and allocator slack. Refused frames are
 * not applied, so nothing grows with the writes themselves. Measured on this test: +19 to +24 MiB
 * with the bound; +126 MiB without it (the backlog and the document both hold all 48 MiB).
 */
const RSS_MARGIN_BYTES = 40 * MiB;
const WRITERS = 8;
/** Bytes of content per update frame. */
const PAYLOAD_BYTES = 16 * 1024;
/** Frames each writer sends with the store up, so the heap has grown to its working size before the baseline. */
const WARMUP_FRAMES = 64;
/** Frames each writer writes while the store is down: 8 × 384 × 16 KiB = 48 MiB, 24 times the bound. */
const OUTAGE_FRAMES = 384;
/**
 * A refused writer reconnects (and resends what the server lacks) after this many more local
 * writes, plus a few per writer: a jittered backoff, so the writers do not all resend at once.
 */
const RECONNECT_EVERY = 64;

/** One tandem.v1 connection of a writer: the tokens each of its update frames carried, and its acks. */
interface Connection {
  readonly client: RawClient;
  readonly frames: string[][];
  ackedThrough(): number;
}

/**
 * A tandem.v1 client with one Y.Doc across reconnects: each write appends one token (plus padding)
 * and sends it as one update frame while connected; a reconnect answers the server's sync step 1
 * with everything the server lacks, as y-websocket does.
 */
interface Writer {
  readonly name: string;
  readonly doc: Y.Doc;
  readonly tokens: string[];
  readonly connections: Connection[];
  readonly current: Connection | null;
  /** Tokens written since the last (re)connect. */
  readonly sinceConnect: number;
  connected(): boolean;
  connect(url: string): Promise<Connection>;
  write(): string;
  ackedTokens(): Set<string>;
  close(): void;
}

function createWriter(name: string): Writer {
  const doc = new Y.Doc();
  const items = doc.getArray<string>('tokens');
  const tokens: string[] = [];
  const connections: Connection[] = [];
  let current: Connection | null = null;
  let sinceConnect = 0;
  let lastUpdate: Uint8Array | null = null;
  doc.on('update', (update: Uint8Array) => {
    lastUpdate = update;
  });
  const pad = 'x'.repeat(PAYLOAD_BYTES);
  return {
    name,
    doc,
    tokens,
    connections,
    get current() {
      return current;
    },
    get sinceConnect() {
      return sinceConnect;
    },
    connected() {
      return current !== null && current.client.closeEvent === undefined;
    },
    async connect(url) {
      const client = connectRaw(url, [TANDEM_SUBPROTOCOL]);
      const frames: string[][] = [];
      const connection: Connection = {
        client,
        frames,
        ackedThrough() {
          let through = 0;
          for (const f of client.frames) if (f.type === 'ack' && f.through > through) through = f.through;
          return through;
        },
      };
      connections.push(connection);
      current = connection;
      sinceConnect = 0;
      const step1 = await client.waitForFrame(frameOfType('sync-step1'), 'sync step 1');
      // Each token is one item, one clock of this client: the server lacks the tokens from its clock on.
      const serverHas = Y.decodeStateVector(step1.stateVector).get(doc.clientID) ?? 0;
      if (serverHas < tokens.length) {
        frames.push(tokens.slice(serverHas));
        client.send(encode.syncStep2(Y.encodeStateAsUpdate(doc, step1.stateVector)));
      }
      return connection;
    },
    write() {
      const token = `${name}:${tokens.length + 1}`;
      items.push([`${token}|${pad}`]);
      tokens.push(token);
      sinceConnect++;
      const update = lastUpdate;
      if (update === null) throw new Error('Yjs produced no update');
      if (current !== null && current.client.closeEvent === undefined) {
        current.frames.push([token]);
        current.client.send(encode.syncUpdate(update));
      }
      return token;
    },
    ackedTokens() {
      const acked = new Set<string>();
      for (const c of connections)
        for (const frame of c.frames.slice(0, c.ackedThrough())) for (const t of frame) acked.add(t);
      return acked;
    },
    close() {
      for (const c of connections) c.client.close();
    },
  };
}

/** The tokens of a document, without their padding. */
function tokensIn(doc: Y.Doc): Set<string> {
  return new Set(
    doc
      .getArray<string>('tokens')
      .toArray()
      .map((item) => item.split('|')[0] as string),
  );
}

/** Resident memory of a process, from /proc (Linux). */
function residentBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  if (line === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(line.replace(/\D+/g, '')) * 1024;
}

/** A metric's value in a Prometheus text exposition, or undefined. */
function metricValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** Yields one event-loop turn so sockets can deliver what arrived (not a timed sleep). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('store backlog bound', () => {
  let postgres: PostgresServer | undefined;
  let server: ServerProcess | undefined;
  const writers: Writer[] = [];
  const readers: StockClient[] = [];
  let inProcess: TestServer | undefined;
  const muxes: RawClient[] = [];
  /** Lets a held store answer, so the in-process server can drain and close even after a failure. */
  let releaseStore: (() => void) | undefined;

  afterEach(async () => {
    releaseStore?.();
    releaseStore = undefined;
    await inProcess?.close();
    inProcess = undefined;
    for (const w of writers.splice(0)) w.close();
    for (const r of readers.splice(0)) r.destroy();
    for (const m of muxes.splice(0)) m.close();
    await server?.process.stop('SIGKILL');
    server = undefined;
    await postgres?.stop();
    postgres = undefined;
  });

  it('PERSIST-5, CLUSTER-7: store down, writers past MAX_PENDING_BYTES get 1013, readers stay, memory stays bounded, nothing unstored is acked, writes resume by themselves', async () => {
    postgres = await startPostgres();
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE tandem');
    await admin.end();
    const databaseUrl = postgres.urlFor('tandem');
    server = await startServerProcess({
      DATABASE_URL: databaseUrl,
      MAX_PENDING_BYTES: String(MAX_PENDING_BYTES),
      RETRY_MIN_MS: '50',
      RETRY_MAX_MS: '500',
      // No compaction: not what this test measures, and a compaction holding a Postgres client when
      // Postgres dies can crash the node today (the checked-out pg client has no 'error' listener).
      COMPACT_AFTER_UPDATES: '10000000',
      COMPACT_AFTER_BYTES: String(1024 * MiB),
    });
    const { syncUrl, httpUrl } = server;
    const pid = server.process.child.pid;
    if (pid === undefined) throw new Error('server has no pid');
    const room = 'backlog';
    const roomUrl = `${syncUrl}/${room}`;

    const reader = connectStockClient(syncUrl, room);
    readers.push(reader);
    let readerDisconnects = 0;
    reader.provider.on('status', ({ status }: { status: string }) => {
      if (status === 'disconnected') readerDisconnects++;
    });
    const relayed = new Set<string>();
    reader.doc.getArray<string>('tokens').observe((event) => {
      for (const item of event.changes.added) {
        for (const value of item.content.getContent() as string[]) relayed.add(value.split('|')[0] as string);
      }
    });
    await waitFor(() => reader.provider.synced, { what: 'reader synced' });

    for (let i = 0; i < WRITERS; i++) writers.push(createWriter(`w${i}`));
    await Promise.all(writers.map((w) => w.connect(roomUrl)));

    // Warm-up with the store up: every frame acked, so the baseline is a server at its working size.
    for (let i = 0; i < WARMUP_FRAMES; i++) {
      for (const w of writers) w.write();
      await waitFor(() => writers.every((w) => relayed.has(w.tokens.at(-1) as string)), { what: 'warm-up relay' });
    }
    await waitFor(() => writers.every((w) => w.current?.ackedThrough() === WARMUP_FRAMES), {
      what: 'warm-up acks',
      timeoutMs: 10_000,
    });
    const ackedBefore = writers.map((w) => w.ackedTokens().size);
    const baseline = residentBytes(pid);

    await postgres.kill('SIGQUIT');
    let peak = baseline;
    let firstRefusal: number | null = null;
    const sample = () => {
      peak = Math.max(peak, residentBytes(pid));
    };
    for (let i = 0; i < OUTAGE_FRAMES; i++) {
      for (const [n, w] of writers.entries()) {
        if (!w.connected() && w.sinceConnect >= RECONNECT_EVERY + 5 * n) await w.connect(roomUrl);
        w.write();
      }
      // Each writer's frame is relayed to the reader, or its session was closed.
      await waitFor(() => writers.every((w) => !w.connected() || relayed.has(w.tokens.at(-1) as string)), {
        what: 'relay or refusal',
      });
      if (firstRefusal === null && writers.some((w) => !w.connected())) firstRefusal = i;
      sample();
      await nextTurn();
    }
    const closes = writers.flatMap((w) => w.connections.map((c) => c.client.closeEvent).filter((e) => e !== undefined));
    const attempted = writers.reduce((sum, w) => sum + w.tokens.length - WARMUP_FRAMES, 0) * PAYLOAD_BYTES;
    console.info(
      `[backlog] ${attempted / MiB} MiB written while the store was down; RSS ${(baseline / MiB).toFixed(1)} → peak ${(peak / MiB).toFixed(1)} MiB (+${((peak - baseline) / MiB).toFixed(1)}); ${closes.length} closes, first refusal at round ${firstRefusal}`,
    );

    // Memory stayed within the bound plus the margin while the writers kept going.
    expect(peak - baseline).toBeLessThanOrEqual(MAX_PENDING_BYTES + RSS_MARGIN_BYTES);
    // Writers past the bound were refused with 1013 and the documented reason (the notice carries it too).
    expect(closes.length).toBeGreaterThanOrEqual(WRITERS);
    for (const close of closes) {
      expect(close).toEqual({ code: CloseCode.tryAgainLater, reason: 'store unavailable: writes paused; retry later' });
    }
    const notice = writers[0]?.connections[0]?.client.frames.find((f) => f.type === 'notice');
    expect(notice).toMatchObject({ code: CloseCode.tryAgainLater });
    // Nothing written during the outage was acked.
    expect(writers.map((w) => w.ackedTokens().size)).toEqual(ackedBefore);
    // The reader stayed connected and got what was applied before the bound.
    expect(readerDisconnects).toBe(0);
    expect(reader.provider.wsconnected).toBe(true);
    const relayedDuringOutage = [...relayed].filter((t) => Number(t.split(':')[1]) > WARMUP_FRAMES);
    expect(relayedDuringOutage.length).toBeGreaterThan(0);

    // The node says why: /readyz names the backlog, /metrics reports its bytes (bound plus at most one frame).
    const ready = await readiness(httpUrl);
    expect(ready.status).toBe(503);
    expect(ready.checks.store).toMatch(/writes paused/);
    const metrics = await (await fetch(`${httpUrl}/metrics`)).text();
    const backlog = metricValue(metrics, 'tandem_store_backlog_bytes') ?? Number.NaN;
    expect(backlog).toBeGreaterThanOrEqual(MAX_PENDING_BYTES);
    expect(backlog).toBeLessThan(MAX_PENDING_BYTES + 2 * PAYLOAD_BYTES);

    // A reader joining now is answered (sync step 1/2) and not refused.
    const late = connectStockClient(syncUrl, room);
    readers.push(late);
    await waitFor(() => late.provider.synced, { what: 'late reader synced' });
    expect(tokensIn(late.doc)).toEqual(relayed);

    // The store comes back: the backlog commits and writes resume without anyone doing anything.
    await postgres.restart();
    await waitFor(async () => (await readiness(httpUrl)).status === 200, {
      what: '/readyz 200 again',
      timeoutMs: 10_000,
    });
    for (const w of writers) w.write();
    // Refused writers reconnect and resend what the server lacks, as a provider's backoff does; a
    // resend may itself find the backlog full (another writer's resend is committing) and be retried.
    await waitFor(
      async () => {
        for (const w of writers) if (!w.connected()) await w.connect(roomUrl);
        // Everything sent on the current connection is acked (earlier frames the server had applied
        // before the bound are stored too, but their session was closed before the ack: checked below).
        return writers.every((w) => w.connected() && w.current?.ackedThrough() === w.current?.frames.length);
      },
      { what: 'every resend acked after the store returned', timeoutMs: 30_000, intervalMs: 50 },
    );
    const late2 = connectStockClient(syncUrl, room);
    readers.push(late2);
    // The room now holds about 57 MiB: a joiner's first sync takes about 2.2 s on an idle machine
    // and 12 s with both cores busy (CI runs test files in parallel), so this wait is as long as
    // the resend wait above.
    await waitFor(
      () => late2.provider.synced && tokensIn(late2.doc).size === WRITERS * (WARMUP_FRAMES + OUTAGE_FRAMES + 1),
      { what: 'every token in the room', timeoutMs: 30_000 },
    );

    const store = openPostgresDocStore({ url: databaseUrl });
    let stored: Set<string>;
    try {
      const loaded = await store.load(room);
      const doc = new Y.Doc();
      if (loaded.snapshot !== null) Y.applyUpdate(doc, loaded.snapshot);
      for (const { update } of loaded.updates) Y.applyUpdate(doc, update);
      stored = tokensIn(doc);
      doc.destroy();
    } finally {
      await store.close();
    }
    const acked = writers.flatMap((w) => [...w.ackedTokens()]);
    expect(acked.filter((t) => !stored.has(t))).toEqual([]);
    expect([...relayed].filter((t) => !stored.has(t))).toEqual([]);
    expect(writers.flatMap((w) => w.tokens).filter((t) => !stored.has(t))).toEqual([]);
  }, 120_000);

  it('PERSIST-5: a store that hangs: past the bound stock writers get 1013 and resend on reconnect, deletions and readers pass, the admin import answers 503, and it all commits once the store answers', async () => {
    const held = holdAppends(createMemoryDocStore());
    releaseStore = held.release;
    const admin = 'a'.repeat(32);
    inProcess = await startTestServer({ store: held.store, config: { maxPendingBytes: 64 * 1024, adminToken: admin } });
    const server = inProcess;
    const room = 'hung';
    const writer = connectStockClient(server.syncUrl, room);
    const reader = connectStockClient(server.syncUrl, room);
    readers.push(writer, reader);
    await waitFor(() => writer.provider.synced && reader.provider.synced, { what: 'synced' });
    writer.text.insert(0, 'keep me. ');
    await waitFor(() => reader.text.toString() === 'keep me. ', { what: 'first edit relayed' });
    // The first append hangs; everything after it waits in the backlog.
    expect(held.held()).toBe(1);
    let refusals = 0;
    writer.provider.on('connection-close', (event: { code: number } | null) => {
      if (event?.code === CloseCode.tryAgainLater) refusals++;
    });
    for (let i = 0; refusals === 0 && i < 40; i++) {
      writer.text.insert(writer.text.length, `${'y'.repeat(4096)}|`);
      await waitFor(() => refusals > 0 || reader.text.length === writer.text.length, { what: 'relay or refusal' });
    }
    expect(refusals).toBeGreaterThan(0);
    expect(server.app.tandem.registry.get(room)?.doc.getText('content').length).toBeLessThan(writer.text.length);

    // Over the bound: the reader is still there, a deletion still applies, and an import is refused with 503.
    expect(reader.provider.wsconnected).toBe(true);
    const response = await server.app.inject({
      method: 'POST',
      url: `/admin/documents/${room}/import`,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream' },
      payload: Buffer.from(Y.encodeStateAsUpdate(writer.doc)),
    });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ message: 'store unavailable: writes paused; retry later' });
    const deleter = connectStockClient(server.syncUrl, room);
    readers.push(deleter);
    await waitFor(() => deleter.provider.synced, { what: 'a joiner is answered while writes are paused' });
    deleter.text.delete(0, 5);
    await waitFor(() => reader.text.toString().startsWith('me. '), { what: 'deletion relayed while paused' });
    expect(deleter.provider.wsconnected).toBe(true);

    // The store answers: the backlog commits, and the refused writer's reconnect handshake lands by itself.
    held.release();
    await waitFor(() => reader.text.toString() === writer.text.toString(), {
      what: 'refused writes resent and relayed',
      timeoutMs: 15_000,
    });
    await waitFor(
      async () => {
        const stored = await server.store.load(room);
        const doc = new Y.Doc();
        for (const { update } of stored.updates) Y.applyUpdate(doc, update);
        const text = doc.getText('content').toString();
        doc.destroy();
        return text === writer.text.toString();
      },
      { what: 'everything stored', timeoutMs: 10_000 },
    );
  }, 60_000);

  it('PERSIST-5/MUX-3: on a multiplexed connection a refused write closes only its document (close-doc 1013); the others stay open', async () => {
    const held = holdAppends(createMemoryDocStore());
    releaseStore = held.release;
    inProcess = await startTestServer({ store: held.store, config: { maxPendingBytes: 64 * 1024 } });
    const server = inProcess;
    const mux = connectRaw(server.syncUrl, [TANDEM_SUBPROTOCOL]);
    muxes.push(mux);
    await mux.opened();
    mux.send(encode.open('written'));
    mux.send(encode.open('watched'));
    const stepsFor = (doc: string) => mux.frames.filter((f) => f.type === 'doc' && f.doc === doc && f.frame[0] === 0);
    await waitFor(() => stepsFor('written').length > 0 && stepsFor('watched').length > 0, { what: 'both open' });
    const other = connectStockClient(server.syncUrl, 'watched');
    readers.push(other);
    await waitFor(() => other.provider.synced, { what: 'a writer on the watched document' });
    // Sync update frames (message 0, sub-type 2) the connection got for the watched document.
    const watchedUpdates = () =>
      mux.frames.filter((f) => f.type === 'doc' && f.doc === 'watched' && f.frame[0] === 0 && f.frame[1] === 2).length;
    other.text.insert(0, 'ab');
    await waitFor(() => watchedUpdates() === 1, { what: 'the watched document relayed' });
    const doc = new Y.Doc();
    const closeDoc = () => mux.frames.find((f) => f.type === 'close-doc' && f.doc === 'written');
    for (let i = 0; closeDoc() === undefined && i < 64; i++) {
      const sv = Y.encodeStateVector(doc);
      doc.getText('content').insert(0, 'z'.repeat(4096));
      mux.send(encode.doc('written', encode.syncUpdate(Y.encodeStateAsUpdate(doc, sv))));
      await waitFor(
        () =>
          closeDoc() !== undefined ||
          server.app.tandem.registry.get('written')?.doc.getText('content').length === doc.getText('content').length,
        { what: 'applied or refused' },
      );
    }
    expect(closeDoc()).toMatchObject({
      code: CloseCode.tryAgainLater,
      reason: 'store unavailable: writes paused; retry later',
    });
    expect(mux.closeEvent).toBeUndefined();
    // The carrier and the other document live on: a deletion on the watched document still reaches it.
    other.text.delete(0, 1);
    await waitFor(() => watchedUpdates() === 2, { what: 'the watched document still relayed' });
    mux.send(encode.ping(5));
    await mux.waitForFrame((f): f is Extract<typeof f, { type: 'pong' }> => f.type === 'pong' && f.id === 5);
    expect(mux.closeEvent).toBeUndefined();
  });
});
