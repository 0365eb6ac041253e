/**
 * What travels between nodes for a room: opaque bytes tagged with their kind. `sync-request`
 * and `sync-state` carry a state vector: the first asks every node holding the room for what the
 * sender lacks (and for its own state vector back), the second only for what the sender lacks.
 * `control` travels only on channels no document can be named (a control character in the name),
 * such as the access-change channel (REVOKE-3); rooms never receive one. `stateless` carries a
 * Hocuspocus stateless message's body to the document's Hocuspocus sessions on other nodes (HP-8).
 */
/** Every message kind; a kind's position here is its byte on the wire (fanout-codec.ts), so new kinds go at the end. */
export const FANOUT_KINDS = ['update', 'awareness', 'sync-request', 'sync-state', 'control', 'stateless'] as const;

export interface FanoutMessage {
  readonly kind: (typeof FANOUT_KINDS)[number];
  readonly payload: Uint8Array;
  /** On received messages: when the sending node published it (ms since the epoch), if known. */
  readonly sentAt?: number;
}

/** Receives messages other nodes published for a room. */
export type FanoutHandler = (message: FanoutMessage) => void;

/** One room's subscription on the fan-out. */
export interface FanoutSubscription {
  /**
   * Resolves once messages published from now on will be delivered, or at once when the transport
   * is down (a resync follows when it is back). Never rejects.
   */
  readonly ready: Promise<void>;
  /** Stops delivery to this subscription. */
  close(): void;
}

/**
 * Moves a room's updates and awareness between nodes. Implementations drop their own
 * node's echoes, and local delivery never waits on them.
 */
export interface Fanout {
  /** Publishes to every other node holding `roomId`. Fire-and-forget: failures are logged, not thrown. */
  publish(roomId: string, message: FanoutMessage): void;
  /** Starts receiving other nodes' messages for `roomId`. */
  subscribe(roomId: string, handler: FanoutHandler): FanoutSubscription;
  /**
   * Calls `listener` each time the transport is back after messages may have been lost (a
   * reconnect, a failed publish); rooms then catch up. Returns the function that stops it.
   */
  onResync(listener: () => void): () => void;
  /** Resolves when the transport is usable (for /readyz); rejects with the reason otherwise. */
  check(): Promise<void>;
  /** Stops every subscription and releases resources. */
  close(): Promise<void>;
}

/**
 * The channel access changes travel on between nodes (REVOKE-3): a control character in its name,
 * so no document can be named like it (room names refuse control characters).
 */
export const ACCESS_CHANGES_CHANNEL = '\u0000access-changes';
