import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DocumentChangeError } from '../src/plugin.js';
import { createMemoryDocStore } from '../src/storage/memory-doc-store.js';
import { docFromStored } from '../src/storage/snapshot.js';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { holdAppends } from './helpers/store-wrappers.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/** The text a store holds for `id`. */
const storedText = async (server: TestServer, id: string) =>
  docFromStored(await server.store.load(id))
    .getText('content')
    .toString();

describe('in-process documents API (app.tandem.documents)', () => {
  let server: TestServer | undefined;
  const clients: StockClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await server?.close();
    server = undefined;
  });

  it('PLUGIN-3: a change reaches live collaborators and resolves only once the store has taken it', async () => {
    const held = holdAppends(createMemoryDocStore());
    server = await startTestServer({ store: held.store });
    const client = connectStockClient(server.syncUrl, 'notes');
    clients.push(client);
    await waitFor(() => client.provider.synced, { what: 'client synced' });

    const handle = await server.app.tandem.documents.open('notes');
    let resolved = false;
    const change = handle
      .change((doc) => doc.getText('content').insert(0, 'from the application'))
      .then(() => {
        resolved = true;
      });
    await waitFor(() => held.held() >= 1, { what: 'the append held by the store' });
    await waitFor(() => client.text.toString() === 'from the application', { what: 'the change on the client' });
    expect(resolved).toBe(false);
    held.release();
    await change;
    expect(await storedText(server, 'notes')).toBe('from the application');
    expect(handle.doc.getText('content').toString()).toBe('from the application');
    handle.close();
  });

  it('PLUGIN-2: a handle follows every change (subscribe), read() copies the state, refused changes touch nothing', async () => {
    server = await startTestServer();
    const handle = await server.app.tandem.documents.open('watched');
    const seen: Uint8Array[] = [];
    const unsubscribe = handle.onChange((update) => seen.push(update));
    const client = connectStockClient(server.syncUrl, 'watched');
    clients.push(client);
    await waitFor(() => client.provider.synced, { what: 'client synced' });
    client.text.insert(0, 'typed');
    await waitFor(() => handle.doc.getText('content').toString() === 'typed', {
      what: "the client's edit on the handle",
    });
    expect(seen.length).toBeGreaterThanOrEqual(1);

    const copy = await server.app.tandem.documents.read('watched');
    expect(copy.getText('content').toString()).toBe('typed');
    copy.getText('content').insert(0, 'local only ');
    expect(handle.doc.getText('content').toString()).toBe('typed');

    // Bytes the update guard refuses (YJS-1), and an update that builds on history the document lacks.
    await expect(handle.applyUpdate(Uint8Array.of(0, 7, 7, 7, 7, 7))).rejects.toThrow(DocumentChangeError);
    const elsewhere = new Y.Doc();
    elsewhere.getText('content').insert(0, 'a');
    const before = Y.encodeStateVector(elsewhere);
    elsewhere.getText('content').insert(1, 'b');
    await expect(
      server.app.tandem.documents.applyUpdate('watched', Y.encodeStateAsUpdate(elsewhere, before)),
    ).rejects.toThrow(/depends on history/);
    expect(handle.doc.getText('content').toString()).toBe('typed');
    expect(client.text.toString()).toBe('typed');

    unsubscribe();
    const count = seen.length;
    await server.app.tandem.documents.applyUpdate(
      'watched',
      (() => {
        const other = new Y.Doc();
        other.getMap('meta').set('k', 'v');
        return Y.encodeStateAsUpdate(other);
      })(),
    );
    await waitFor(() => client.doc.getMap('meta').get('k') === 'v', { what: 'the update on the client' });
    expect(seen.length).toBe(count);
    handle.close();
    expect(handle.isOpen).toBe(false);
    await expect(handle.change((doc) => doc.getText('content').insert(0, 'x'))).rejects.toThrow(/closed/);
  });

  it('PLUGIN-4: the host closing drains handles with the sessions', async () => {
    server = await startTestServer();
    const handle = await server.app.tandem.documents.open('drained');
    await server.close();
    expect(handle.isOpen).toBe(false);
  });
});
