import { type AwarenessEntry, CloseCode, encode, readAwarenessEntries, writeAwarenessEntries } from '@tandem/protocol';
import type { Logger } from 'pino';
import { type Claim, ClientIdOwners, type HeldPresence } from './client-id-owners.js';
import type { ClusterPresence } from './cluster-link.js';
import type { RoomMember } from './member.js';
import { type PresenceLeases, startPresenceLeases } from './presence-leases.js';
import { PresenceTable } from './presence-table.js';
import { admitAwareness, type WritePolicy } from './write-policy.js';

/** A presence not renewed for this long is not sent to joining members (y-protocols' outdated timeout). */
const PRESENCE_STALE_MS = 30_000;

/** What room presence needs. */
export interface RoomPresenceDeps {
  readonly roomId: string;
  /** The room's members, read when relaying. */
  readonly members: ReadonlySet<RoomMember>;
  /** Takes a member out of the room at once (it was retired: its client continues elsewhere). */
  readonly expel: (member: RoomMember) => void;
  /** Publishes an awareness update to the other nodes. */
  readonly publish: (update: Uint8Array) => void;
  readonly logger: Logger;
  readonly policy: WritePolicy;
  /** Presence from another node is dropped once that node has not renewed it for this long. */
  readonly awarenessTimeoutMs: number;
}

/** A granted claim on client ids. */
export type GrantedClaim = Extract<Claim<RoomMember>, { ok: true }>;

/**
 * A room's awareness: the presence table, who owns each client id (YJS-5, AW-2), other nodes'
 * leases (CLUSTER-6), and the hand-over rules that keep a reconnecting client's presence from
 * blinking out (AW-6, AW-7; docs/decisions/0001-client-id-takeover.md).
 */
export class RoomPresence implements ClusterPresence {
  /** Awareness states, kept as the JSON the clients sent. */
  readonly table = new PresenceTable(PRESENCE_STALE_MS);
  private readonly deps: RoomPresenceDeps;
  /** Members that have sent an awareness frame (the first one is a client's own announcement); made on the first. */
  private announced: WeakSet<RoomMember> | null = null;
  /** Which member writes structs under each Yjs client id (YJS-5) and holds its presence (AW-2). */
  private readonly owners: ClientIdOwners<RoomMember>;
  /** When each client id owned by another node was last announced by it (CLUSTER-6). */
  private readonly leases: PresenceLeases;

  constructor(deps: RoomPresenceDeps) {
    this.deps = deps;
    this.owners = new ClientIdOwners<RoomMember>((member) => deps.members.has(member));
    // Renew this node's presence a few times per timeout, and expire other nodes' stale leases.
    this.leases = startPresenceLeases(deps.awarenessTimeoutMs, this);
  }

  /**
   * Claims `clients` for new structs by `member` (YJS-5); on success older sessions of the same
   * client are retired and ids taken from another node's lease are announced at once (AW-6).
   */
  claimStructs(member: RoomMember, clients: readonly number[]): Claim<RoomMember> {
    const claim = this.owners.claimStructs(member, clients, this.table);
    if (claim.ok) this.tookOver(claim, true);
    return claim;
  }

  /** The first of `clients` a live member writes structs under, if any (YJS-5, for imports). */
  liveStructWriter(clients: readonly number[]): number | null {
    return this.owners.liveStructWriter(clients);
  }

  /** Sends a member every current presence state (on join, and when it queries awareness). */
  sendTo(member: RoomMember): void {
    const entries = this.table.entries();
    if (entries.length > 0) member.send(encode.awareness(writeAwarenessEntries(entries)));
  }

  /** A member left: the states it owned are removed for everyone (AW-3), but for ids that pass on (AW-6). */
  left(member: RoomMember): void {
    const { removed, elsewhere } = this.owners.release(member);
    // The node the id passed to holds it under this node's lease until that runs out there.
    for (const clientId of elsewhere) this.leases.handOver(clientId);
    this.relay(this.table.remove(removed), null, true);
  }

  /**
   * Applies a member's awareness update, dropping entries for client ids another client holds
   * (AW-2). The same client reconnected (same subject; anyone in open mode) takes its id over at
   * once, from an older session here or from another node's lease (CLUSTER-6).
   */
  applyLocal(member: RoomMember, update: Uint8Array): void {
    if (!member.canWrite && !this.deps.policy.readOnlyPresence) return;
    const admitted = admitAwareness(readAwarenessEntries(update), member.identity, this.deps.policy);
    if (!admitted.ok) {
      member.close(CloseCode.policyViolation, admitted.reason);
      return;
    }
    const rewritten = member.identity !== null;
    const entries = admitted.entries;
    if (this.announced === null) this.announced = new WeakSet();
    const announced = this.announced;
    const first = !announced.has(member);
    announced.add(member);
    const corrections: AwarenessEntry[] = [];
    const allowed = entries.filter((entry) => {
      const held = this.table.peek(entry.clientId);
      const claim = this.owners.claimPresence(member, entry, held);
      // A newer entry that moved here is relayed and published below, like any change.
      if (claim.ok) {
        this.tookOver(claim, false);
        return true;
      }
      // A member's first frame naming one id is its own announcement, not an echo (AW-6); when
      // another node holds the id, that node learns that the client continues here.
      if (first && entries.length === 1 && this.owners.nominate(member, entry, held) === 'announce') {
        this.deps.publish(writeAwarenessEntries([entry]));
      }
      // A state the room already removed at this clock or later: the sender is told of the removal.
      // A client whose own state it is then re-announces it with a newer clock (y-protocols does),
      // which claims the id; anyone else just drops the stale state (AW-7).
      if (entry.state !== 'null' && held?.state === null && entry.clock <= held.clock) {
        corrections.push({ clientId: entry.clientId, clock: held.clock, state: 'null' });
      }
      return false;
    });
    if (corrections.length > 0) member.send(encode.awareness(writeAwarenessEntries(corrections)));
    const changed = this.table.apply(allowed);
    // Relayed as received when every entry applied unchanged: framed once, never re-encoded.
    const asReceived = changed.length === entries.length && !rewritten ? update : null;
    this.relay(changed, member, true, asReceived);
  }

  /**
   * Applies another node's awareness; its client ids become off-limits to other local clients
   * (AW-2). A local member whose client announced itself there (it reconnected to that node)
   * hands its id over and is closed without removing its presence (AW-6).
   */
  applyRemote(update: Uint8Array): void {
    const entries = readAwarenessEntries(update);
    const continued: RoomMember[] = [];
    const allowed = entries.filter((entry) => {
      const held = this.table.peek(entry.clientId);
      const age = ageOf(entry, held);
      const verdict = this.owners.announcedElsewhere(entry.clientId, entry.state, age);
      if (!verdict.apply) return false;
      if (verdict.continues !== null) continued.push(verdict.continues);
      if (entry.state === 'null') this.leases.forget(entry.clientId);
      else this.leases.renew(entry.clientId);
      return true;
    });
    this.retire(continued, 'Yjs client id continued on another node');
    const changed = this.table.apply(allowed);
    this.relay(changed, null, false, changed.length === entries.length ? update : null);
  }

  /** Every presence local members own, encoded, or null when they own none. */
  localUpdate(): Uint8Array | null {
    const entries = this.table.entries(this.owners.localPresenceIds());
    return entries.length === 0 ? null : writeAwarenessEntries(entries);
  }

  /** Stops the lease tick. */
  stop(): void {
    this.leases.stop();
  }

  /**
   * After a granted claim: older sessions of the same client are retired (4409), and ids that moved
   * here from another node's lease stop expiring and (when `announce`) are published at once, so
   * that node hands them over instead of removing them when it notices its stale session (AW-6).
   */
  private tookOver(claim: GrantedClaim, announce: boolean): void {
    this.retire(claim.takenFrom, 'Yjs client id taken over by a newer session of the same client');
    for (const clientId of claim.fromElsewhere) this.leases.forget(clientId);
    if (!announce || claim.fromElsewhere.length === 0) return;
    const moved = this.table.entries(claim.fromElsewhere);
    if (moved.length > 0) this.deps.publish(writeAwarenessEntries(moved));
  }

  /**
   * Closes members whose client ids a newer session of the same client took over (YJS-5), here or
   * on another node. They leave the room at once and, holding no client id any more, remove no
   * presence (AW-6): the live user's cursor never blinks out on the others.
   */
  private retire(older: readonly RoomMember[], why: string): void {
    for (const member of older) {
      this.deps.expel(member);
      this.owners.release(member);
      member.close(CloseCode.clientIdTakenOver, why);
    }
  }

  /**
   * Relays presence changes to every member but `origin` and, when `publish`, to the other nodes.
   * `encoded` is the same entries already encoded (the update as a client sent it), if at hand.
   */
  private relay(
    changed: readonly AwarenessEntry[],
    origin: RoomMember | null,
    publish: boolean,
    encoded: Uint8Array | null = null,
  ): void {
    if (changed.length === 0) return;
    const update = encoded ?? writeAwarenessEntries(changed);
    const frame = encode.awareness(update);
    for (const member of this.deps.members) {
      if (member !== origin) member.send(frame);
    }
    if (publish) this.deps.publish(update);
  }

  /** One lease tick: renews this node's presence elsewhere and expires other nodes' stale leases. */
  renewLeases(): void {
    const own = this.localUpdate();
    if (own !== null) this.deps.publish(own);
    const removed: number[] = [];
    const passed: number[] = [];
    for (const clientId of this.leases.takeExpired()) {
      const outcome = this.owners.leaseExpired(clientId);
      if (outcome === null) continue;
      (outcome.passedTo === null ? removed : passed).push(clientId);
    }
    // Ids whose client moved here while that node held them: announced from here from now on.
    const adopted = this.table.entries(passed);
    if (adopted.length > 0) this.deps.publish(writeAwarenessEntries(adopted));
    if (removed.length === 0) return;
    this.deps.logger.info({ room: this.deps.roomId, clients: removed }, 'presence from another node expired');
    this.relay(this.table.remove(removed), null, false);
    // Forget the clocks too: if that node comes back, its next renewal (same clock) must apply again.
    for (const clientId of removed) this.table.forget(clientId);
  }
}

/**
 * How an entry from another node compares with the state the room holds, by the y-protocols rule
 * the presence table applies: a higher clock wins, and at the same clock a removal wins.
 */
function ageOf(entry: AwarenessEntry, held: HeldPresence | undefined): 'older' | 'same' | 'newer' {
  if (held === undefined || entry.clock > held.clock) return 'newer';
  if (entry.clock < held.clock) return 'older';
  if (held.state === null && entry.state !== 'null') return 'older';
  return 'same';
}
