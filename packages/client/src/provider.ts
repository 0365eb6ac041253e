import { CloseCode, encode, type Frame } from '@tandem/protocol';
import { ObservableV2 } from 'lib0/observable';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { AckTracker } from './ack-tracker.js';
import type { BackoffPolicy } from './backoff.js';
import { type ConnectionStatus, type StatusEvent, TandemConnection } from './connection.js';
import { type CrossTab, FROM_OTHER_TAB, startCrossTab } from './cross-tab.js';
import type { LivenessPolicy } from './liveness.js';
import { type OfflineStore, startOfflineStore } from './offline-store.js';
import {
  type Channel,
  type ChannelCloseEvent,
  readToken,
  type TokenSource,
  type WebSocketConstructor,
} from './types.js';

/** Options of a {@link TandemProvider}. */
export interface ProviderOptions {
  /** Server sync URL, e.g. `ws://127.0.0.1:1234/sync`. Ignored when `connection` is given. */
  readonly url?: string;
  /** Share one multiplexed socket with other providers (see {@link createMultiplexedConnection}). */
  readonly connection?: TandemConnection;
  /** Token (or a function called on every connect) for this document. */
  readonly token?: TokenSource;
  /** Use an existing Awareness (default: a new one for the doc). */
  readonly awareness?: awarenessProtocol.Awareness;
  /** 'plain' talks to a stock y-websocket server: no acks (see `flush`). Default 'tandem'. */
  readonly mode?: 'tandem' | 'plain';
  /** WebSocket implementation (default: the global one; pass `ws` in Node). */
  readonly WebSocket?: WebSocketConstructor;
  readonly backoff?: Partial<BackoffPolicy>;
  readonly liveness?: Partial<LivenessPolicy>;
  /** Keep the document in IndexedDB so offline edits survive a reload (browsers; default true). */
  readonly offline?: boolean;
  /** Sync with same-origin tabs through BroadcastChannel (default true where it exists). */
  readonly crossTab?: boolean;
  /** Connect at construction (default true). */
  readonly connect?: boolean;
  /** Jitter source, for tests. */
  readonly random?: () => number;
}

/** Events a provider emits; `sync`/`synced`/`status` match y-websocket's WebsocketProvider. */
export type ProviderEvents = {
  status: (event: StatusEvent) => void;
  sync: (synced: boolean) => void;
  synced: (synced: boolean) => void;
  'unsynced-changes': (count: number) => void;
  notice: (notice: { code: number; message: string }) => void;
  error: (error: { code: number; reason: string }) => void;
};

/**
 * Binds a Y.Doc and an Awareness to a Tandem server. Surfaces what y-websocket's provider
 * does (`doc`, `awareness`, `connect`, `disconnect`, `destroy`, `status`/`sync`/`synced`), so
 * Yjs editor bindings work unchanged, plus durable-ack tracking (`unsyncedChanges`, `flush`).
 */
export class TandemProvider extends ObservableV2<ProviderEvents> implements Channel {
  readonly doc: Y.Doc;
  readonly awareness: awarenessProtocol.Awareness;
  readonly room: string;
  readonly connection: TandemConnection;
  readonly token: TokenSource | undefined;
  /** The last refusal (4401/4403/…) that stopped this document, if any. */
  lastError: { code: number; reason: string } | null = null;
  private readonly ownsConnection: boolean;
  /** An Awareness the provider made runs a timer of its own: destroy() stops it (CLIENT-14). */
  private readonly ownsAwareness: boolean;
  private readonly acks = new AckTracker();
  private readonly crossTab: CrossTab | null;
  private readonly offlineStore: OfflineStore | null;
  private send: ((frame: Uint8Array) => void) | null = null;
  private syncedValue = false;
  private destroyed = false;
  private readonly waiters = new Set<() => void>();
  private readonly removeUnloadListener: () => void;

  constructor(room: string, doc: Y.Doc, options: ProviderOptions = {}) {
    super();
    this.room = room;
    this.doc = doc;
    this.token = options.token;
    this.awareness = options.awareness ?? new awarenessProtocol.Awareness(doc);
    this.ownsAwareness = options.awareness === undefined;
    if (options.connection !== undefined) {
      this.connection = options.connection;
      this.ownsConnection = false;
    } else {
      if (options.url === undefined) throw new Error('TandemProvider needs `url` or `connection`');
      this.connection = new TandemConnection({
        url: `${options.url.replace(/\/+$/, '')}/${encodeURIComponent(room)}`,
        multiplexed: false,
        ...(options.mode === undefined ? {} : { mode: options.mode }),
        ...(options.token === undefined ? {} : { token: options.token }),
        ...(options.WebSocket === undefined ? {} : { WebSocket: options.WebSocket }),
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
        ...(options.liveness === undefined ? {} : { liveness: options.liveness }),
        ...(options.random === undefined ? {} : { random: options.random }),
      });
      this.ownsConnection = true;
    }
    this.connection.on('status', this.onStatus);
    doc.on('update', this.onDocUpdate);
    this.awareness.on('update', this.onAwarenessUpdate);
    this.crossTab = options.crossTab === false ? null : startCrossTab(`tandem:${room}`, doc, this.awareness);
    this.offlineStore = options.offline === false ? null : startOfflineStore(`tandem:${room}`, doc);
    this.removeUnloadListener = listenForUnload(() => this.clearLocalAwareness('page unload'));
    this.connection.attach(this);
    if (options.connect !== false) this.connection.connect();
  }

  /** Connection status: 'connecting' | 'connected' | 'disconnected' | 'failed'. */
  get status(): ConnectionStatus {
    return this.connection.status;
  }

  /** True once the initial sync with the server completed on the current connection. */
  get synced(): boolean {
    return this.syncedValue;
  }

  /** True while the socket is open (y-websocket's name for it). */
  get wsconnected(): boolean {
    return this.connection.connected;
  }

  /** Local changes the server has not yet acknowledged as durable. */
  get unsyncedChanges(): number {
    return this.acks.unsynced;
  }

  /** True while some local change is not yet durable on the server. */
  get hasUnsyncedChanges(): boolean {
    return this.acks.unsynced > 0;
  }

  /** Resolves once synced and every local change so far is durable (acked). */
  whenSynced(): Promise<void> {
    return this.waitUntil(() => this.syncedValue && this.acks.unsynced === 0);
  }

  /** Resolves once every local change made before this call is durable on the server. */
  flush(): Promise<void> {
    const target = this.acks.latestChange;
    return this.waitUntil(() => this.acks.acknowledgedChange >= target);
  }

  /** Connects (a shared connection is connected for all of its documents). */
  connect(): void {
    this.connection.attach(this);
    this.connection.connect();
  }

  /** Disconnects this document (a shared connection stays up for the others). */
  disconnect(): void {
    if (this.ownsConnection) this.connection.disconnect();
    else this.connection.detach(this);
    this.handleDown();
  }

  /** Clears this client's presence, leaves the server and releases everything. */
  override destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.clearLocalAwareness('destroy');
    this.connection.detach(this);
    this.connection.off('status', this.onStatus);
    if (this.ownsConnection) this.connection.destroy();
    this.doc.off('update', this.onDocUpdate);
    this.awareness.off('update', this.onAwarenessUpdate);
    if (this.ownsAwareness) this.awareness.destroy();
    this.crossTab?.close();
    void this.offlineStore?.destroy();
    this.removeUnloadListener();
    this.waiters.clear();
    super.destroy();
  }

  /** @internal Channel: waiting for the first sync allows a long silence (see LivenessPolicy). */
  get awaitingSync(): boolean {
    return this.send !== null && !this.syncedValue;
  }

  /** @internal Channel: the document's channel opened; start the handshake. */
  onOpen(send: (frame: Uint8Array) => void): void {
    this.send = send;
    this.acks.reset();
    send(encode.syncStep1(Y.encodeStateVector(this.doc)));
    if (this.awareness.getLocalState() !== null) {
      send(encode.awareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID])));
    }
  }

  /** @internal Channel: a frame for this document. */
  onFrame(frame: Frame): void {
    switch (frame.type) {
      case 'sync-step1':
        this.sendUpdateFrame(encode.syncStep2(Y.encodeStateAsUpdate(this.doc, frame.stateVector)));
        return;
      case 'sync-step2':
        Y.applyUpdate(this.doc, frame.update, this);
        this.setSynced(true);
        return;
      case 'sync-update':
        Y.applyUpdate(this.doc, frame.update, this);
        return;
      case 'awareness':
        awarenessProtocol.applyAwarenessUpdate(this.awareness, frame.update, this);
        return;
      case 'query-awareness':
        this.send?.(
          encode.awareness(
            awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()]),
          ),
        );
        return;
      case 'ack':
        if (this.acks.ack(frame.through)) this.changed();
        return;
      case 'notice':
        this.emit('notice', [{ code: frame.code, message: frame.message }]);
        return;
      case 'auth-permission-denied':
        this.lastError = { code: CloseCode.forbidden, reason: frame.reason };
        this.emit('error', [this.lastError]);
        return;
      default:
        return;
    }
  }

  /** @internal Channel: the document's channel closed. */
  onClose(event: ChannelCloseEvent): void {
    this.handleDown();
    if (event.code === CloseCode.unauthenticated || event.code === CloseCode.forbidden) {
      this.lastError = { code: event.code, reason: event.reason };
      this.emit('error', [this.lastError]);
      if (event.code === CloseCode.unauthenticated && !event.retrying && !this.ownsConnection) {
        void this.retryDocWithFreshToken();
      }
    } else if (!event.retrying && event.code !== CloseCode.normal) {
      this.lastError = { code: event.code, reason: event.reason };
      this.emit('error', [this.lastError]);
    }
  }

  private async retryDocWithFreshToken(): Promise<void> {
    if (typeof this.token !== 'function') return;
    // Not a token (CLIENT-15) counts as none: reopening would only be refused again.
    const fresh = await readToken(this.token).catch(() => null);
    if (fresh !== null) this.connection.reopen(this);
  }

  private handleDown(): void {
    this.send = null;
    this.acks.reset();
    this.setSynced(false);
    // Presence of others is only as good as the connection that carried it.
    const others = [...this.awareness.getStates().keys()].filter((id) => id !== this.doc.clientID);
    if (others.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, others, this);
  }

  private sendUpdateFrame(frame: Uint8Array): void {
    if (this.send === null) return;
    this.send(frame);
    this.acks.frameSent();
    if (this.connection.mode === 'plain' && this.acks.settleSent()) this.changed();
  }

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this) return;
    if (origin !== FROM_OTHER_TAB) this.crossTab?.publishUpdate(update);
    this.acks.change();
    this.sendUpdateFrame(encode.syncUpdate(update));
    this.changed();
  };

  private readonly onAwarenessUpdate = (
    changes: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    if (origin === this) {
      // The server removed this client's own state (its old session ended somewhere while this one
      // lives): y-protocols keeps the state and bumps its clock; saying so at once is this
      // provider's job, or the others would not see this client until its next change (CLIENT-13).
      const own = this.doc.clientID;
      if (changes.removed.includes(own) && this.awareness.getLocalState() !== null) {
        this.send?.(encode.awareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [own])));
      }
      return;
    }
    if (origin === FROM_OTHER_TAB) return;
    const changed = [...changes.added, ...changes.updated, ...changes.removed];
    const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed);
    this.send?.(encode.awareness(update));
    this.crossTab?.publishAwareness(update);
  };

  private readonly onStatus = (event: StatusEvent): void => {
    this.emit('status', [event]);
  };

  private clearLocalAwareness(why: string): void {
    if (this.awareness.getLocalState() !== null) {
      awarenessProtocol.removeAwarenessStates(this.awareness, [this.doc.clientID], why);
    }
  }

  private setSynced(synced: boolean): void {
    if (this.syncedValue === synced) return;
    this.syncedValue = synced;
    this.emit('sync', [synced]);
    this.emit('synced', [synced]);
    this.notifyWaiters();
  }

  private changed(): void {
    this.emit('unsynced-changes', [this.acks.unsynced]);
    this.notifyWaiters();
  }

  private waitUntil(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  private notifyWaiters(): void {
    for (const check of [...this.waiters]) check();
  }
}

/** A connection that carries many documents over one socket; pass it to each provider. */
export function createMultiplexedConnection(
  options: Omit<ConstructorParameters<typeof TandemConnection>[0], 'multiplexed' | 'mode'>,
): TandemConnection {
  const connection = new TandemConnection({ ...options, multiplexed: true });
  connection.connect();
  return connection;
}

function listenForUnload(onUnload: () => void): () => void {
  const win = globalThis as unknown as {
    addEventListener?: (type: string, fn: () => void) => void;
    removeEventListener?: (type: string, fn: () => void) => void;
    document?: unknown;
  };
  if (typeof win.addEventListener !== 'function' || win.document === undefined) return () => {};
  win.addEventListener('pagehide', onUnload);
  return () => win.removeEventListener?.('pagehide', onUnload);
}
