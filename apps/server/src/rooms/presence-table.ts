import type { AwarenessEntry } from '@tandem/protocol';
import { LazyMap } from './lazy-map.js';

/** One client's presence as the room holds it: the JSON text exactly as received, never re-parsed. */
interface Held {
  clock: number;
  /** JSON text of the state; null once removed (the clock stays, so an older update cannot revive it). */
  state: string | null;
  /** When the state was last set or renewed (ms, from the injected clock). */
  updatedAt: number;
}

/**
 * A room's awareness states with the y-protocols rules for which entry wins (a higher clock, or a
 * removal at the same clock), kept as the JSON text the client sent: relaying presence needs no
 * JSON parse or stringify and no Y.Doc. States not renewed within `staleMs` are left out of what a
 * joining session is sent (their owners renew every 15 s; a client drops them itself after 30 s).
 */
export class PresenceTable {
  private readonly held = new LazyMap<number, Held>();
  private readonly staleMs: number;
  private readonly now: () => number;

  constructor(staleMs: number, now: () => number = Date.now) {
    this.staleMs = staleMs;
    this.now = now;
  }

  /**
   * Applies entries and returns the ones that changed something, to relay in that order. An
   * entry with an older clock is ignored; a removal of a state never seen is recorded but not relayed.
   */
  apply(entries: readonly AwarenessEntry[]): AwarenessEntry[] {
    const changed: AwarenessEntry[] = [];
    const at = this.now();
    for (const entry of entries) {
      const current = this.held.get(entry.clientId);
      const removal = entry.state === 'null';
      const newer =
        current === undefined ||
        current.clock < entry.clock ||
        (current.clock === entry.clock && removal && current.state !== null);
      if (!newer) continue;
      this.held.set(entry.clientId, { clock: entry.clock, state: removal ? null : entry.state, updatedAt: at });
      if (!(removal && current === undefined)) changed.push(entry);
    }
    return changed;
  }

  /** Removes the states of `clientIds` (bumping their clocks, as y-protocols does); returns the removals to relay. */
  remove(clientIds: Iterable<number>): AwarenessEntry[] {
    const removed: AwarenessEntry[] = [];
    const at = this.now();
    for (const clientId of clientIds) {
      const current = this.held.get(clientId);
      if (current === undefined || current.state === null) continue;
      const clock = current.clock + 1;
      this.held.set(clientId, { clock, state: null, updatedAt: at });
      removed.push({ clientId, clock, state: 'null' });
    }
    return removed;
  }

  /** Forgets a client entirely (its clock too): the next update from it applies whatever its clock. */
  forget(clientId: number): void {
    this.held.delete(clientId);
  }

  /** The clock and state (JSON text, null once removed) held for a client, if any. */
  peek(clientId: number): { readonly clock: number; readonly state: string | null } | undefined {
    const current = this.held.get(clientId);
    return current === undefined ? undefined : { clock: current.clock, state: current.state };
  }

  /** True while the client has a state. */
  has(clientId: number): boolean {
    return this.held.get(clientId)?.state != null;
  }

  /** Current states (of `clientIds`, or of every client renewed within the stale limit), as entries. */
  entries(clientIds?: Iterable<number>): AwarenessEntry[] {
    const out: AwarenessEntry[] = [];
    if (clientIds !== undefined) {
      for (const clientId of clientIds) {
        const current = this.held.get(clientId);
        if (current?.state != null) out.push({ clientId, clock: current.clock, state: current.state });
      }
      return out;
    }
    const freshSince = this.now() - this.staleMs;
    for (const [clientId, current] of this.held) {
      if (current.state !== null && current.updatedAt >= freshSince) {
        out.push({ clientId, clock: current.clock, state: current.state });
      }
    }
    return out;
  }

  /** Current states, parsed (for inspection and tests; the relay never parses). */
  states(): Map<number, unknown> {
    const out = new Map<number, unknown>();
    for (const [clientId, current] of this.held) {
      if (current.state !== null) out.set(clientId, JSON.parse(current.state));
    }
    return out;
  }
}
