import { encode } from '@tandem/protocol';
import { mergeUpdates } from '../storage/snapshot.js';
import type { RoomMember } from './member.js';

/** A turn's coalesced frame is sent early once it holds this much, so no single frame grows without bound. */
export const MAX_COALESCED_BYTES = 1024 * 1024;
/**
 * From this many updates in one turn (a crowded room) they are merged into one frame, sparing each
 * client a transaction per update; fewer are sent as they came, framed once, in one write per
 * member (merging a handful costs the server more than the frames it saves).
 */
export const MERGE_FROM_UPDATES = 8;
/** In a crowded turn a sender whose own updates total at most this many bytes gets them back inside the merged frame. */
export const MAX_ECHOED_BYTES = 16 * 1024;

/** Runs `task` later, once: the outbox flushes there (default: the next event-loop turn). */
export type Scheduler = (task: () => void) => unknown;

/** What the outbox needs. */
export interface BroadcastOutboxDeps {
  /** The room's members, read at each flush. */
  readonly members: ReadonlySet<RoomMember>;
  /** Publishes an update made on this node to the other nodes. */
  readonly publish: (update: Uint8Array) => void;
  /** Where the flush of a turn is scheduled (default setImmediate); tests pass one they run by hand. */
  readonly schedule?: Scheduler;
}

interface Outgoing {
  /** The member that sent it (it is not echoed back), or null. */
  readonly origin: RoomMember | null;
  readonly update: Uint8Array;
  /** Made on this node (a member or an import): published to the other nodes. */
  readonly local: boolean;
}

/**
 * The room's broadcast: every document update of a turn is collected and sent once the turn
 * ends, one write per member, and the local ones are published to the other nodes.
 */
export class BroadcastOutbox {
  private readonly members: ReadonlySet<RoomMember>;
  private readonly publish: (update: Uint8Array) => void;
  private readonly schedule: Scheduler;
  private queued: Outgoing[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  private halted = false;

  constructor(deps: BroadcastOutboxDeps) {
    this.members = deps.members;
    this.publish = deps.publish;
    this.schedule = deps.schedule ?? setImmediate;
  }

  /** Queues an update for this turn's flush; a turn past {@link MAX_COALESCED_BYTES} is flushed at once. */
  push(origin: RoomMember | null, update: Uint8Array, local: boolean): void {
    this.queued.push({ origin, update, local });
    this.queuedBytes += update.byteLength;
    if (this.queuedBytes >= MAX_COALESCED_BYTES) {
      this.flush();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.schedule(this.scheduledFlush);
    }
  }

  /** Sends nothing from now on (the room failed: what it holds may never be stored). */
  halt(): void {
    this.halted = true;
  }

  /**
   * Sends everything queued, one write per member. A few updates go out framed once each, and no
   * member gets its own back. A crowded turn goes out as one merged frame, to senders too when
   * their own share is small (Yjs ignores what it already has): leaving each sender's updates out
   * would take one merge per sender, quadratic in the turn's size — the turns that grow when a
   * room is overloaded. A heavy sender (a paste, an import) still gets only the others' updates,
   * so its own bytes never come back to it.
   */
  flush(): void {
    const batch = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    if (batch.length === 0 || this.halted) return;
    if (batch.length >= MERGE_FROM_UPDATES) {
      const merged = [encode.syncUpdate(mergeUpdates(batch.map((o) => o.update)))];
      const ownBytes = new Map<RoomMember | null, number>();
      for (const o of batch) ownBytes.set(o.origin, (ownBytes.get(o.origin) ?? 0) + o.update.byteLength);
      for (const member of this.members) {
        if ((ownBytes.get(member) ?? 0) <= MAX_ECHOED_BYTES) {
          member.sendAll(merged);
          continue;
        }
        const others = batch.filter((o) => o.origin !== member).map((o) => o.update);
        if (others.length > 0) member.sendAll([encode.syncUpdate(mergeUpdates(others))]);
      }
    } else {
      const origins = new Set(batch.map((o) => o.origin));
      const frames = batch.map((o) => encode.syncUpdate(o.update));
      for (const member of this.members) {
        member.sendAll(origins.has(member) ? frames.filter((_, i) => batch[i]?.origin !== member) : frames);
      }
    }
    const local = batch.filter((o) => o.local).map((o) => o.update);
    if (local.length >= MERGE_FROM_UPDATES) {
      this.publish(mergeUpdates(local));
    } else {
      for (const update of local) this.publish(update);
    }
  }

  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    this.flush();
  };
}
