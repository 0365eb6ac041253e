import * as provider3 from 'hocuspocus-provider3';
import * as provider4 from 'hocuspocus-provider4';
import { WebSocket } from 'ws';
import * as Y from 'yjs';

/** One of the pinned @hocuspocus/provider releases (3.4.4 and 4.8.0), as the tests run both. */
export interface HocuspocusRelease {
  readonly name: string;
  readonly lib: typeof provider3 | typeof provider4;
}

/** The provider releases every Hocuspocus test runs against. */
export const HOCUSPOCUS_RELEASES: readonly HocuspocusRelease[] = [
  { name: '@hocuspocus/provider 3.4.4', lib: provider3 },
  { name: '@hocuspocus/provider 4.8.0', lib: provider4 },
];

/** A provider's socket, shared by its documents. */
export type HocuspocusSocket = provider3.HocuspocusProviderWebsocket | provider4.HocuspocusProviderWebsocket;
/** One document's provider. */
export type HocuspocusDocProvider = provider3.HocuspocusProvider | provider4.HocuspocusProvider;

/** A HocuspocusProviderWebsocket on `url` with ws as its WebSocket and fast retries (tests wait for reconnects). */
export function hocuspocusSocket(release: HocuspocusRelease, url: string): HocuspocusSocket {
  return new release.lib.HocuspocusProviderWebsocket({
    url,
    WebSocketPolyfill: WebSocket,
    delay: 50,
    minDelay: 50,
    maxDelay: 500,
    factor: 1.5,
  });
}

/** A document opened through the stock provider, as applications use it. */
export interface HocuspocusClient {
  readonly doc: Y.Doc;
  readonly provider: HocuspocusDocProvider;
  readonly text: Y.Text;
  /** Auth failures the provider reported (the server's "permission denied" reasons). */
  readonly denied: string[];
  /** Stateless payloads the provider received. */
  readonly stateless: string[];
  /** Scopes of the server's "authenticated" messages, in order. */
  readonly authenticated: string[];
  destroy(): void;
}

/** Options for {@link openHocuspocusDoc}. */
export interface HocuspocusDocOptions {
  readonly token?: string | (() => string) | (() => Promise<string>) | null;
  readonly doc?: Y.Doc;
  /** v4 only: the session-aware address (`name\0sessionId`). */
  readonly sessionAwareness?: boolean;
}

/** Opens document `name` on `socket` (HocuspocusProvider with `websocketProvider`, then `attach()`). */
export function openHocuspocusDoc(
  release: HocuspocusRelease,
  socket: HocuspocusSocket,
  name: string,
  options: HocuspocusDocOptions = {},
): HocuspocusClient {
  const doc = options.doc ?? new Y.Doc();
  const denied: string[] = [];
  const stateless: string[] = [];
  const authenticated: string[] = [];
  const configuration = {
    name,
    document: doc,
    token: options.token ?? null,
    onAuthenticationFailed: ({ reason }: { reason: string }) => denied.push(reason),
    onStateless: ({ payload }: { payload: string }) => stateless.push(payload),
    onAuthenticated: ({ scope }: { scope: string }) => authenticated.push(scope),
    ...(options.sessionAwareness === true ? { sessionAwareness: true } : {}),
  };
  // Each release's constructor takes its own socket type; the socket was made by the same release.
  const Provider = release.lib.HocuspocusProvider as typeof provider4.HocuspocusProvider;
  const provider: HocuspocusDocProvider = new Provider({
    ...configuration,
    websocketProvider: socket as provider4.HocuspocusProviderWebsocket,
  });
  provider.attach();
  return {
    doc,
    provider,
    text: doc.getText('content'),
    denied,
    stateless,
    authenticated,
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** The raw ws socket under a provider's socket, to cut it abruptly. */
export function underlyingWebSocket(socket: HocuspocusSocket): WebSocket | null {
  return (socket as unknown as { webSocket: WebSocket | null }).webSocket;
}

/** Sockets and documents of one release that a test opens, destroyed together in its `afterEach`. */
export interface HocuspocusClients {
  socket(url: string): HocuspocusSocket;
  open(socket: HocuspocusSocket, name: string, options?: HocuspocusDocOptions): HocuspocusClient;
  destroyAll(): void;
}

/** Tracks what a test opens with `release`, so `destroyAll()` closes every document and socket. */
export function hocuspocusClients(release: HocuspocusRelease): HocuspocusClients {
  const sockets: HocuspocusSocket[] = [];
  const clients: HocuspocusClient[] = [];
  return {
    socket(url) {
      const socket = hocuspocusSocket(release, url);
      sockets.push(socket);
      return socket;
    },
    open(socket, name, options = {}) {
      const client = openHocuspocusDoc(release, socket, name, options);
      clients.push(client);
      return client;
    },
    destroyAll() {
      for (const c of clients.splice(0)) c.destroy();
      for (const s of sockets.splice(0)) {
        // Destroying a socket that is still connecting (a reconnect in flight) makes ws emit an error the
        // provider does not listen for; the test is over, so it is not one.
        underlyingWebSocket(s)?.on('error', () => {});
        s.destroy();
      }
    },
  };
}
