import { LazyMap } from './lazy-map.js';

/** When other nodes last renewed the presence of each client id they own; expired ids are handed back once. */
export interface PresenceLeases {
  /** Records a renewal (any awareness entry for `clientId` from another node). */
  renew(clientId: number, now?: number): void;
  /**
   * Records a renewal that lasts one more timeout: for an id this node passed to another node, whose
   * own lease on it (from this node's renewals) must run out first before it renews it itself.
   */
  handOver(clientId: number, now?: number): void;
  /** Drops a lease (its node removed the state, or the id moved here). */
  forget(clientId: number): void;
  /** Ids not renewed within the timeout, forgotten as they are returned. */
  takeExpired(now?: number): number[];
  /** Stops the tick. */
  stop(): void;
}

/**
 * Starts lease tracking with a tick every third of `timeoutMs`: the room renews its own sessions'
 * presence on each tick and expires the leases of nodes that went silent (killed or cut off).
 */
export function startPresenceLeases(timeoutMs: number, tick: () => void): PresenceLeases {
  const seen = new LazyMap<number, number>();
  const timer = setInterval(tick, Math.max(100, Math.floor(timeoutMs / 3)));
  timer.unref();
  return {
    renew(clientId, now = Date.now()) {
      seen.set(clientId, now);
    },
    handOver(clientId, now = Date.now()) {
      seen.set(clientId, now + timeoutMs);
    },
    forget(clientId) {
      seen.delete(clientId);
    },
    takeExpired(now = Date.now()) {
      const expired: number[] = [];
      for (const [clientId, at] of seen) if (now - at >= timeoutMs) expired.push(clientId);
      for (const clientId of expired) seen.delete(clientId);
      return expired;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
