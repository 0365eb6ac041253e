import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { type ServerProcess, startServerProcess, waitFor } from '@tandem/test-utils';
import { createTransform, DEFAULT_FIELD } from '@tandem/transform';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMemoryDocStore } from '../src/storage/memory-doc-store.js';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { holdAppends } from './helpers/store-wrappers.js';
import { startTestServer } from './helpers/test-server.js';
import { signToken, TEST_SECRET } from './helpers/tokens.js';

const ADMIN = 'admin-token-0123456789';
/** 13 bytes claiming 2^51 operations of client 42 (the "RLE bomb", refused over WebSocket by YJS-2). */
const BOMB = Uint8Array.of(1, 1, 42, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x04, 0);
const transform = createTransform();

/** One HTTP answer, read whole. */
interface Answer {
  readonly status: number;
  readonly etag: string | null;
  readonly type: string | null;
  readonly text: string;
  readonly bytes: Buffer;
  json<T = Record<string, unknown>>(): T;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  return {
    status: response.status,
    etag: response.headers.get('etag'),
    type: response.headers.get('content-type'),
    text,
    bytes,
    json: <T>() => JSON.parse(text) as T,
  };
}

describe('content REST API (real server processes)', () => {
  const servers: ServerProcess[] = [];
  const clients: StockClient[] = [];
  const closers: (() => Promise<void> | void)[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    for (const s of servers.splice(0)) await s.process.stop('SIGKILL');
    for (const close of closers.splice(0)) await close();
  });

  const start = async (env: Record<string, string> = {}) => {
    const server = await startServerProcess({ AUTH_SECRET: TEST_SECRET, ADMIN_TOKEN: ADMIN, WEB_DIR: 'none', ...env });
    servers.push(server);
    return server;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const contentUrl = (server: ServerProcess, id: string, query = '') =>
    `${server.httpUrl}/api/documents/${id}/content${query}`;
  const write = (
    server: ServerProcess,
    method: 'PUT' | 'POST',
    id: string,
    type: string,
    body: string | Uint8Array,
    headers: Record<string, string> = bearer(ADMIN),
    query = '',
  ) =>
    call(contentUrl(server, id, query), {
      method,
      headers: { 'content-type': type, ...headers },
      body: typeof body === 'string' ? body : Buffer.from(body),
    });
  const read = (server: ServerProcess, id: string, format: string, headers: Record<string, string> = bearer(ADMIN)) =>
    call(contentUrl(server, id, `?format=${format}`), { headers });

  it('CONTENT-1: writes in every format and reads back in every format; a live collaborator sees each write', async () => {
    const server = await start();
    const token = await signToken({ sub: 'watcher', docs: { notes: 'read' } });
    const watcher = connectStockClient(server.syncUrl, 'notes', { token });
    clients.push(watcher);
    await waitFor(() => watcher.provider.synced, { what: 'the watcher to sync' });
    const live = () => transform.toMarkdown(watcher.doc);

    const put = await write(server, 'PUT', 'notes', 'text/markdown', '# Notes\n\nFirst **point**.');
    expect(put.status).toBe(200);
    expect(put.json()).toEqual({ id: 'notes', etag: put.etag });
    await waitFor(() => live() === '# Notes\n\nFirst **point**.', { what: 'the PUT to reach the collaborator' });

    expect((await read(server, 'notes', 'markdown')).text).toBe('# Notes\n\nFirst **point**.');
    const html = await read(server, 'notes', 'html');
    expect(html.type).toBe('text/html; charset=utf-8');
    expect(html.text).toBe('<h1>Notes</h1><p>First <strong>point</strong>.</p>');
    expect((await read(server, 'notes', 'text')).text).toBe('Notes\nFirst point.');
    const json = await read(server, 'notes', 'prosemirror');
    expect(json.type).toMatch(/^application\/json/);
    expect(json.json()).toEqual(transform.fromMarkdown('# Notes\n\nFirst **point**.'));
    expect(json.etag).toBe(put.etag);
    const yjs = await read(server, 'notes', 'yjs');
    expect(yjs.type).toBe('application/octet-stream');
    const copy = new Y.Doc();
    Y.applyUpdate(copy, yjs.bytes);
    expect(transform.toMarkdown(copy)).toBe('# Notes\n\nFirst **point**.');

    expect((await write(server, 'POST', 'notes', 'text/plain', 'Added by a job\nand a second line')).status).toBe(200);
    await waitFor(() => live() === '# Notes\n\nFirst **point**.\n\nAdded by a job\n\nand a second line', {
      what: 'the text append to reach the collaborator',
    });
    expect(
      (await write(server, 'POST', 'notes', 'text/html', '<h2>Preface</h2>', bearer(ADMIN), '?at=start')).status,
    ).toBe(200);
    await waitFor(() => live().startsWith('## Preface\n\n# Notes'), { what: 'the HTML prepend' });
    const doc = { type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Replaced.' }] }] };
    expect((await write(server, 'PUT', 'notes', 'application/json', JSON.stringify(doc))).status).toBe(200);
    await waitFor(() => live() === 'Replaced.', { what: 'the JSON replacement' });

    // A Yjs update is merged as sent: the watcher's own state plus a paragraph at the end.
    const appended = transform.appendUpdate(transform.fromText('From Yjs'), watcher.doc);
    expect((await write(server, 'POST', 'notes', 'application/octet-stream', appended)).status).toBe(200);
    await waitFor(() => live() === 'Replaced.\n\nFrom Yjs', { what: 'the Yjs update' });
    expect(watcher.doc.getXmlFragment(DEFAULT_FIELD).length).toBe(2);
  });

  it('CONTENT-2: a replacement keeps what did not change, so a concurrent edit elsewhere survives; it is stored before the 200', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-content-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const server = await start({ DATA_DIR: dir });
    const editor = connectStockClient(server.syncUrl, 'plan', { token: await signToken({ sub: 'ed' }) });
    clients.push(editor);
    await waitFor(() => editor.provider.synced, { what: 'the editor to sync' });
    expect((await write(server, 'PUT', 'plan', 'text/markdown', 'one\n\ntwo\n\nthree')).status).toBe(200);
    await waitFor(() => transform.toText(editor.doc) === 'one\ntwo\nthree', { what: 'the first version' });
    // The editor types into the last paragraph (offline, so the edit is truly concurrent) while a
    // backend rewrites the first from the version it read.
    editor.provider.disconnect();
    const last = editor.doc.getXmlFragment(DEFAULT_FIELD).get(2) as Y.XmlElement;
    (last.get(0) as Y.XmlText).insert(5, ' (typed)');
    const rewrite = await write(server, 'PUT', 'plan', 'text/markdown', 'ONE\n\ntwo\n\nthree');
    expect(rewrite.status).toBe(200);
    editor.provider.connect();
    await waitFor(() => transform.toText(editor.doc) === 'ONE\ntwo\nthree (typed)', { what: 'both edits' });
    await waitFor(async () => (await read(server, 'plan', 'text')).text === 'ONE\ntwo\nthree (typed)', {
      what: 'the server to hold both',
    });

    // Killed right after the 200 of a write nobody else saw: the write is there after a restart.
    const final = await write(server, 'POST', 'plan', 'text/markdown', '**Signed off.**');
    expect(final.status).toBe(200);
    servers.pop()?.process.child.kill('SIGKILL');
    editor.provider.disconnect();
    const restarted = await start({ DATA_DIR: dir });
    expect((await read(restarted, 'plan', 'markdown')).text).toBe('ONE\n\ntwo\n\nthree (typed)\n\n**Signed off.**');
  });

  it('CONTENT-2/ACK-1: the answer to a write waits until the store has durably taken it', async () => {
    const held = holdAppends(createMemoryDocStore());
    const server = await startTestServer({ store: held.store });
    closers.push(() => server.close());
    let answered = false;
    const response = server.app
      .inject({
        method: 'POST',
        url: '/api/documents/held/content',
        headers: { 'content-type': 'text/plain' },
        payload: 'not yet stored',
      })
      .then((r) => {
        answered = true;
        return r;
      });
    await waitFor(() => held.held() === 1, { what: 'the append to reach the store' });
    // The room already has it (collaborators got it); the caller does not, until it is stored.
    expect(transform.toText(server.app.tandem.registry.get('held')?.doc as Y.Doc)).toBe('not yet stored');
    expect(answered).toBe(false);
    held.release();
    expect((await response).statusCode).toBe(200);
    expect((await server.store.load('held')).updates.length).toBe(1);
  });

  it('CONTENT-3: If-Match makes a write conditional (412 once the document changed); If-None-Match gives 304', async () => {
    const server = await start();
    const first = await write(server, 'PUT', 'cond', 'text/plain', 'v1');
    const etag = first.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(
      (await call(contentUrl(server, 'cond'), { headers: { ...bearer(ADMIN), 'if-none-match': etag } })).status,
    ).toBe(304);
    const second = await write(server, 'PUT', 'cond', 'text/plain', 'v2', { ...bearer(ADMIN), 'if-match': etag });
    expect(second.status).toBe(200);
    expect(second.etag).not.toBe(etag);
    const stale = await write(server, 'POST', 'cond', 'text/plain', 'v3', { ...bearer(ADMIN), 'if-match': etag });
    expect(stale.status).toBe(412);
    expect(stale.json()).toEqual({
      error: 'precondition_failed',
      message: `document "cond" changed since the ETag in If-Match was read; it is now ${second.etag}: read it again`,
    });
    expect((await read(server, 'cond', 'text')).text).toBe('v2');
    expect(
      (await write(server, 'POST', 'cond', 'text/plain', 'v3', { ...bearer(ADMIN), 'if-match': '*' })).status,
    ).toBe(200);
  });

  it('CONTENT-4: 401, 403, 413, 415, 422 and 400 each name the problem, and change nothing', async () => {
    const server = await start({ CONTENT_MAX_BYTES: '2048' });
    expect((await write(server, 'PUT', 'guarded', 'text/plain', 'kept')).status).toBe(200);
    const reader = bearer(await signToken({ sub: 'reader', docs: { guarded: 'read' } }));
    const stranger = bearer(await signToken({ sub: 'stranger', docs: { other: 'write' } }));
    const writer = bearer(await signToken({ sub: 'writer', docs: { guarded: 'write' } }));
    const cases: [string, () => Promise<Answer>, number, string, RegExp][] = [
      ['no token', () => read(server, 'guarded', 'text', {}), 401, 'unauthenticated', /authentication required/],
      [
        'bad token',
        () => write(server, 'PUT', 'guarded', 'text/plain', 'x', bearer('nope')),
        401,
        'unauthenticated',
        /token/i,
      ],
      ['no access', () => read(server, 'guarded', 'text', stranger), 403, 'forbidden', /guarded/],
      [
        'read-only',
        () => write(server, 'PUT', 'guarded', 'text/plain', 'x', reader),
        403,
        'forbidden',
        /needs write access/,
      ],
      [
        'too large',
        () => write(server, 'PUT', 'guarded', 'text/plain', 'x'.repeat(4096), writer),
        413,
        'payload_too_large',
        /larger than 2048 bytes \(CONTENT_MAX_BYTES\)/,
      ],
      [
        'too large, no access',
        () => write(server, 'PUT', 'guarded', 'text/plain', 'x'.repeat(4096), reader),
        403,
        'forbidden',
        /needs write access/,
      ],
      [
        'media type',
        () => write(server, 'PUT', 'guarded', 'application/xml', '<p/>', writer),
        415,
        'unsupported_media_type',
        /application\/xml is not accepted; send application\/json \(prosemirror\), text\/html/,
      ],
      [
        'schema',
        () =>
          write(server, 'PUT', 'guarded', 'application/json', '{"type":"doc","content":[{"type":"video"}]}', writer),
        422,
        'invalid_content',
        /Unknown node type: video/,
      ],
      [
        'top node',
        () => write(server, 'POST', 'guarded', 'application/json', '{"type":"paragraph"}', writer),
        422,
        'invalid_content',
        /top node must be of type "doc"/,
      ],
      [
        'json syntax',
        () => write(server, 'PUT', 'guarded', 'application/json', '{"type":', writer),
        400,
        'bad_request',
        /JSON/,
      ],
      ['format', () => read(server, 'guarded', 'pdf', writer), 400, 'bad_request', /format: Invalid option/],
      [
        'position',
        () => write(server, 'POST', 'guarded', 'text/plain', 'x', writer, '?at=middle'),
        400,
        'bad_request',
        /at: Invalid option/,
      ],
      [
        'empty Yjs',
        () => write(server, 'PUT', 'guarded', 'application/octet-stream', '', writer),
        400,
        'bad_request',
        /empty/,
      ],
    ];
    const got: unknown[] = [];
    for (const [name, send] of cases) {
      const answer = await send();
      got.push({ name, status: answer.status, body: answer.json() });
    }
    expect(got).toEqual(
      cases.map(([name, , status, error, message]) => ({
        name,
        status,
        body: { error, message: expect.stringMatching(message) },
      })),
    );
    expect((await read(server, 'guarded', 'text')).text).toBe('kept');
  });

  it('CONTENT-4/YJS-2/YJS-5: the update guard refuses a hostile Yjs body over REST as over WebSocket; nothing is applied', async () => {
    const server = await start();
    const watcher = connectStockClient(server.syncUrl, 'target', { token: await signToken({ sub: 'w' }) });
    clients.push(watcher);
    await waitFor(() => watcher.provider.synced, { what: 'the watcher to sync' });
    expect((await write(server, 'PUT', 'target', 'text/plain', 'stored')).status).toBe(200);
    const bomb = await write(server, 'POST', 'target', 'application/octet-stream', BOMB);
    expect(bomb.status).toBe(422);
    expect(bomb.json()).toEqual({
      error: 'update_refused',
      message: expect.stringMatching(/^the Yjs update was refused: .*absurd clock range for client 42/),
    });
    const garbage = await write(server, 'POST', 'target', 'application/octet-stream', Uint8Array.of(9, 9, 9, 9));
    expect(garbage.status).toBe(422);
    expect(garbage.json()).toMatchObject({ message: expect.stringMatching(/malformed update/) });
    // Structs under the client id a live session writes (YJS-5): refused, as that session's would-be impostor is over WebSocket.
    watcher.doc.getMap('notes').set('by', 'watcher');
    await waitFor(
      async () => {
        const held = new Y.Doc();
        Y.applyUpdate(held, (await read(server, 'target', 'yjs')).bytes);
        return held.getMap('notes').get('by') === 'watcher';
      },
      { what: "the server to hold the watcher's own write" },
    );
    const before = Y.encodeStateVector(watcher.doc);
    const impostor = new Y.Doc();
    Y.applyUpdate(impostor, Y.encodeStateAsUpdate(watcher.doc));
    impostor.clientID = watcher.doc.clientID;
    impostor.getMap('notes').set('by', 'impostor');
    const squat = await write(
      server,
      'POST',
      'target',
      'application/octet-stream',
      Y.encodeStateAsUpdate(impostor, before),
    );
    expect(squat.status).toBe(422);
    expect(squat.json()).toEqual({
      error: 'update_refused',
      message: `the Yjs update was refused: Yjs client id ${watcher.doc.clientID} belongs to a live session; write under a client id of your own`,
    });
    expect((await read(server, 'target', 'text')).text).toBe('stored');
    expect(watcher.provider.wsconnected).toBe(true);
  });

  it('CONTENT-5: requests past CONTENT_RATE_PER_MINUTE get 429 naming the limit; other callers are not affected', async () => {
    const server = await start({ CONTENT_RATE_PER_MINUTE: '3' });
    const busy = bearer(await signToken({ sub: 'busy' }));
    for (let i = 0; i < 3; i++) expect((await read(server, 'r', 'text', busy)).status).toBe(200);
    const limited = await read(server, 'r', 'text', busy);
    expect(limited.status).toBe(429);
    expect(limited.json()).toEqual({
      error: 'rate_limited',
      message: expect.stringMatching(/more than 3 content requests in a minute from this caller/),
    });
    expect((await read(server, 'r', 'text', bearer(await signToken({ sub: 'calm' })))).status).toBe(200);
  });

  it('CONTENT-6: with WEBHOOK_CONTENT the notification carries the changed document in that format; without, none', async () => {
    const bodies: Record<string, unknown>[] = [];
    const receiver: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        bodies.push(JSON.parse(body) as Record<string, unknown>);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const hooks = { WEBHOOK_URL: url, WEBHOOK_SECRET: 'webhook-secret-0123456789', WEBHOOK_DEBOUNCE_MS: '0' };
    const withContent = await start({ ...hooks, WEBHOOK_CONTENT: 'markdown' });
    expect((await write(withContent, 'PUT', 'hooked', 'text/html', '<h1>Hi</h1><p>there</p>')).status).toBe(200);
    await waitFor(() => bodies.find((b) => b.document === 'hooked'), { what: 'the notification' });
    expect(bodies.find((b) => b.document === 'hooked')).toMatchObject({
      event: 'document.changed',
      contentFormat: 'markdown',
      content: '# Hi\n\nthere',
    });
    const plain = await start(hooks);
    expect((await write(plain, 'PUT', 'bare', 'text/plain', 'x')).status).toBe(200);
    const bare = await waitFor(() => bodies.find((b) => b.document === 'bare'), { what: 'the plain notification' });
    expect(Object.keys(bare).sort()).toEqual(['at', 'delivery', 'document', 'event']);
  });

  it('CONTENT-9: a write is attributed to its caller in the version history (the token subject and name, or admin)', async () => {
    const server = await start();
    const bot = bearer(await signToken({ sub: 'svc-bot', name: 'Summary bot' }));
    expect((await write(server, 'POST', 'credited', 'text/plain', 'Written by a job', bot)).status).toBe(200);
    expect((await write(server, 'POST', 'credited', 'text/plain', 'Fixed by an operator')).status).toBe(200);
    const named = await call(`${server.httpUrl}/api/documents/credited/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bot },
      body: JSON.stringify({ label: 'After the job' }),
    });
    expect(named.status).toBe(201);
    expect(named.json<{ authors: unknown[] }>().authors).toEqual([
      { userId: 'svc-bot', name: 'Summary bot' },
      { userId: null, name: 'admin' },
    ]);
  });

  it('OPENAPI-1: /api/openapi.json is a valid OpenAPI 3.1 description of the documents, content and versions routes', async () => {
    const server = await start();
    const answer = await call(`${server.httpUrl}/api/openapi.json`);
    expect(answer.status).toBe(200);
    const spec = answer.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
    const validator = new Validator();
    const result = await validator.validate(spec);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths['/api/documents/{id}/content'] ?? {}).sort()).toEqual(['get', 'post', 'put']);
    expect(Object.keys(spec.paths['/api/documents'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(spec.paths['/api/documents/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
    expect(Object.keys(spec.paths['/api/documents/{id}/versions'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(spec.paths['/api/documents/{id}/versions/{vid}'] ?? {}).sort()).toEqual(['delete', 'get']);
    for (const route of ['content', 'compare', 'restore']) {
      expect(Object.keys(spec.paths[`/api/documents/{id}/versions/{vid}/${route}`] ?? {})).toHaveLength(1);
    }
    const put = spec.paths['/api/documents/{id}/content']?.put as {
      requestBody: { content: Record<string, unknown> };
      responses: Record<string, unknown>;
    };
    expect(Object.keys(put.requestBody.content).sort()).toEqual([
      'application/json',
      'application/octet-stream',
      'text/html',
      'text/markdown',
      'text/plain',
    ]);
    expect(Object.keys(put.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '412',
      '413',
      '415',
      '422',
      '429',
      '503',
    ]);
  });
});
