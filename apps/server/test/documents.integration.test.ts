import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { connectRaw, frameOfType, type RawClient } from './helpers/raw-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('documents REST API', () => {
  let server: TestServer | undefined;
  const raw: RawClient[] = [];
  const stock: StockClient[] = [];

  afterEach(async () => {
    for (const c of raw.splice(0)) c.close();
    for (const c of stock.splice(0)) c.destroy();
    await server?.close();
  });

  const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
    (server as TestServer).app.inject({ method, url, ...(payload === undefined ? {} : { payload }) });

  it('DOCS-1: create, list, get, rename and delete a document', async () => {
    server = await startTestServer();
    const created = await api('POST', '/api/documents', { title: 'Meeting notes' });
    expect(created.statusCode).toBe(201);
    const { id } = created.json() as { id: string };
    expect(id).toMatch(/^[A-Za-z0-9_-]{12}$/);
    const untitled = await api('POST', '/api/documents', {});
    expect(untitled.json()).toMatchObject({ title: 'Untitled' });

    const list = (await api('GET', '/api/documents')).json() as { documents: { id: string; title: string }[] };
    expect(list.documents.map((d) => d.title).sort()).toEqual(['Meeting notes', 'Untitled']);
    expect((await api('GET', `/api/documents/${id}`)).json()).toMatchObject({ id, title: 'Meeting notes' });

    const renamed = await api('PATCH', `/api/documents/${id}`, { title: '  Q4 planning  ' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toEqual({ id, title: 'Q4 planning' });

    expect((await api('DELETE', `/api/documents/${id}`)).statusCode).toBe(204);
    expect((await api('GET', `/api/documents/${id}`)).statusCode).toBe(404);
    expect((await api('DELETE', `/api/documents/${id}`)).statusCode).toBe(404);
  });

  it('DOCS-2: bad input gets a 4xx naming the problem', async () => {
    server = await startTestServer();
    const empty = await api('POST', '/api/documents', { title: '   ' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: 'bad_request', message: 'title is empty' });
    const extra = await api('POST', '/api/documents', { title: 'x', owner: 'me' });
    expect(extra.statusCode).toBe(400);
    const long = await api('POST', '/api/documents', { title: 'x'.repeat(201) });
    expect(long.json()).toMatchObject({ message: 'title is longer than 200 characters' });
    expect((await api('PATCH', '/api/documents/nope', { title: 'x' })).statusCode).toBe(404);
    expect((await api('PATCH', '/api/documents/nope', { name: 'x' })).statusCode).toBe(400);
  });

  it('DOCS-3: documents written by any client are listed, and can be named', async () => {
    server = await startTestServer();
    const client = connectStockClient(server.syncUrl, 'made-by-a-client');
    stock.push(client);
    await waitFor(() => client.provider.synced);
    client.text.insert(0, 'hello');
    await waitFor(async () => (await server?.store.list())?.includes('made-by-a-client'));
    const list = (await api('GET', '/api/documents')).json() as { documents: { id: string; title: string }[] };
    expect(list.documents).toContainEqual(
      expect.objectContaining({ id: 'made-by-a-client', title: 'made-by-a-client' }),
    );
    const named = await api('PATCH', '/api/documents/made-by-a-client', { title: 'Named later' });
    expect(named.json()).toEqual({ id: 'made-by-a-client', title: 'Named later' });
  });

  it('DOCS-4: deleting a document closes its sessions with 4404 and removes its stored content', async () => {
    server = await startTestServer();
    const { id } = (await api('POST', '/api/documents', { title: 'Doomed' })).json() as { id: string };
    const editor = connectRaw(`${server.syncUrl}/${id}`, [TANDEM_SUBPROTOCOL]);
    raw.push(editor);
    await editor.waitForFrame(frameOfType('sync-step1'));
    const writer = connectStockClient(server.syncUrl, id);
    stock.push(writer);
    await waitFor(() => writer.provider.synced);
    writer.text.insert(0, 'soon gone');
    await waitFor(async () => (await server?.store.load(id))?.updates.length === 1);
    writer.destroy();
    stock.splice(0);
    expect((await api('DELETE', `/api/documents/${id}`)).statusCode).toBe(204);
    const closed = await editor.waitForClose();
    expect(closed).toEqual({ code: CloseCode.documentDeleted, reason: 'document deleted' });
    expect(await server.store.load(id)).toEqual({ snapshot: null, updates: [] });
    expect(await server.store.list()).not.toContain(id);
  });
});

describe('the editor app', () => {
  let server: TestServer | undefined;
  let webDir: string | undefined;
  afterEach(async () => {
    await server?.close();
    if (webDir !== undefined) rmSync(webDir, { recursive: true, force: true });
  });

  it('WEB-1: serves the built app, and index.html for the app routes / and /d/<id>', async () => {
    webDir = mkdtempSync(join(tmpdir(), 'tandem-web-'));
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Tandem app</title>');
    writeFileSync(join(webDir, 'assets', 'app.js'), 'console.log(1)');
    server = await startTestServer({ config: { webDir } });
    for (const url of ['/', '/d/abc123']) {
      const page = await server.app.inject(url);
      expect(page.statusCode, url).toBe(200);
      expect(page.body).toContain('Tandem app');
    }
    const script = await server.app.inject('/assets/app.js');
    expect(script.headers['content-type']).toContain('javascript');
    expect((await server.app.inject('/api/documents')).json()).toEqual({ documents: [] });
    expect((await server.app.inject('/nope')).statusCode).toBe(404);
  });

  it('WEB-1: without a build, / explains how to connect', async () => {
    server = await startTestServer({ config: { webDir: join(tmpdir(), 'no-such-dir') } });
    expect((await server.app.inject('/')).body).toContain('/sync');
  });
});
