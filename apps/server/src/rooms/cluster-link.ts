import type { Logger } from 'pino';
import * as Y from 'yjs';
import type { Fanout, FanoutMessage } from '../fanout/fanout.js';
import type { StoredDoc } from '../storage/doc-store.js';
import type { EarlySubscription } from './early-subscription.js';
import { isEmptyUpdate } from './room-document.js';

/** Transaction origin of updates that came from another node or the shared store (never persisted again, never republished). */
export const FROM_CLUSTER = Symbol('fanout');

/** What the link hands presence to, and asks it for. */
export interface ClusterPresence {
  /** Applies another node's awareness update. */
  applyRemote(update: Uint8Array): void;
  /** The presence local members own, encoded as an awareness update, or null when there is none. */
  localUpdate(): Uint8Array | null;
}

/** What the link hands other nodes' stateless messages to (HP-8): the room's local Hocuspocus sessions. */
export type StatelessDelivery = (body: Uint8Array) => void;

/** What the link needs. */
export interface ClusterLinkDeps {
  readonly roomId: string;
  /**
   * The room's document: its state vector and state are read without building the Y.Doc (the
   * exchange answers from the bytes); only stored state read back builds it.
   */
  readonly document: {
    readonly doc: Y.Doc;
    readonly builtDoc: Y.Doc | null;
    stateVector(): Uint8Array;
    stateParts(): readonly Uint8Array[];
  };
  /** Takes another node's update: the room appends it to its bytes or applies it to its Y.Doc (origin {@link FROM_CLUSTER}). */
  readonly applyRemote: (update: Uint8Array) => void;
  readonly fanout: Fanout;
  readonly logger: Logger;
  /** A subscription taken before the room loaded (join without gaps); without it the link subscribes on start. */
  readonly subscription?: EarlySubscription;
}

/**
 * A room's link to the same room on the other nodes, over a fan-out that only carries bytes:
 * publishes local updates and presence, applies theirs, and keeps the nodes' copies converged
 * with the state-vector exchange (sync-request / sync-state) after a load or a lost message.
 */
export class ClusterLink {
  private readonly deps: ClusterLinkDeps;
  private unsubscribe: (() => void) | null = null;
  /** Set on start: awareness from other nodes goes there, and it is re-announced on catch-up. */
  private presence: ClusterPresence | null = null;
  private remoteContent = false;

  constructor(deps: ClusterLinkDeps) {
    this.deps = deps;
  }

  /** True once an update from another node was applied: a client resending it must make it durable here. */
  get hasRemoteContent(): boolean {
    return this.remoteContent;
  }

  /**
   * Starts receiving: held early messages are replayed now, then every later one. Updates are
   * applied to the document; awareness goes to `presence`.
   */
  start(presence: ClusterPresence, stateless: StatelessDelivery = () => {}): void {
    this.presence = presence;
    const handler = (message: FanoutMessage) => this.receive(message, presence, stateless);
    const early = this.deps.subscription;
    if (early === undefined) {
      const subscription = this.deps.fanout.subscribe(this.deps.roomId, handler);
      this.unsubscribe = () => subscription.close();
    } else {
      this.unsubscribe = () => early.close();
      early.attach(handler);
    }
  }

  /** Publishes an update made on this node. */
  readonly publishUpdate = (update: Uint8Array): void => {
    this.deps.fanout.publish(this.deps.roomId, { kind: 'update', payload: update });
  };

  /** Publishes a stateless message's body to the room's sessions on the other nodes (HP-8). */
  publishStateless(body: Uint8Array): void {
    this.deps.fanout.publish(this.deps.roomId, { kind: 'stateless', payload: body });
  }

  /** Publishes an awareness update (entries local members own, or a removal). */
  publishAwareness(update: Uint8Array): void {
    this.deps.fanout.publish(this.deps.roomId, { kind: 'awareness', payload: update });
  }

  /**
   * Asks the other nodes holding this room for whatever this node lacks, and offers them the same
   * (state-vector exchange), and re-announces local presence. Called after a load and whenever
   * the fan-out may have lost messages.
   */
  catchUp(): void {
    this.deps.fanout.publish(this.deps.roomId, { kind: 'sync-request', payload: this.deps.document.stateVector() });
    this.publishLocalPresence();
  }

  /** Applies state read from the shared store (written by any node); never persisted or republished again. */
  applyStored(stored: StoredDoc): void {
    const { doc } = this.deps.document;
    Y.transact(
      doc,
      () => {
        if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot, FROM_CLUSTER);
        for (const { update } of stored.updates) Y.applyUpdate(doc, update, FROM_CLUSTER);
      },
      FROM_CLUSTER,
    );
  }

  /** Re-announces the presence local members own, so other nodes keep (or regain) it. */
  publishLocalPresence(): void {
    const update = this.presence?.localUpdate() ?? null;
    if (update !== null) this.publishAwareness(update);
  }

  /** Stops receiving. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private receive(message: FanoutMessage, presence: ClusterPresence, stateless: StatelessDelivery): void {
    const { document, fanout, roomId } = this.deps;
    try {
      switch (message.kind) {
        case 'update':
          this.remoteContent = true;
          this.deps.applyRemote(message.payload);
          return;
        case 'awareness':
          presence.applyRemote(message.payload);
          return;
        case 'sync-request':
        case 'sync-state': {
          // What the asking node lacks: from the Y.Doc, or from each part of the bytes (their union).
          const built = document.builtDoc;
          const missing =
            built === null
              ? document.stateParts().map((part) => Y.diffUpdate(part, message.payload))
              : [Y.encodeStateAsUpdate(built, message.payload)];
          for (const update of missing) {
            if (!isEmptyUpdate(update)) fanout.publish(roomId, { kind: 'update', payload: update });
          }
          if (message.kind === 'sync-request') {
            fanout.publish(roomId, { kind: 'sync-state', payload: document.stateVector() });
            this.publishLocalPresence();
          }
          return;
        }
        case 'stateless':
          stateless(message.payload);
          return;
        case 'control':
          // Control messages travel on channels no room is named after (REVOKE-3).
          return;
        default:
          message.kind satisfies never;
      }
    } catch (err) {
      this.deps.logger.error({ err, room: roomId }, 'dropped an undecodable fan-out message');
    }
  }
}
