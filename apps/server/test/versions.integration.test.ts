import { type ServerProcess, startServerProcess, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { signToken, TEST_SECRET } from './helpers/tokens.js';

const ADMIN = 'admin-token-0123456789';

interface VersionInfo {
  id: string;
  kind: 'auto' | 'named' | 'implicit';
  label: string | null;
  reason: 'restore' | 'import' | null;
  createdAt: string;
  bytes: number;
  authors: { userId: string | null; name: string }[];
  createdBy: { userId: string | null; name: string } | null;
}

/** A JSON call to the server's REST API with a bearer token. */
async function call(server: ServerProcess, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const type = response.headers.get('content-type') ?? '';
  const payload = type.includes('json')
    ? await response.json()
    : type.includes('octet-stream')
      ? new Uint8Array(await response.arrayBuffer())
      : await response.text();
  return { status: response.status, type, body: payload as never };
}

describe('version history over REST (VER-10)', () => {
  let server: ServerProcess | undefined;
  const clients: StockClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.process.stop();
    server = undefined;
  });

  const start = (env: Record<string, string> = {}) =>
    startServerProcess({ AUTH_SECRET: TEST_SECRET, ADMIN_TOKEN: ADMIN, VERSION_IDLE_MS: '600000', ...env });
  const connect = async (s: ServerProcess, room: string, token: string) => {
    const client = connectStockClient(s.syncUrl, room, { token });
    clients.push(client);
    await waitFor(() => client.provider.synced, { what: `${room} synced` });
    return client;
  };

  it('VER-2/VER-5/VER-6/VER-9/VER-10: name, list, read, compare and restore a version while another user keeps typing', async () => {
    server = await start();
    const ada = await signToken({ sub: 'ada', name: 'Ada' });
    const bob = await signToken({ sub: 'bob', name: 'Bob' });
    const a = await connect(server, 'notes', ada);
    const b = await connect(server, 'notes', bob);
    a.text.insert(0, 'Hello world.');
    await waitFor(() => b.text.toString() === 'Hello world.');

    const named = await call(server, ada, 'POST', '/api/documents/notes/versions', { label: '  Sent to legal ' });
    expect(named.status).toBe(201);
    const version = named.body as VersionInfo;
    expect(version).toMatchObject({
      kind: 'named',
      label: 'Sent to legal',
      reason: null,
      authors: [{ userId: 'ada', name: 'Ada' }],
      createdBy: { userId: 'ada', name: 'Ada' },
    });
    expect(version.bytes).toBeGreaterThan(10);
    expect(Date.parse(version.createdAt)).toBeGreaterThan(Date.now() - 60_000);

    a.text.insert(a.text.length, ' More text.');
    await waitFor(() => b.text.toString() === 'Hello world. More text.');
    expect((await call(server, bob, 'GET', `/api/documents/notes/versions/${version.id}`)).body).toEqual(version);
    const text = await call(server, bob, 'GET', `/api/documents/notes/versions/${version.id}/content?format=text`);
    expect(text).toMatchObject({ status: 200, body: 'Hello world.' });
    expect(text.type).toBe('text/plain; charset=utf-8');
    const raw = await call(server, bob, 'GET', `/api/documents/notes/versions/${version.id}/content?format=yjs`);
    const rebuilt = new Y.Doc();
    Y.applyUpdate(rebuilt, raw.body as Uint8Array);
    expect(rebuilt.getText('content').toString()).toBe('Hello world.');

    const compared = await call(server, bob, 'GET', `/api/documents/notes/versions/${version.id}/compare`);
    expect(compared.body).toEqual({
      from: version,
      to: 'current',
      changes: [
        { type: 'equal', text: 'Hello world.' },
        { type: 'insert', text: ' More text.' },
      ],
    });

    // Bob keeps typing while Ada restores: what was there at the restore goes, what Bob types after stays.
    let typed = 0;
    /** How many "+" Bob had typed when the restore's answer came: every later one post-dates the restore. */
    let typedAtAnswer = 0;
    const typing = setInterval(() => {
      b.text.insert(b.text.length, '+');
      typed++;
    }, 5);
    try {
      await waitFor(() => typed >= 3);
      const restored = await call(server, ada, 'POST', `/api/documents/notes/versions/${version.id}/restore`);
      typedAtAnswer = typed;
      expect(restored.status).toBe(200);
      const { backup } = restored.body as { restored: VersionInfo; backup: VersionInfo };
      expect((restored.body as { restored: VersionInfo }).restored).toEqual(version);
      expect(backup).toMatchObject({ kind: 'implicit', reason: 'restore', createdBy: { userId: 'ada', name: 'Ada' } });
      expect(backup.label).toBe('Before restoring "Sent to legal"');
      await waitFor(() => typed >= typedAtAnswer + 3, { what: 'Bob types on after the restore' });
    } finally {
      clearInterval(typing);
    }
    await waitFor(() => a.text.toString() === b.text.toString() && a.text.toString().startsWith('Hello world.'), {
      what: 'both editors show the restored text',
    });
    // Nothing of " More text." is left; every "+" Bob typed after the restore's answer is (at least
    // those: the ones typed between the server applying it and its answer arriving survive too).
    expect(a.text.toString()).toMatch(/^Hello world\.\+*$/);
    const pluses = a.text.length - 'Hello world.'.length;
    expect(typed - typedAtAnswer).toBeGreaterThanOrEqual(3);
    expect(pluses).toBeGreaterThanOrEqual(typed - typedAtAnswer);
    expect(pluses).toBeLessThanOrEqual(typed);

    const list = (await call(server, bob, 'GET', '/api/documents/notes/versions')).body as {
      versions: VersionInfo[];
      next: string | null;
    };
    expect(list.versions.map((v) => v.kind)).toEqual(['implicit', 'named']);
    expect(list.next).toBeNull();
    const backupText = await call(
      server,
      bob,
      'GET',
      `/api/documents/notes/versions/${list.versions[0]?.id}/content?format=text`,
    );
    expect(backupText.body as string).toMatch(/^Hello world\. More text\.\+*$/);

    // Only named versions can be deleted.
    const refused = await call(server, ada, 'DELETE', `/api/documents/notes/versions/${list.versions[0]?.id}`);
    expect(refused).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect((await call(server, ada, 'DELETE', `/api/documents/notes/versions/${version.id}`)).status).toBe(204);
    expect((await call(server, ada, 'GET', `/api/documents/notes/versions/${version.id}`)).status).toBe(404);
  });

  it('VER-9: compare between two named versions gives the text deleted and inserted between them, in order, whatever the document holds now', async () => {
    server = await start();
    const ada = await signToken({ sub: 'ada', name: 'Ada' });
    const a = await connect(server, 'plan', ada);
    /** Waits until the server's copy of the document reads `text` (a version is taken from it). */
    const stored = (text: string) =>
      waitFor(
        async () =>
          (await call(server as ServerProcess, ADMIN, 'GET', '/admin/documents/plan/export?format=text')).body === text,
        { what: `the server to hold ${JSON.stringify(text)}` },
      );
    const name = async (label: string) => {
      const named = await call(server as ServerProcess, ada, 'POST', '/api/documents/plan/versions', { label });
      expect(named.status).toBe(201);
      return named.body as VersionInfo;
    };
    a.text.insert(0, 'Meet at noon by the old mill.');
    await stored('Meet at noon by the old mill.');
    const draft = await name('draft');
    // "noon" becomes "dusk", "old " goes, and a sentence is added at the end.
    a.text.delete('Meet at '.length, 'noon'.length);
    a.text.insert('Meet at '.length, 'dusk');
    a.text.delete('Meet at dusk by the '.length, 'old '.length);
    a.text.insert(a.text.length, ' Bring a lamp.');
    await stored('Meet at dusk by the mill. Bring a lamp.');
    const final = await name('final');
    // A later edit is in neither version, so not in their comparison.
    a.text.insert(0, 'Saturday: ');
    await stored('Saturday: Meet at dusk by the mill. Bring a lamp.');

    /** The comparison of two versions, its changes written [-deleted-], {+inserted+}, the rest as is. */
    const compare = async (from: VersionInfo, to: VersionInfo) => {
      const path = `/api/documents/plan/versions/${from.id}/compare?to=${to.id}`;
      const answer = await call(server as ServerProcess, ada, 'GET', path);
      expect(answer.status).toBe(200);
      const body = answer.body as { from: VersionInfo; to: VersionInfo; changes: { type: string; text: string }[] };
      expect({ from: body.from, to: body.to }).toEqual({ from, to });
      const marks = { equal: ['', ''], delete: ['[-', '-]'], insert: ['{+', '+}'] } as Record<string, [string, string]>;
      return body.changes
        .map((change) => {
          expect(Object.keys(change).sort()).toEqual(['text', 'type']);
          const [open, close] = marks[change.type] ?? ['<unknown change type>', ''];
          return `${open}${change.text}${close}`;
        })
        .join('');
    };
    expect(await compare(draft, final)).toBe('Meet at [-noon-]{+dusk+} by the [-old -]mill.{+ Bring a lamp.+}');
    // The other way round, deletions and insertions swap.
    expect(await compare(final, draft)).toBe('Meet at [-dusk-]{+noon+} by the {+old +}mill.[- Bring a lamp.-]');
  });

  it('VER-10: bad input gets a 400 naming the field; unknown versions a 404', async () => {
    server = await start();
    const ada = await signToken({ sub: 'ada', name: 'Ada' });
    const bad = async (method: string, path: string, body: unknown, field: RegExp) => {
      const answer = await call(server as ServerProcess, ada, method, path, body);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'bad_request', message: expect.stringMatching(field) });
    };
    const created = await fetch(`${server.httpUrl}/api/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'd' }),
    });
    const { id: d } = (await created.json()) as { id: string };
    expect((await call(server, ada, 'GET', '/api/documents/never-made/versions')).status).toBe(404);
    expect((await call(server, ada, 'POST', '/api/documents/never-made/versions', { label: 'x' })).status).toBe(404);
    await bad('POST', `/api/documents/${d}/versions`, { label: '   ' }, /label/);
    await bad('POST', `/api/documents/${d}/versions`, { label: 'x'.repeat(201) }, /label/);
    await bad('POST', `/api/documents/${d}/versions`, { label: 'ok', extra: 1 }, /extra/);
    await bad('GET', `/api/documents/${d}/versions?limit=0`, undefined, /limit/);
    await bad('GET', `/api/documents/${d}/versions?limit=201`, undefined, /limit/);
    await bad('GET', `/api/documents/${d}/versions?before=abc`, undefined, /before/);
    await bad('GET', `/api/documents/${d}/versions/abc`, undefined, /version id/);
    const named = (await call(server, ada, 'POST', `/api/documents/${d}/versions`, { label: 'one' }))
      .body as VersionInfo;
    await bad('GET', `/api/documents/${d}/versions/${named.id}/content?format=pdf`, undefined, /format/);
    expect((await call(server, ada, 'GET', `/api/documents/${d}/versions/999999`)).status).toBe(404);
    expect((await call(server, ada, 'GET', `/api/documents/other/versions/${named.id}`)).status).toBe(404);
    expect((await call(server, ada, 'GET', `/api/documents/${d}/versions/${named.id}/compare?to=999999`)).status).toBe(
      404,
    );
    expect((await call(server, ada, 'POST', `/api/documents/${d}/versions/999999/restore`)).status).toBe(404);
  });

  it('VER-11: a reader lists, reads and compares, but naming or restoring is refused with 403 and changes nothing', async () => {
    server = await start();
    const writer = await signToken({ sub: 'w', name: 'Writer' });
    const reader = await signToken({ sub: 'r', name: 'Reader', docs: { '*': 'read' } });
    const w = await connect(server, 'guarded', writer);
    w.text.insert(0, 'original');
    const version = (await call(server, writer, 'POST', '/api/documents/guarded/versions', { label: 'v1' }))
      .body as VersionInfo;
    w.text.insert(8, ' and more');
    const r = await connect(server, 'guarded', reader);
    await waitFor(() => r.text.toString() === 'original and more');
    expect((await call(server, reader, 'GET', '/api/documents/guarded/versions')).status).toBe(200);
    expect((await call(server, reader, 'GET', `/api/documents/guarded/versions/${version.id}/compare`)).status).toBe(
      200,
    );
    const restore = await call(server, reader, 'POST', `/api/documents/guarded/versions/${version.id}/restore`);
    expect(restore).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect((await call(server, reader, 'POST', '/api/documents/guarded/versions', { label: 'x' })).status).toBe(403);
    expect((await call(server, reader, 'DELETE', `/api/documents/guarded/versions/${version.id}`)).status).toBe(403);
    expect((await call(server, 'not-a-token', 'GET', '/api/documents/guarded/versions')).status).toBe(401);
    // Nothing changed: the same single version, and the writer's text as it was.
    const list = (await call(server, reader, 'GET', '/api/documents/guarded/versions')).body as {
      versions: VersionInfo[];
    };
    expect(list.versions.map((v) => v.id)).toEqual([version.id]);
    const probe = await connect(server, 'guarded', writer);
    expect(probe.text.toString()).toBe('original and more');
    expect(w.text.toString()).toBe('original and more');
  });

  it('VER-7: an offline client keeps the edits it made before it learned of the restore', async () => {
    server = await start();
    const token = await signToken({ sub: 'ada', name: 'Ada' });
    const online = await connect(server, 'trip', token);
    const offline = await connect(server, 'trip', token);
    online.text.insert(0, 'Day one. Day two.');
    await waitFor(() => offline.text.toString() === 'Day one. Day two.');
    const version = (await call(server, token, 'POST', '/api/documents/trip/versions', { label: 'plan' }))
      .body as VersionInfo;
    online.text.insert(online.text.length, ' Day three.');
    await waitFor(() => offline.text.toString() === 'Day one. Day two. Day three.');

    offline.provider.disconnect();
    await waitFor(() => !offline.provider.wsconnected);
    // Offline: an edit inside text the restore keeps.
    offline.text.insert('Day one.'.length, ' Beach!');
    const restored = await call(server, token, 'POST', `/api/documents/trip/versions/${version.id}/restore`);
    expect(restored.status).toBe(200);
    await waitFor(() => online.text.toString() === 'Day one. Day two.');

    offline.provider.connect();
    await waitFor(() => online.text.toString() === offline.text.toString() && offline.provider.synced, {
      what: 'the offline client merged',
    });
    expect(online.text.toString()).toBe('Day one. Beach! Day two.');
  });

  it('VER-5: the admin import takes an implicit version first; the admin token is admitted on the versions API', async () => {
    server = await start();
    const token = await signToken({ sub: 'ada', name: 'Ada' });
    const editor = await connect(server, 'imported', token);
    editor.text.insert(0, 'before import');
    await waitFor(
      async () =>
        (await call(server as ServerProcess, ADMIN, 'GET', '/admin/documents/imported/export?format=text')).body ===
        'before import',
      { what: 'the edit reached the server' },
    );
    const source = new Y.Doc();
    source.getText('content').insert(0, 'imported: ');
    const response = await fetch(`${server.httpUrl}/admin/documents/imported/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream' },
      body: Y.encodeStateAsUpdate(source),
    });
    expect(response.status).toBe(204);
    const list = (await call(server, ADMIN, 'GET', '/api/documents/imported/versions')).body as {
      versions: VersionInfo[];
    };
    expect(list.versions).toHaveLength(1);
    expect(list.versions[0]).toMatchObject({
      kind: 'implicit',
      reason: 'import',
      label: 'Before import',
      createdBy: { userId: null, name: 'admin' },
      authors: [{ userId: 'ada', name: 'Ada' }],
    });
    const before = await call(
      server,
      ADMIN,
      'GET',
      `/api/documents/imported/versions/${list.versions[0]?.id}/content?format=text`,
    );
    expect(before.body).toBe('before import');
  });
});

describe('version content of a Tiptap document (VER-15)', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.process.stop();
  });

  it('VER-15/VER-9: a version of the editor field reads as ProseMirror JSON, HTML and text; compare diffs its blocks', async () => {
    server = await startServerProcess({ ADMIN_TOKEN: ADMIN });
    const source = new Y.Doc();
    const paragraph = (text: string, bold = false) => {
      const p = new Y.XmlElement('paragraph');
      const t = new Y.XmlText();
      t.insert(0, text, bold ? { bold: true } : {});
      p.insert(0, [t]);
      return p;
    };
    source.getXmlFragment('default').insert(0, [paragraph('First'), paragraph('Second', true)]);
    const imported = await fetch(`${server.httpUrl}/admin/documents/rich/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream' },
      body: Y.encodeStateAsUpdate(source),
    });
    expect(imported.status).toBe(204);
    const named = (await call(server, ADMIN, 'POST', '/api/documents/rich/versions', { label: 'rich' }))
      .body as VersionInfo;
    const base = `/api/documents/rich/versions/${named.id}/content`;
    const json = await call(server, ADMIN, 'GET', base);
    expect(json.type).toContain('application/json');
    expect(json.body).toEqual({
      type: 'doc',
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'First' }] },
        { type: 'paragraph', content: [{ type: 'text', text: 'Second', marks: [{ type: 'bold' }] }] },
      ],
    });
    const html = await call(server, ADMIN, 'GET', `${base}?format=html`);
    expect(html.type).toBe('text/html; charset=utf-8');
    expect(html.body).toBe('<p>First</p><p><strong>Second</strong></p>');
    expect((await call(server, ADMIN, 'GET', `${base}?format=text`)).body).toBe('First\nSecond');

    const more = new Y.Doc();
    Y.applyUpdate(more, Y.encodeStateAsUpdate(source));
    more.getXmlFragment('default').insert(2, [paragraph('Third')]);
    await fetch(`${server.httpUrl}/admin/documents/rich/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream' },
      body: Y.encodeStateAsUpdate(more, Y.encodeStateVector(source)),
    });
    const compared = await call(server, ADMIN, 'GET', `/api/documents/rich/versions/${named.id}/compare?to=current`);
    expect((compared.body as { changes: unknown }).changes).toEqual([
      { type: 'equal', text: 'First\nSecond' },
      { type: 'insert', text: '\nThird' },
    ]);
  });
});

describe('restore of every root type through a server process (VER-6)', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.process.stop();
  });

  it('VER-6: an XML fragment, a text, a map and an array in one document all return to the version', async () => {
    server = await startServerProcess({ ADMIN_TOKEN: ADMIN });
    const s = server;
    const importUpdate = async (update: Uint8Array) => {
      const response = await fetch(`${s.httpUrl}/admin/documents/mixed/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream' },
        body: update,
      });
      expect(response.status).toBe(204);
    };
    const exported = async () =>
      ((await call(s, ADMIN, 'GET', '/admin/documents/mixed/export?format=json')).body as { content: unknown }).content;
    const doc = new Y.Doc();
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText('kept words')]);
    doc.getXmlFragment('default').insert(0, [paragraph]);
    doc.getText('notes').insert(0, 'plain notes');
    doc.getMap('meta').set('status', 'draft');
    doc.getArray('tags').push(['a', 'b']);
    await importUpdate(Y.encodeStateAsUpdate(doc));
    const wanted = await exported();
    const version = (await call(s, ADMIN, 'POST', '/api/documents/mixed/versions', { label: 'all roots' }))
      .body as VersionInfo;

    const before = Y.encodeStateVector(doc);
    (paragraph.get(0) as Y.XmlText).insert(0, 'changed ');
    doc.getXmlFragment('default').insert(1, [new Y.XmlElement('paragraph')]);
    doc.getText('notes').delete(0, 6);
    doc.getMap('meta').set('status', 'final');
    doc.getMap('meta').set('owner', 'ada');
    doc.getArray('tags').delete(0, 1);
    doc.getArray('tags').push(['c']);
    await importUpdate(Y.encodeStateAsUpdate(doc, before));
    expect(await exported()).not.toEqual(wanted);

    expect((await call(s, ADMIN, 'POST', `/api/documents/mixed/versions/${version.id}/restore`)).status).toBe(200);
    expect(await exported()).toEqual(wanted);
  });
});

describe('automatic versions in a server process (VER-3, VER-4)', () => {
  let server: ServerProcess | undefined;
  const clients: StockClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.process.stop();
  });

  it('VER-3/VER-4: a version after a burst, versions during continuous typing, none for a document loaded and left unchanged', async () => {
    server = await startServerProcess({
      ADMIN_TOKEN: ADMIN,
      VERSION_IDLE_MS: '400',
      VERSION_MAX_INTERVAL_MS: '1500',
      ROOM_IDLE_MS: '200',
    });
    const s = server;
    const count = async () =>
      ((await call(s, ADMIN, 'GET', '/api/documents/auto/versions')).body as { versions: VersionInfo[] }).versions
        .length;
    const loaded = async () =>
      ((await call(s, ADMIN, 'GET', '/admin/rooms')).body as { rooms: { id: string }[] }).rooms.some(
        (r) => r.id === 'auto',
      );
    const writer = connectStockClient(s.syncUrl, 'auto');
    clients.push(writer);
    await waitFor(() => writer.provider.synced);
    writer.text.insert(0, 'a burst of typing');
    await waitFor(async () => (await count()) === 1, { what: 'the idle version', timeoutMs: 10_000 });

    // Typing every 50 ms is never idle for 400 ms: only the 1.5 s maximum interval takes versions.
    const typing = setInterval(() => writer.text.insert(writer.text.length, '.'), 50);
    try {
      await waitFor(async () => (await count()) >= 2, { what: 'a version while typing continues', timeoutMs: 10_000 });
    } finally {
      clearInterval(typing);
    }
    // The last keystroke may have landed before the interval's version: one more, so there is a change to cover.
    writer.text.insert(writer.text.length, ' done');
    await waitFor(async () => (await count()) >= 3, { what: 'the idle version after the typing', timeoutMs: 10_000 });
    writer.destroy();
    await waitFor(async () => !(await loaded()), { what: 'the room to unload', timeoutMs: 10_000 });
    const settled = await count();

    // Loaded again and left without a change: unloading takes no version.
    const reader = connectStockClient(s.syncUrl, 'auto');
    clients.push(reader);
    await waitFor(() => reader.provider.synced && reader.text.toString().startsWith('a burst of typing'));
    await waitFor(async () => await loaded(), { what: 'the room loaded again' });
    reader.destroy();
    await waitFor(async () => !(await loaded()), { what: 'the room to unload again', timeoutMs: 10_000 });
    expect(await count()).toBe(settled);
  });
});
