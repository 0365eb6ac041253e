import { encode, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import * as Y from 'yjs';
import { connectRaw, type RawClient } from './raw-client.js';

/** A tandem.v1 client that appends one unique token per update frame and records the acks it gets. */
export interface TandemWriter {
  readonly client: RawClient;
  /** Tokens in the order their frames were sent; frame n carries tokens[n - 1]. */
  readonly tokens: string[];
  /** Highest "persisted through N" received. */
  readonly ackedThrough: number;
  /** Tokens whose frames the server has acknowledged. */
  ackedTokens(): string[];
  /** Sends one more token as one sync-update frame. */
  write(): void;
}

/** Connects a writer; `name` prefixes its tokens. */
export function connectTandemWriter(url: string, name: string): TandemWriter {
  const client = connectRaw(url, [TANDEM_SUBPROTOCOL]);
  const doc = new Y.Doc();
  const items = doc.getArray<string>('tokens');
  const tokens: string[] = [];
  let pending: Uint8Array | null = null;
  doc.on('update', (update: Uint8Array) => {
    pending = update;
  });
  return {
    client,
    tokens,
    get ackedThrough() {
      let through = 0;
      for (const frame of client.frames) if (frame.type === 'ack' && frame.through > through) through = frame.through;
      return through;
    },
    ackedTokens() {
      return tokens.slice(0, this.ackedThrough);
    },
    write() {
      const token = `${name}:${tokens.length + 1}`;
      items.push([token]);
      if (pending === null) throw new Error('Yjs produced no update');
      tokens.push(token);
      client.send(encode.syncUpdate(pending));
      pending = null;
    },
  };
}

/** Reads a room's whole document from a server: sends sync step 1 with an empty state vector. */
export async function fetchDocument(syncUrl: string, room: string): Promise<Y.Doc> {
  const client = connectRaw(`${syncUrl}/${room}`);
  try {
    await client.opened();
    client.send(encode.syncStep1(Y.encodeStateVector(new Y.Doc())));
    const step2 = await client.waitForFrame(
      (f): f is Extract<typeof f, { type: 'sync-step2' }> => f.type === 'sync-step2',
      'sync step 2',
    );
    const doc = new Y.Doc();
    Y.applyUpdate(doc, step2.update);
    return doc;
  } finally {
    client.close();
  }
}
