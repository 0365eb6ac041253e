import { type TandemConnection, TandemProvider } from '@tandem/client';
import WebSocket from 'ws';
import * as Y from 'yjs';

/** Quick retries for tests: a lost node is replaced within a fraction of a second. */
export const TEST_BACKOFF = { baseMs: 100, capMs: 1_000, restartMinMs: 50, restartSpreadMs: 200 } as const;

/** Options of {@link connectProvider}. */
export interface ConnectOptions {
  readonly doc?: Y.Doc;
  readonly token?: string;
  /** Attach to this (multiplexed) connection instead of opening one for the room. */
  readonly connection?: TandemConnection;
}

/** A TandemProvider in Node: `ws` sockets, no IndexedDB, no cross-tab channel, quick retries. */
export function connectProvider(syncUrl: string, room: string, options: ConnectOptions = {}): TandemProvider {
  return new TandemProvider(room, options.doc ?? new Y.Doc(), {
    ...(options.connection === undefined
      ? { url: syncUrl, WebSocket, backoff: TEST_BACKOFF }
      : { connection: options.connection }),
    ...(options.token === undefined ? {} : { token: options.token }),
    offline: false,
    crossTab: false,
  });
}
