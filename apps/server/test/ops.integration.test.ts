import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseCode, decodeFrame, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { signWebhook } from '../src/ops/webhooks.js';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { metricValue } from './helpers/metrics.js';
import { connectRaw, frameOfType, type RawClient } from './helpers/raw-client.js';
import { connectTandemWriter } from './helpers/tandem-writer.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const ADMIN = 'admin-token-0123456789';

describe('operations', () => {
  let server: TestServer | undefined;
  const stock: StockClient[] = [];
  const raw: RawClient[] = [];
  afterEach(async () => {
    for (const c of stock.splice(0)) c.destroy();
    for (const c of raw.splice(0)) c.close();
    await server?.close();
  });

  it('OPS-1: /metrics reports connections, rooms, frames, commits, acks, closes and dependencies', async () => {
    server = await startTestServer();
    const a = connectStockClient(server.syncUrl, 'metered');
    const b = connectStockClient(server.syncUrl, 'metered');
    stock.push(a, b);
    await waitFor(() => a.provider.synced && b.provider.synced);
    const writer = connectTandemWriter(`${server.syncUrl}/metered`, 'w');
    raw.push(writer.client);
    await writer.client.waitForFrame(frameOfType('sync-step1'));
    for (let i = 0; i < 5; i++) writer.write();
    await waitFor(() => writer.ackedThrough === 5);
    const bad = connectRaw(`${server.syncUrl}/metered`);
    raw.push(bad);
    await bad.opened();
    bad.send(Uint8Array.of(0x7f));
    await bad.waitForClose();
    const text = (await server.app.inject('/metrics')).body;
    expect(metricValue(text, 'tandem_connections')).toBe(3);
    expect(metricValue(text, 'tandem_rooms_loaded')).toBe(1);
    expect(metricValue(text, 'tandem_frames_in_total{type="sync-update"}')).toBeGreaterThanOrEqual(5);
    expect(metricValue(text, 'tandem_commit_seconds_count')).toBeGreaterThan(0);
    expect(metricValue(text, 'tandem_committed_updates_total')).toBeGreaterThanOrEqual(5);
    expect(metricValue(text, 'tandem_acks_total')).toBeGreaterThan(0);
    expect(metricValue(text, 'tandem_closes_total{code="1007"}')).toBe(1);
    expect(metricValue(text, 'tandem_dependency_up{dependency="store"}')).toBe(1);
    expect(metricValue(text, 'tandem_documents_stored')).toBe(1);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(metricValue(text, 'tandem_bytes_out_total')).toBeGreaterThan(0);
  });

  it('OPS-2: the admin API needs its token: 404 when unset, 401 without, 403 with a wrong one', async () => {
    server = await startTestServer();
    expect((await server.app.inject('/admin/documents')).statusCode).toBe(404);
    await server.close();
    server = await startTestServer({ config: { adminToken: ADMIN } });
    expect((await server.app.inject('/admin/documents')).statusCode).toBe(401);
    const wrong = await server.app.inject({ url: '/admin/documents', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(403);
    const right = await server.app.inject({ url: '/admin/documents', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(right.json()).toEqual({ documents: [] });
  });

  it('OPS-3: list, live rooms, export (json, text, yjs), import and delete', async () => {
    server = await startTestServer({ config: { adminToken: ADMIN } });
    const admin = (method: 'GET' | 'POST' | 'DELETE', url: string, body?: Buffer) =>
      (server as TestServer).app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/octet-stream' } : {}) },
        ...(body ? { payload: body } : {}),
      });
    const editor = connectStockClient(server.syncUrl, 'report');
    stock.push(editor);
    await waitFor(() => editor.provider.synced);
    editor.text.insert(0, 'Quarterly report');
    editor.doc.getMap('meta').set('owner', 'ops');
    await waitFor(async () => (await server?.store.load('report'))?.updates.length === 2);

    expect((await admin('GET', '/admin/documents')).json()).toEqual({
      documents: [{ id: 'report', title: null, loaded: true }],
    });
    const rooms = (await admin('GET', '/admin/rooms')).json() as { rooms: { id: string; sessions: unknown[] }[] };
    expect(rooms.rooms).toEqual([
      { id: 'report', sessions: [expect.objectContaining({ protocol: 'plain', canWrite: true })] },
    ]);
    expect((await admin('GET', '/admin/documents/report/export?format=json')).json()).toEqual({
      id: 'report',
      content: { content: 'Quarterly report', meta: { owner: 'ops' } },
    });
    expect((await admin('GET', '/admin/documents/report/export?format=text')).body).toBe('Quarterly report');
    const exported = (await admin('GET', '/admin/documents/report/export?format=yjs')).rawPayload;
    const copy = new Y.Doc();
    Y.applyUpdate(copy, new Uint8Array(exported));
    expect(copy.getText('content').toString()).toBe('Quarterly report');

    // Import into the live room: the connected editor receives it.
    const patch = new Y.Doc();
    Y.applyUpdate(patch, new Uint8Array(exported));
    const before = Y.encodeStateVector(patch);
    patch.getText('content').insert(patch.getText('content').length, ' (imported)');
    expect(
      (await admin('POST', '/admin/documents/report/import', Buffer.from(Y.encodeStateAsUpdate(patch, before))))
        .statusCode,
    ).toBe(204);
    await waitFor(() => editor.text.toString() === 'Quarterly report (imported)');
    // Import into a document nobody has open loads it, like a join, and goes through the room (OPS-6).
    const fresh = new Y.Doc();
    fresh.getText('content').insert(0, 'restored from backup');
    expect(
      (await admin('POST', '/admin/documents/restored/import', Buffer.from(Y.encodeStateAsUpdate(fresh)))).statusCode,
    ).toBe(204);
    expect((await admin('GET', '/admin/documents/restored/export?format=text')).body).toBe('restored from backup');
    expect((await admin('POST', '/admin/documents/restored/import', Buffer.from('junk'))).statusCode).toBe(400);

    const watcher = connectRaw(`${server.syncUrl}/report`, [TANDEM_SUBPROTOCOL]);
    raw.push(watcher);
    await watcher.waitForFrame(frameOfType('sync-step1'));
    expect((await admin('DELETE', '/admin/documents/report')).statusCode).toBe(204);
    expect((await watcher.waitForClose()).code).toBe(CloseCode.documentDeleted);
    expect(await server.store.list()).toEqual(['restored']);
  });

  it('OPS-4: a change sends one debounced, HMAC-signed webhook, retried until the receiver takes it', async () => {
    const received: { body: string; signature: string | undefined }[] = [];
    let calls = 0;
    const hook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        calls++;
        if (calls === 1) {
          response.writeHead(503).end();
          return;
        }
        received.push({ body, signature: request.headers['x-tandem-signature'] as string | undefined });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const { port } = hook.address() as AddressInfo;
    const secret = 'webhook-secret-0123456789';
    try {
      server = await startTestServer({
        config: { webhook: { url: `http://127.0.0.1:${port}/hook`, secret, debounceMs: 50, attempts: 3, retryMs: 20 } },
      });
      const writer = connectTandemWriter(`${server.syncUrl}/hooked`, 'h');
      raw.push(writer.client);
      await writer.client.waitForFrame(frameOfType('sync-step1'));
      for (let i = 0; i < 3; i++) writer.write();
      await waitFor(() => received.length === 1, { what: 'a delivered webhook' });
      expect(calls).toBe(2);
      const [delivery] = received;
      expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({ event: 'document.changed', document: 'hooked' });
      expect(delivery?.signature).toBe(signWebhook(secret, delivery?.body ?? ''));
    } finally {
      await new Promise<void>((resolve) => hook.close(() => resolve()));
    }
  });

  it("OPS-5: a room recording replays to the server's document byte for byte", async () => {
    server = await startTestServer({ config: { adminToken: ADMIN } });
    const auth = { authorization: `Bearer ${ADMIN}` };
    const started = await server.app.inject({
      method: 'POST',
      url: '/admin/rooms/recorded/recording',
      headers: auth,
      payload: {},
    });
    expect(started.statusCode).toBe(201);
    const a = connectStockClient(server.syncUrl, 'recorded');
    const b = connectStockClient(server.syncUrl, 'recorded');
    stock.push(a, b);
    await waitFor(() => a.provider.synced && b.provider.synced);
    a.text.insert(0, 'recorded ');
    b.text.insert(0, 'session ');
    a.doc.getMap('meta').set('k', 'v');
    a.text.delete(0, 3);
    await waitFor(
      () =>
        server?.app.tandem.registry.get('recorded')?.doc.getText('content').length === a.text.length &&
        a.text.length > 0,
    );
    await waitFor(() => a.text.toString() === b.text.toString());
    const stopped = await server.app.inject({
      method: 'DELETE',
      url: '/admin/rooms/recorded/recording',
      headers: auth,
    });
    const { recording } = stopped.json() as { recording: string };
    const file = (await server.app.inject({ url: `/admin/recordings/${recording}`, headers: auth })).body;
    const replayed = new Y.Doc();
    for (const line of file.trim().split('\n')) {
      const entry = JSON.parse(line) as { t: number; room: string; session: string; frame: string };
      expect(entry.room).toBe('recorded');
      const decoded = decodeFrame(new Uint8Array(Buffer.from(entry.frame, 'base64')));
      if (decoded.ok && (decoded.frame.type === 'sync-update' || decoded.frame.type === 'sync-step2')) {
        Y.applyUpdate(replayed, decoded.frame.update);
      }
    }
    const live = server.app.tandem.registry.get('recorded')?.doc as Y.Doc;
    expect(Buffer.from(Y.encodeStateAsUpdate(replayed)).equals(Buffer.from(Y.encodeStateAsUpdate(live)))).toBe(true);
    expect(replayed.getText('content').toString()).toBe(a.text.toString());
  });
});
