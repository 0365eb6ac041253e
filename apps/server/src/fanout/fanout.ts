/** What travels between nodes for a room: opaque bytes tagged with their kind. */
export interface FanoutMessage {
  readonly kind: 'update' | 'awareness';
  readonly payload: Uint8Array;
}

/** Receives messages other nodes published for a room. */
export type FanoutHandler = (message: FanoutMessage) => void;

/**
 * Moves a room's updates and awareness between nodes. Implementations drop their own
 * node's echoes, and local delivery never waits on them.
 */
export interface Fanout {
  /** Publishes to every other node holding `roomId`. Fire-and-forget: failures are logged, not thrown. */
  publish(roomId: string, message: FanoutMessage): void;
  /** Starts receiving other nodes' messages for `roomId`; returns the function that stops it. */
  subscribe(roomId: string, handler: FanoutHandler): () => void;
  /** Resolves when the transport is usable (for /readyz); rejects with the reason otherwise. */
  check(): Promise<void>;
  /** Stops every subscription and releases resources. */
  close(): Promise<void>;
}
