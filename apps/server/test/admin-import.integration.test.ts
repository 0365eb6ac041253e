import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMemoryFanoutBus } from '../src/fanout/memory-fanout.js';
import type { StoredDoc } from '../src/storage/doc-store.js';
import { createMemoryDocStore } from '../src/storage/memory-doc-store.js';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { metricValue } from './helpers/metrics.js';
import { failLoads, gateLoads, holdAppends } from './helpers/store-wrappers.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const ADMIN = 'admin-token-0123456789';
/** 13 bytes claiming 2^51 operations of client 42 (the "RLE bomb"). */
const BOMB = Uint8Array.of(1, 1, 42, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x04, 0);
const COMMITTED = 'tandem_committed_updates_total';

/** An HTTP receiver that takes every webhook and remembers which documents it was told about. */
interface WebhookReceiver {
  readonly url: string;
  readonly documents: string[];
  close(): Promise<void>;
}

async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const documents: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      documents.push((JSON.parse(body) as { document: string }).document);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    documents,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Bytes of what a store holds for a document, comparable with toEqual. */
function storedBytes(stored: StoredDoc): string[] {
  return [
    stored.snapshot === null ? '-' : Buffer.from(stored.snapshot).toString('base64'),
    ...stored.updates.map((u) => Buffer.from(u.update).toString('base64')),
  ];
}

/** A document holding `text`, as one update, and the update that appends `more` to it. */
function textAndContinuation(text: string, more: string): { base: Uint8Array; continuation: Uint8Array } {
  const doc = new Y.Doc();
  doc.getText('content').insert(0, text);
  const base = Y.encodeStateAsUpdate(doc);
  const before = Y.encodeStateVector(doc);
  doc.getText('content').insert(text.length, more);
  const continuation = Y.encodeStateAsUpdate(doc, before);
  doc.destroy();
  return { base, continuation };
}

describe('admin import: every write path goes through the room', () => {
  const servers: TestServer[] = [];
  const stock: StockClient[] = [];
  let hook: WebhookReceiver | undefined;
  afterEach(async () => {
    for (const c of stock.splice(0)) c.destroy();
    for (const s of servers.splice(0)) await s.close();
    await hook?.close();
    hook = undefined;
  });

  const start = async (options: Parameters<typeof startTestServer>[0] = {}) => {
    hook ??= await startWebhookReceiver();
    const server = await startTestServer({
      ...options,
      config: {
        adminToken: ADMIN,
        roomIdleMs: 100,
        webhook: { url: hook.url, secret: 'webhook-secret-0123456789', debounceMs: 20, attempts: 3, retryMs: 20 },
        ...options.config,
      },
    });
    servers.push(server);
    return server;
  };
  const importInto = (server: TestServer, id: string, bytes: Uint8Array) =>
    server.app.inject({
      method: 'POST',
      url: `/admin/documents/${id}/import`,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream' },
      payload: Buffer.from(bytes),
    });
  const committed = async (server: TestServer) => metricValue((await server.app.inject('/metrics')).body, COMMITTED);

  /**
   * A server holding `id` with the text "stored": straight in its store (not loaded), or loaded
   * by a connected stock client (which is returned).
   */
  const documentWithText = async (loaded: boolean, id: string) => {
    const server = await start();
    const { base, continuation } = textAndContinuation('stored', ' and more');
    if (!loaded) {
      await server.store.append([{ docId: id, update: base }]);
      return { server, continuation, editor: null };
    }
    const editor = connectStockClient(server.syncUrl, id);
    stock.push(editor);
    await waitFor(() => editor.provider.synced);
    Y.applyUpdate(editor.doc, base);
    await waitFor(async () => (await server.store.load(id)).updates.length === 1, { what: 'the edit stored' });
    return { server, continuation, editor };
  };

  for (const loaded of [false, true]) {
    const where = loaded ? 'a loaded document' : 'a document that is not loaded';

    /** Imports `bytes`, expects a 400 naming `problem`, and that neither store nor metrics moved. */
    const expectRefused = async (server: TestServer, bytes: Uint8Array, problem: string) => {
      const before = storedBytes(await server.store.load('target'));
      const metricBefore = await committed(server);
      const response = await importInto(server, 'target', bytes);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'bad_request', message: expect.stringContaining(problem) });
      expect(storedBytes(await server.store.load('target'))).toEqual(before);
      expect(await committed(server)).toBe(metricBefore);
      // Loaded for the refused import only: unloaded again once idle.
      if (!loaded) await waitFor(() => server.app.tandem.registry.stats().rooms === 0, { what: 'the room to unload' });
      return server.app.tandem.registry.get('target');
    };

    it(`OPS-6/YJS-1/YJS-2: an RLE bomb imported into ${where} gets 400 naming the clock range; nothing stored`, async () => {
      const { server, editor } = await documentWithText(loaded, 'target');
      const room = await expectRefused(server, BOMB, 'absurd clock range for client 42');
      if (loaded) {
        expect(Y.decodeStateVector(Y.encodeStateVector(room?.doc as Y.Doc)).has(42)).toBe(false);
        expect(editor?.provider.wsconnected).toBe(true);
      }
    });

    it(`OPS-6/YJS-1/YJS-4: undecodable bytes imported into ${where} get 400; nothing stored`, async () => {
      const { server } = await documentWithText(loaded, 'target');
      await expectRefused(server, Uint8Array.of(9, 9, 9, 9), 'malformed update');
    });

    it(`OPS-6/YJS-1/YJS-3: an update depending on history ${where} lacks gets 400; nothing stored, nothing left pending`, async () => {
      const { server } = await documentWithText(loaded, 'target');
      // Continues a document the target never saw.
      const { continuation } = textAndContinuation('elsewhere', ' continued');
      const room = await expectRefused(server, continuation, 'depends on history the document does not have');
      if (loaded) {
        expect(room?.doc.store.pendingStructs).toBeNull();
        expect(room?.doc.store.pendingDs).toBeNull();
        expect(room?.doc.getText('content').toString()).toBe('stored');
      }
    });

    it(`OPS-6/YJS-1/OPS-4: a valid import into ${where} is durable before the 204, counted, and fires the webhook`, async () => {
      const { server, continuation, editor } = await documentWithText(loaded, 'target');
      const metricBefore = await committed(server);
      const storedBefore = (await server.store.load('target')).updates.length;
      const response = await importInto(server, 'target', continuation);
      expect(response.statusCode).toBe(204);
      const stored = await server.store.load('target');
      expect(stored.updates.length).toBe(storedBefore + 1);
      expect(Buffer.from(stored.updates.at(-1)?.update ?? []).equals(Buffer.from(continuation))).toBe(true);
      expect(await committed(server)).toBeGreaterThan(metricBefore);
      await waitFor(() => hook?.documents.includes('target'), { what: 'the webhook for the import' });
      if (editor !== null) {
        await waitFor(() => editor.text.toString() === 'stored and more', { what: 'the import relayed' });
      } else {
        // Loaded for the import only: unloaded again once idle (ROOM-2), everything already stored.
        await waitFor(() => server.app.tandem.registry.stats().rooms === 0, { what: 'the room to unload' });
      }
      const exported = await server.app.inject({
        url: '/admin/documents/target/export?format=text',
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(exported.body).toBe('stored and more');
    });
  }

  it('OPS-6/ACK-1: the 204 of an import into a document that is not loaded waits until the store has taken it', async () => {
    const held = holdAppends(createMemoryDocStore());
    const server = await start({ store: held.store });
    const { base } = textAndContinuation('held back', '');
    let answered = false;
    const response = importInto(server, 'held', base).then((r) => {
      answered = true;
      return r;
    });
    await waitFor(() => held.held() === 1, { what: 'the append to reach the store' });
    expect(answered).toBe(false);
    held.release();
    expect((await response).statusCode).toBe(204);
    expect((await server.store.load('held')).updates.length).toBe(1);
  });

  it('OPS-6/ROOM-1: an import and a join while the document loads share one load', async () => {
    const gated = gateLoads(createMemoryDocStore());
    const server = await start({ store: gated.store });
    const { base } = textAndContinuation('loaded once', '');
    const response = importInto(server, 'gated', base);
    await waitFor(() => gated.loads() === 1, { what: 'the import to start loading' });
    const editor = connectStockClient(server.syncUrl, 'gated');
    stock.push(editor);
    await waitFor(() => server.app.tandem.sessions.size === 1, { what: 'the session to wait for the room' });
    gated.release();
    expect((await response).statusCode).toBe(204);
    await waitFor(() => editor.text.toString() === 'loaded once', { what: 'the joiner to get the import' });
    expect(gated.loads()).toBe(1);
  });

  it('OPS-6/ROOM-3: an import into a document that fails to load gets 503 and caches nothing', async () => {
    const failing = failLoads(createMemoryDocStore());
    const server = await start({ store: failing.store });
    const { base } = textAndContinuation('not now', '');
    const response = await importInto(server, 'broken', base);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ error: 'unavailable', message: expect.stringContaining('failed to load') });
    expect(server.app.tandem.registry.stats()).toMatchObject({ rooms: 0, loading: 0 });
    failing.setFailing(false);
    expect((await importInto(server, 'broken', base)).statusCode).toBe(204);
  });

  it('OPS-6/CLUSTER-1/CLUSTER-2: an import on a node where the document is not loaded reaches the sessions of another node', async () => {
    const bus = createMemoryFanoutBus();
    const a = await start({ fanout: bus.connect('node-a') });
    const b = await start({ fanout: bus.connect('node-b') });
    const editor = connectStockClient(b.syncUrl, 'shared');
    stock.push(editor);
    await waitFor(() => editor.provider.synced);
    const { base } = textAndContinuation('from the admin API', '');
    expect(a.app.tandem.registry.get('shared')).toBeUndefined();
    expect((await importInto(a, 'shared', base)).statusCode).toBe(204);
    await waitFor(() => editor.text.toString() === 'from the admin API', { what: 'the import on the other node' });
    // Persisted once, by the node that took the import (CLUSTER-2).
    expect((await a.store.load('shared')).updates.length).toBe(1);
    expect((await b.store.load('shared')).updates.length).toBe(0);
  });
});
