import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

/** A stock y-websocket client in Node: the provider exactly as applications use it. */
export interface StockClient {
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  readonly text: Y.Text;
  destroy(): void;
}

/** Connects a stock y-websocket WebsocketProvider (ws as the WebSocket, BroadcastChannel off). */
export function connectStockClient(
  syncUrl: string,
  room: string,
  params: Record<string, string> = {},
  doc: Y.Doc = new Y.Doc(),
): StockClient {
  const provider = new WebsocketProvider(syncUrl, room, doc, {
    // biome-ignore lint/suspicious/noExplicitAny: ws is the documented polyfill for y-websocket in Node
    WebSocketPolyfill: WebSocket as any,
    disableBc: true,
    params,
  });
  return {
    doc,
    provider,
    text: doc.getText('content'),
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** True when every client has the same state vector and the same text. */
export function converged(clients: readonly StockClient[]): boolean {
  const [first, ...rest] = clients;
  if (first === undefined) return true;
  const sv = Buffer.from(Y.encodeStateVector(first.doc));
  const text = first.text.toString();
  return rest.every((c) => Buffer.from(Y.encodeStateVector(c.doc)).equals(sv) && c.text.toString() === text);
}
