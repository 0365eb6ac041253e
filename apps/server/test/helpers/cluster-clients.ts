import { expect } from 'vitest';
import * as Y from 'yjs';
import { connectStockClient, type StockClient } from './clients.js';
import { fetchDocument } from './tandem-writer.js';

/** A stock y-websocket client in a cluster test: which node and room it uses, and the tokens it wrote. */
export interface ClusterClient extends StockClient {
  readonly name: string;
  readonly room: string;
  readonly written: string[];
  /** How often its WebSocket closed since it connected (a failover must not close any). */
  readonly disconnects: number;
  /** Pushes one unique token to the shared array (and a character to the text). */
  write(): void;
}

/** Connects a stock client to `syncUrl` with a presence state naming it. */
export function connectClusterClient(syncUrl: string, room: string, name: string, doc?: Y.Doc): ClusterClient {
  // Given a document, this is what a provider does when it reconnects elsewhere: same doc, same client id.
  const client = connectStockClient(syncUrl, room, {}, doc);
  client.provider.awareness.setLocalStateField('user', { name });
  const written: string[] = [];
  let disconnects = 0;
  client.provider.on('status', ({ status }: { status: string }) => {
    if (status === 'disconnected') disconnects++;
  });
  return {
    ...client,
    name,
    room,
    written,
    get disconnects() {
      return disconnects;
    },
    write() {
      const token = `${name}:${written.length + 1}`;
      written.push(token);
      client.doc.transact(() => {
        client.doc.getArray<string>('tokens').push([token]);
        client.text.insert(Math.floor(client.text.length / 2), name.slice(-1));
      });
    },
  };
}

/** A document's comparable state: state vector, token array and text. */
export function fingerprint(doc: Y.Doc): string {
  return JSON.stringify({
    sv: Buffer.from(Y.encodeStateVector(doc)).toString('base64'),
    tokens: doc.getArray('tokens').toArray(),
    text: doc.getText('content').toString(),
  });
}

/** True when every client of `room` and every given node hold the same document. */
export async function roomConverged(clients: readonly ClusterClient[], nodeSyncUrls: readonly string[], room: string) {
  const inRoom = clients.filter((c) => c.room === room);
  const prints = new Set(inRoom.map((c) => fingerprint(c.doc)));
  if (prints.size !== 1) return false;
  for (const url of nodeSyncUrls) {
    const doc = await fetchDocument(url, room);
    const print = fingerprint(doc);
    doc.destroy();
    if (!prints.has(print)) return false;
  }
  return true;
}

/**
 * Every token the clients of `room` wrote is in each of their documents and in the stored one,
 * exactly once (no edit lost, none applied twice).
 */
export async function expectEveryEditOnce(
  store: { storedDoc(room: string): Promise<Y.Doc> },
  clients: readonly ClusterClient[],
  room: string,
  /** Tokens other writers put into the room's array before. */
  alsoWritten: readonly string[] = [],
): Promise<void> {
  const inRoom = clients.filter((c) => c.room === room);
  const expected = [...alsoWritten, ...inRoom.flatMap((c) => c.written)];
  for (const client of inRoom) {
    const tokens = client.doc.getArray<string>('tokens').toArray();
    expect(tokens.length).toBe(expected.length);
    expect(new Set(tokens)).toEqual(new Set(expected));
  }
  const stored = await store.storedDoc(room);
  const tokens = stored.getArray<string>('tokens').toArray();
  stored.destroy();
  expect(tokens.length).toBe(expected.length);
  expect(new Set(tokens).size).toBe(tokens.length);
}
