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
export function startPresenceLeases(timeoutMs: number, owner: LeaseOwner): PresenceLeases {
  return new LeaseTable(timeoutMs, owner);
}

/** Whose leases they are: ticked every third of the timeout. */
export interface LeaseOwner {
  renewLeases(): void;
}

/** The interval's callback, shared by every room (its owner is the interval's argument, not a closure per room). */
function tick(owner: LeaseOwner): void {
  owner.renewLeases();
}

/**
 * One room's leases: a class, not a factory of closures (one object per room instead of six; rooms
 * are many and mostly idle).
 */
class LeaseTable implements PresenceLeases {
  private readonly seen = new LazyMap<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly timeoutMs: number,
    owner: LeaseOwner,
  ) {
    this.timer = setInterval(tick, Math.max(100, Math.floor(timeoutMs / 3)), owner);
    this.timer.unref();
  }

  renew(clientId: number, now = Date.now()): void {
    this.seen.set(clientId, now);
  }

  handOver(clientId: number, now = Date.now()): void {
    this.seen.set(clientId, now + this.timeoutMs);
  }

  forget(clientId: number): void {
    this.seen.delete(clientId);
  }

  takeExpired(now = Date.now()): number[] {
    const expired: number[] = [];
    for (const [clientId, at] of this.seen) if (now - at >= this.timeoutMs) expired.push(clientId);
    for (const clientId of expired) this.seen.delete(clientId);
    return expired;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
