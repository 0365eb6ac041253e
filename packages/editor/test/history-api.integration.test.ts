import { TandemProvider } from '@tandem/client';
import {
  freePort,
  nowSeconds,
  type ServerProcess,
  signHs256Token,
  startServerProcess,
  waitFor,
} from '@tandem/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { FRAGMENT_FIELD } from '../src/editor-surface.js';
import { createHistoryApi, type HistoryApi, HistoryApiError } from '../src/history-api.js';

const SECRET = 'tandem-editor-history-secret-0123456789';

function token(sub: string, name: string, access: 'write' | 'read'): string {
  const iat = nowSeconds();
  return signHs256Token(SECRET, { sub, name, aud: 'tandem', iat, exp: iat + 3600, docs: { '*': access } });
}

/** The document's text as the editor holds it: paragraphs of the XML fragment, joined by newlines. */
function paragraphs(doc: Y.Doc): string {
  return doc
    .getXmlFragment(FRAGMENT_FIELD)
    .toArray()
    .map((node) =>
      node instanceof Y.XmlElement
        ? node
            .toArray()
            .map((t) => t.toString())
            .join('')
        : '',
    )
    .join('\n');
}

function appendParagraph(doc: Y.Doc, text: string): void {
  const paragraph = new Y.XmlElement('paragraph');
  paragraph.insert(0, [new Y.XmlText(text)]);
  const fragment = doc.getXmlFragment(FRAGMENT_FIELD);
  fragment.insert(fragment.length, [paragraph]);
}

/** A version's text, from its Yjs state (`format=yjs`) applied to a new document. */
async function versionText(api: HistoryApi, versionId: string): Promise<string> {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, await api.state(versionId));
  return paragraphs(doc);
}

/** Rejects with the HistoryApiError `promise` fails with (and fails the test if it resolves). */
async function refusal(promise: Promise<unknown>): Promise<HistoryApiError> {
  const outcome = await promise.then(
    (value) => ({ resolved: value }),
    (err: unknown) => ({ rejected: err }),
  );
  if (!('rejected' in outcome)) throw new Error(`expected a refusal, got ${JSON.stringify(outcome.resolved)}`);
  expect(outcome.rejected).toBeInstanceOf(HistoryApiError);
  return outcome.rejected as HistoryApiError;
}

describe('history API client against a real server (VER-16, VER-18)', () => {
  let server: ServerProcess;
  let provider: TandemProvider;
  const room = 'history-api-client';
  let writer: HistoryApi;
  let reader: HistoryApi;

  beforeAll(async () => {
    server = await startServerProcess({ AUTH_SECRET: SECRET });
    provider = new TandemProvider(room, new Y.Doc(), {
      url: server.syncUrl,
      WebSocket,
      crossTab: false,
      offline: false,
      token: token('alice', 'Alice', 'write'),
    });
    await provider.whenSynced();
    writer = createHistoryApi({ baseUrl: `${server.httpUrl}/`, room, token: () => token('alice', 'Alice', 'write') });
    reader = createHistoryApi({ baseUrl: server.httpUrl, room, token: token('rita', 'Rita', 'read') });
  });
  afterAll(async () => {
    provider?.destroy();
    await server?.process.stop('SIGKILL');
  });

  it('VER-18: names, lists, previews, compares and restores a version; refusals carry the server’s message', async () => {
    appendParagraph(provider.doc, 'Hello');
    await provider.whenSynced();

    const named = await writer.name('First draft');
    expect(named).toMatchObject({ kind: 'named', label: 'First draft', createdBy: { userId: 'alice', name: 'Alice' } });
    expect(await writer.get(named.id)).toEqual(named);

    appendParagraph(provider.doc, 'Added later');
    await provider.whenSynced();

    // Readers may list, preview and compare.
    const page = await reader.list();
    expect(page.versions.map((v) => v.id)).toContain(named.id);
    const times = page.versions.map((v) => Date.parse(v.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(await versionText(reader, named.id)).toBe('Hello');
    const comparison = await reader.compare(named.id);
    expect(comparison.to).toBe('current');
    expect(comparison.from.id).toBe(named.id);
    expect(
      comparison.changes
        .filter((c) => c.type === 'insert')
        .map((c) => c.text)
        .join(''),
    ).toContain('Added later');
    expect(
      comparison.changes
        .filter((c) => c.type !== 'insert')
        .map((c) => c.text)
        .join(''),
    ).toContain('Hello');

    // Readers may not name or restore: 403 with the server's message, and nothing changes.
    const refusedName = await refusal(reader.name('Mine'));
    expect(refusedName).toMatchObject({ status: 403, code: 'forbidden', forbidden: true });
    expect(refusedName.message.length).toBeGreaterThan(0);
    const refusedRestore = await refusal(reader.restore(named.id));
    expect(refusedRestore.forbidden).toBe(true);
    expect(paragraphs(provider.doc)).toBe('Hello\nAdded later');

    // A writer's restore reaches the live document, and keeps what was there as an implicit version.
    const { restored, backup } = await writer.restore(named.id);
    expect(restored.id).toBe(named.id);
    expect(backup).toMatchObject({ kind: 'implicit', reason: 'restore' });
    await waitFor(() => paragraphs(provider.doc) === 'Hello', { timeoutMs: 15_000, what: 'the restored text' });
    const after = await writer.list();
    expect(after.versions[0]?.id).toBe(backup.id);
    expect(await versionText(writer, backup.id)).toBe('Hello\nAdded later');
  });

  it('VER-16: pages with a cursor, newest first, with no version twice', async () => {
    await writer.name('Paging one');
    await writer.name('Paging two');
    const first = await writer.list({ limit: 1 });
    expect(first.versions).toHaveLength(1);
    expect(first.next).not.toBeNull();
    const second = await writer.list({ limit: 1, before: first.next });
    expect(second.versions).toHaveLength(1);
    expect(second.versions[0]?.id).not.toBe(first.versions[0]?.id);
    expect(Date.parse(second.versions[0]?.createdAt ?? '')).toBeLessThanOrEqual(
      Date.parse(first.versions[0]?.createdAt ?? ''),
    );
  });

  it('VER-18: turns bad input, unknown versions, a missing token and an unreachable server into clear errors', async () => {
    expect(await refusal(writer.name('   '))).toMatchObject({ status: 400, code: 'bad_request' });
    expect(await refusal(writer.get('no-such-version'))).toMatchObject({ status: 400, code: 'bad_request' });
    const missing = await refusal(writer.get('987654321'));
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    expect(missing.message).toContain('987654321');
    const anonymous = createHistoryApi({ baseUrl: server.httpUrl, room });
    expect(await refusal(anonymous.list())).toMatchObject({ status: 401 });
    const html = createHistoryApi({ baseUrl: server.httpUrl, room, token: () => '<!doctype html><p>login</p>' });
    const invalid = await refusal(html.list());
    expect(invalid).toMatchObject({ status: 0, code: 'invalid_token' });
    expect(invalid.message).toContain('HTML page');
    const nowhere = createHistoryApi({ baseUrl: `http://127.0.0.1:${await freePort()}`, room });
    expect(await refusal(nowhere.list())).toMatchObject({ status: 0, code: 'network' });
  });
});
