import type { Identity } from '../identity.js';
import { LazyMap } from './lazy-map.js';

/** What the ownership rules read of a session. */
export interface Claimant {
  /** Who the session authenticated as; null in open mode. */
  readonly identity: Identity | null;
  /** False once the session has started closing. */
  readonly isOpen: boolean;
}

/** Holder of a client id whose presence another node announced (CLUSTER-6). */
export const ELSEWHERE = Symbol('another node');

/** A local session, or another node. */
export type Holder<S> = S | typeof ELSEWHERE;

/** The outcome of a claim: refused, or granted — possibly taken over from older sessions of the same client. */
export type Claim<S> =
  | {
      readonly ok: true;
      /** Live older sessions of the same client whose ids moved to the claimant: close them (4409). */
      readonly takenFrom: readonly S[];
      /** Presence ids that moved here from another node's lease: announce them (AW-6). */
      readonly fromElsewhere: readonly number[];
    }
  | { readonly ok: false; readonly clientId: number };

/** What the room holds of one client's presence. */
export interface HeldPresence {
  readonly clock: number;
  /** JSON text; null once removed. */
  readonly state: string | null;
}

/** One incoming awareness entry, as far as ownership cares. */
export interface PresenceEntry {
  readonly clientId: number;
  readonly clock: number;
  /** JSON text; 'null' removes the state. */
  readonly state: string;
}

/**
 * True when two sessions may be the same client: the same token subject, or — in open mode,
 * where nobody has an identity — always (YJS-5). Open mode lets any client write anything, so a
 * client id there guards against accidents, not attackers; a newer session taking it over keeps
 * the invariant that matters (one live writer per client id) without locking out a client whose
 * old connection went half-open.
 */
export function sameClient(claimant: Identity | null, holder: Identity | null): boolean {
  if (claimant === null || holder === null) return claimant === holder;
  return claimant.userId === holder.userId;
}

/**
 * True when a presence state announced by another node may be the claimant's own: in open mode
 * always; with authentication when the state's `user.id` (set from its token by the node that
 * relayed it, AUTH-7) is the claimant's subject.
 */
export function sameClientAsState(claimant: Identity | null, state: string | null): boolean {
  if (claimant === null) return true;
  if (state === null) return false;
  try {
    const parsed = JSON.parse(state) as { user?: { id?: unknown } } | null;
    return parsed?.user?.id === claimant.userId;
  } catch {
    return false;
  }
}

/**
 * Who holds each Yjs client id in a room: which session writes structs under it (YJS-5) and which
 * session — or other node — owns its presence (AW-2). A newer session of the same client takes
 * both over from an older one that is still open (its connection went half-open and the server has
 * not noticed yet): the caller then closes the older one with 4409, and because the ids moved,
 * the older one's end removes no presence a live session holds (AW-6).
 */
export class ClientIdOwners<S extends Claimant> {
  private readonly structs = new LazyMap<number, S>();
  private readonly presence = new LazyMap<number, Holder<S>>();
  /**
   * A newer session of the same client that announced an id it could not claim yet — here, or on
   * another node (ELSEWHERE) — inherits the id when its holder ends, instead of a removal (AW-6).
   */
  private readonly successors = new LazyMap<number, Holder<S>>();
  private readonly isMember: (session: S) => boolean;

  /** `isMember` tells whether a session is still in the room. */
  constructor(isMember: (session: S) => boolean) {
    this.isMember = isMember;
  }

  /**
   * Claims `clients` for new structs by `session`; nothing changes when one is refused. Writing
   * structs under an id is the client's own act (clients never echo the document back), so it
   * also claims the id's presence from an older session or another node's lease of the same client.
   */
  claimStructs(
    session: S,
    clients: readonly number[],
    heldPresence: { peek(clientId: number): HeldPresence | undefined },
  ): Claim<S> {
    const takenFrom = new Set<S>();
    const fromElsewhere: number[] = [];
    for (const clientId of clients) {
      const holder = this.structs.get(clientId);
      if (holder === undefined || holder === session || !this.isLive(holder)) continue;
      if (!sameClient(session.identity, holder.identity)) return { ok: false, clientId };
      takenFrom.add(holder);
    }
    for (const clientId of clients) {
      const holder = this.presence.get(clientId);
      if (holder === ELSEWHERE) {
        if (sameClientAsState(session.identity, heldPresence.peek(clientId)?.state ?? null))
          fromElsewhere.push(clientId);
      } else if (holder !== undefined && holder !== session && sameClient(session.identity, holder.identity)) {
        takenFrom.add(holder);
      }
    }
    for (const older of takenFrom) this.transfer(older, session);
    for (const clientId of clients) this.structs.set(clientId, session);
    for (const clientId of fromElsewhere) this.presence.set(clientId, session);
    return { ok: true, takenFrom: [...takenFrom].filter((older) => this.isLive(older)), fromElsewhere };
  }

  /**
   * Claims the presence id of `entry` for `session`. Only a state newer than the one held can
   * claim an id someone else holds: stock clients echo every presence they receive back to the
   * server, and an echo never carries a newer clock than the server relayed. A claimant of the
   * same client takes the id over; anyone else's entry is dropped (AW-2).
   */
  claimPresence(session: S, entry: PresenceEntry, held: HeldPresence | undefined): Claim<S> {
    const refused = { ok: false, clientId: entry.clientId } as const;
    const holder = this.presence.get(entry.clientId);
    if (holder === session) return { ok: true, takenFrom: [], fromElsewhere: [] };
    const newer = entry.state !== 'null' && (held === undefined || entry.clock > held.clock);
    if (!newer) return refused;
    if (holder === undefined) {
      this.presence.set(entry.clientId, session);
      return { ok: true, takenFrom: [], fromElsewhere: [] };
    }
    if (holder === ELSEWHERE) {
      if (!sameClientAsState(session.identity, held?.state ?? null)) return refused;
      this.presence.set(entry.clientId, session);
      return { ok: true, takenFrom: [], fromElsewhere: [entry.clientId] };
    }
    if (!sameClient(session.identity, holder.identity)) return refused;
    this.transfer(holder, session);
    return { ok: true, takenFrom: this.isLive(holder) ? [holder] : [], fromElsewhere: [] };
  }

  /**
   * Records `session` as the successor of the session or node holding `entry`'s id, when that is
   * the session's own announcement: its first awareness frame, naming this one id, with the state
   * the room holds (a reconnect of a client whose presence did not change). It takes nothing over
   * now — the holder may still be alive — but when the holder ends, the id passes to the successor
   * instead of being removed for everyone, so a reader that reconnected while its old connection
   * was half-open keeps its cursor (AW-6). Returns 'announce' when another node holds the id: the
   * caller publishes the entry, which makes that node pass the id here when its session ends
   * ({@link announcedElsewhere}, same state), and the lease here passes to the successor when that
   * node stops renewing ({@link leaseExpired}). An echo from another client is never a first frame
   * naming exactly this id unless that client shows no presence of its own and the room shows only
   * this one; then the id lingers until that client leaves, and clients drop it after 30 s without
   * renewals (y-protocols' timeout).
   */
  nominate(session: S, entry: PresenceEntry, held: HeldPresence | undefined): 'announce' | null {
    const holder = this.presence.get(entry.clientId);
    if (holder === undefined || holder === session) return null;
    if (entry.state === 'null' || held?.state == null || entry.clock < held.clock) return null;
    if (holder === ELSEWHERE) {
      if (!sameClientAsState(session.identity, held.state)) return null;
      this.successors.set(entry.clientId, session);
      return 'announce';
    }
    if (!sameClient(session.identity, holder.identity)) return null;
    this.successors.set(entry.clientId, session);
    return null;
  }

  /**
   * Another node announced `state` ('null' for a removal) for `clientId`. Returns whether to apply
   * it, and the local session it continues (the same client moved to that node), which the caller
   * closes: its presence id is now held elsewhere, so closing it removes nothing.
   */
  announcedElsewhere(
    clientId: number,
    state: string,
    age: 'older' | 'same' | 'newer',
  ): { apply: boolean; continues: S | null } {
    const holder = this.presence.get(clientId);
    const removal = state === 'null';
    if (holder === undefined || holder === ELSEWHERE) {
      if (removal) {
        this.presence.delete(clientId);
        this.successors.delete(clientId);
        return { apply: true, continues: null };
      }
      // A state older than the room's (a renewal that crossed a removal) claims nothing for that node.
      if (age === 'older') return { apply: holder === ELSEWHERE, continues: null };
      this.presence.set(clientId, ELSEWHERE);
      return { apply: true, continues: null };
    }
    const live = this.isLive(holder);
    // An older state is a stale session's renewal that crossed this one's claim: it moves nothing.
    if (removal || age === 'older' || (live && !sameClientAsState(holder.identity, state))) {
      return { apply: false, continues: null };
    }
    if (live && age === 'same') {
      // The same state announced there: the client went there (it edits there), or that node still
      // renews a stale session of it. Neither may close the live session here; the id passes there
      // when this session ends, with no removal.
      this.successors.set(clientId, ELSEWHERE);
      return { apply: false, continues: null };
    }
    this.presence.set(clientId, ELSEWHERE);
    return { apply: true, continues: live ? holder : null };
  }

  /** The first of `clients` a live session writes structs under, if any (a writer from outside the room must not, YJS-5). */
  liveStructWriter(clients: readonly number[]): number | null {
    for (const clientId of clients) {
      const holder = this.structs.get(clientId);
      if (holder !== undefined && this.isLive(holder)) return clientId;
    }
    return null;
  }

  /** Who holds a presence id, if anyone. */
  presenceHolder(clientId: number): Holder<S> | undefined {
    return this.presence.get(clientId);
  }

  /** Presence ids held by local sessions. */
  localPresenceIds(): number[] {
    const ids: number[] = [];
    for (const [clientId, holder] of this.presence) if (holder !== ELSEWHERE) ids.push(clientId);
    return ids;
  }

  /**
   * Another node stopped renewing `clientId`: it passes to a live local successor (the client moved
   * here and that node ended its old session), which is returned — the caller announces it — or is
   * forgotten (null: the caller removes it for everyone). Does nothing for an id held here.
   */
  leaseExpired(clientId: number): { readonly passedTo: S | null } | null {
    if (this.presence.get(clientId) !== ELSEWHERE) return null;
    const successor = this.successors.get(clientId);
    this.successors.delete(clientId);
    if (successor !== undefined && successor !== ELSEWHERE && this.isLive(successor)) {
      this.presence.set(clientId, successor);
      return { passedTo: successor };
    }
    this.presence.delete(clientId);
    return { passedTo: null };
  }

  /**
   * Forgets everything `session` held; returns the presence ids it held, to remove for everyone
   * (AW-3) — but for ids a successor of the same client announced, which pass to it (AW-6): to a
   * live session here, or to another node (`elsewhere`: the caller starts their lease).
   */
  release(session: S): { readonly removed: number[]; readonly elsewhere: number[] } {
    for (const [clientId, holder] of this.structs) if (holder === session) this.structs.delete(clientId);
    for (const [clientId, successor] of this.successors) if (successor === session) this.successors.delete(clientId);
    const owned: number[] = [];
    for (const [clientId, holder] of this.presence) if (holder === session) owned.push(clientId);
    const removed: number[] = [];
    const elsewhere: number[] = [];
    for (const clientId of owned) {
      const successor = this.successors.get(clientId);
      this.successors.delete(clientId);
      if (successor === ELSEWHERE) {
        this.presence.set(clientId, ELSEWHERE);
        elsewhere.push(clientId);
      } else if (successor !== undefined && this.isLive(successor)) {
        this.presence.set(clientId, successor);
      } else {
        this.presence.delete(clientId);
        removed.push(clientId);
      }
    }
    return { removed, elsewhere };
  }

  private isLive(session: S): boolean {
    return session.isOpen && this.isMember(session);
  }

  /** Everything `older` held now belongs to `newer` (the same client, reconnected). */
  private transfer(older: S, newer: S): void {
    for (const [clientId, holder] of this.structs) if (holder === older) this.structs.set(clientId, newer);
    for (const [clientId, holder] of this.presence) {
      if (holder !== older) continue;
      this.presence.set(clientId, newer);
      this.successors.delete(clientId);
    }
  }
}
