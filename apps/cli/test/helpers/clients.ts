import { TandemProvider, type WebSocketConstructor } from '@tandem/client';
import WebSocket from 'ws';
import * as Y from 'yjs';

/** A TandemProvider in Node: `ws` sockets, no IndexedDB, no cross-tab channel, quick retries. */
export function connectProvider(syncUrl: string, room: string, doc = new Y.Doc()): TandemProvider {
  return new TandemProvider(room, doc, {
    url: syncUrl,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    offline: false,
    crossTab: false,
    backoff: { baseMs: 100, capMs: 1_000, restartMinMs: 50, restartSpreadMs: 200 },
  });
}
