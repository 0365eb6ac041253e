import { CloseCode, encode, type Frame, NoticeCode } from '@tandem/protocol';
import type { Logger } from 'pino';
import * as Y from 'yjs';
import type { Session } from '../connection/session.js';
import type { Fanout, FanoutMessage, FanoutSubscription } from '../fanout/fanout.js';
import type { StoredDoc } from '../storage/doc-store.js';
import { type AwarenessEntry, readAwarenessEntries, writeAwarenessEntries } from './awareness-entries.js';
import { type Claim, ClientIdOwners, type HeldPresence } from './client-id-owners.js';
import type { Compactor } from './compactor.js';
import type { EarlySubscription } from './early-subscription.js';
import type { PersistenceScheduler } from './persistence-scheduler.js';
import { type PresenceLeases, startPresenceLeases } from './presence-leases.js';
import { PresenceTable } from './presence-table.js';
import { type ClientClocks, inspectUpdate } from './update-guard.js';
import { WRITES_PAUSED_REASON, WritesPausedError, writesPausedFor } from './write-pause.js';
import { admitAwareness, DEFAULT_WRITE_POLICY, type WritePolicy } from './write-policy.js';

/** Transaction origin of updates that came from another node (never persisted again, never republished). */
const FROM_FANOUT = Symbol('fanout');
/** Transaction origin of updates imported through the admin API (relayed to every session). */
const IMPORTED = Symbol('imported');

/** A turn's coalesced frame is sent early once it holds this much, so no single frame grows without bound. */
const MAX_COALESCED_BYTES = 1024 * 1024;
/**
 * From this many updates in one turn (a crowded room) they are merged into one frame, sparing each
 * client a transaction per update; fewer are sent as they came, framed once, in one write per
 * session (merging a handful costs the server more than the frames it saves).
 */
const MERGE_FROM_UPDATES = 8;
/** In a crowded turn a sender whose own updates total at most this many bytes gets them back inside the merged frame. */
const MAX_ECHOED_BYTES = 16 * 1024;

/** What a room needs from the rest of the server. */
export interface RoomDeps {
  readonly fanout: Fanout;
  readonly persistence: PersistenceScheduler;
  readonly compactor: Compactor;
  readonly logger: Logger;
  /** Called once when the room can no longer guarantee that its state is stored; the registry evicts it. */
  readonly onFailed: (room: Room) => void;
  /** A subscription taken before the room loaded (join without gaps); without it the room subscribes now. */
  readonly subscription?: EarlySubscription;
  /** Presence from another node is dropped once that node has not renewed it for this long (default 30 s). */
  readonly awarenessTimeoutMs?: number;
  /** What sessions may write (read-only presence, awareness size, update bounds); defaults apply without it. */
  readonly writePolicy?: WritePolicy;
}

const DEFAULT_AWARENESS_TIMEOUT_MS = 30_000;
/** A presence not renewed for this long is not sent to joining sessions (y-protocols' outdated timeout). */
const PRESENCE_STALE_MS = 30_000;

interface Outgoing {
  /** The session that sent it (it is not echoed back), or null. */
  readonly origin: Session | null;
  readonly update: Uint8Array;
  /** Made on this node (a session or an import): published to the other nodes. */
  readonly local: boolean;
}

/** The outcome of {@link Room.importUpdate}: applied and stored, or refused with the problem named. */
export type ImportVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * One document's live state: the Y.Doc, awareness, and the sessions editing it.
 * Relays updates (coalesced per event-loop turn), persists local ones, publishes them on the fan-out.
 */
export class Room {
  readonly id: string;
  readonly doc: Y.Doc;
  /** Awareness states (presence), kept as the JSON the clients sent. */
  readonly presence: PresenceTable;
  private readonly deps: RoomDeps;
  private readonly sessions = new Set<Session>();
  /** Sessions that have sent an awareness frame (the first one is a client's own announcement). */
  private readonly announced = new WeakSet<Session>();
  /** Which session writes structs under each Yjs client id (YJS-5) and holds its presence (AW-2). */
  private readonly owners = new ClientIdOwners<Session>((session) => this.sessions.has(session));
  private readonly policy: WritePolicy;
  /** Sessions whose updates wait in Yjs for missing history, and the deadline for it to arrive. */
  private readonly pendingFrom = new Set<Session>();
  private pendingTimer: NodeJS.Timeout | undefined;
  private outbox: Outgoing[] = [];
  private outboxBytes = 0;
  private flushScheduled = false;
  private readonly subscription: FanoutSubscription;
  /** When each client id owned by another node was last announced by it (CLUSTER-6). */
  private readonly leases: PresenceLeases;
  /** Set once an update from another node was applied: a client resending it must make it durable here. */
  private hasRemoteContent = false;
  private failed = false;
  /**
   * The whole document as one sync step 2 frame, built for the first joiner with an empty state
   * vector and shared by every other until the document changes: a crowd opening a large document
   * at once costs one encode, not one each.
   */
  private fullState: Uint8Array | null = null;
  /** Counts doc update events, to tell whether applying a frame changed the document. */
  private docChanges = 0;
  /** The document's state vector, read in place (no encode/decode per update). */
  private readonly clocks: ClientClocks = { get: (client) => Y.getState(this.doc.store, client) };

  /** Creates a room around a document already built from the store (see {@link docFromStored}). */
  constructor(id: string, doc: Y.Doc, deps: RoomDeps) {
    this.id = id;
    this.deps = deps;
    this.policy = deps.writePolicy ?? DEFAULT_WRITE_POLICY;
    this.doc = doc;
    const awarenessTimeoutMs = deps.awarenessTimeoutMs ?? DEFAULT_AWARENESS_TIMEOUT_MS;
    this.presence = new PresenceTable(PRESENCE_STALE_MS);
    this.doc.on('update', this.onDocUpdate);
    this.doc.on('afterTransaction', this.forgetFullState);
    if (deps.subscription === undefined) {
      this.subscription = deps.fanout.subscribe(id, this.onFanoutMessage);
    } else {
      const early = deps.subscription;
      this.subscription = { ready: early.ready, close: () => early.close() };
      early.attach(this.onFanoutMessage);
    }
    // Renew this node's presence a few times per timeout, and expire other nodes' stale leases.
    this.leases = startPresenceLeases(awarenessTimeoutMs, this.renewPresence);
  }

  /**
   * Asks the other nodes holding this room for whatever this node lacks, and offers them the same
   * (state-vector exchange). Called after a load and whenever the fan-out may have lost messages.
   */
  catchUp(): void {
    this.deps.fanout.publish(this.id, { kind: 'sync-request', payload: Y.encodeStateVector(this.doc) });
    this.publishLocalPresence();
  }

  /** Applies state read from the shared store (written by any node); never persisted or republished again. */
  applyStored(stored: StoredDoc): void {
    Y.transact(
      this.doc,
      () => {
        if (stored.snapshot !== null) Y.applyUpdate(this.doc, stored.snapshot, FROM_FANOUT);
        for (const { update } of stored.updates) Y.applyUpdate(this.doc, update, FROM_FANOUT);
      },
      FROM_FANOUT,
    );
  }

  /** Sessions currently in the room. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Iterates the sessions in the room. */
  allSessions(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /** Adds a session and starts the sync handshake (SYNC-1). */
  add(session: Session): void {
    this.sessions.add(session);
    session.send(encode.syncStep1(Y.encodeStateVector(this.doc)));
    this.sendPresence(session);
  }

  /** Removes a session; the awareness states it owned are removed for everyone (AW-3). */
  remove(session: Session): void {
    if (!this.sessions.delete(session)) return;
    const { removed, elsewhere } = this.owners.release(session);
    // The node the id passed to holds it under this node's lease until that runs out there.
    for (const clientId of elsewhere) this.leases.handOver(clientId);
    this.relayPresence(this.presence.remove(removed), null, true);
  }

  /**
   * Closes sessions whose client ids a newer session of the same client took over (YJS-5), here or
   * on another node. They leave the room at once and, holding no client id any more, remove no
   * presence (AW-6): the live user's cursor never blinks out on the others.
   */
  private retire(older: readonly Session[], why: string): void {
    for (const session of older) {
      this.sessions.delete(session);
      this.owners.release(session);
      session.close(CloseCode.clientIdTakenOver, why);
    }
  }

  /**
   * Applies an update that did not come from a session (admin import): inspected like any
   * other (YJS-1), relayed to every session and the other nodes, and resolved once it is stored.
   * A refused update touches nothing. One that builds on history the document lacks is refused
   * too: nobody would send that history, so Yjs would hold it pending until it is dropped (OPS-6).
   */
  async importUpdate(update: Uint8Array): Promise<ImportVerdict> {
    const verdict = inspectUpdate(update, this.clocks, this.policy.updateLimits);
    if (!verdict.ok) return { ok: false, reason: verdict.reason };
    if (writesPausedFor(this.deps.persistence, update)) throw new WritesPausedError();
    if (verdict.incomplete) {
      return {
        ok: false,
        reason: 'update depends on history the document does not have (import the updates it builds on first)',
      };
    }
    try {
      Y.applyUpdate(this.doc, update, IMPORTED);
    } catch (err) {
      return { ok: false, reason: `malformed update: ${err instanceof Error ? err.message : String(err)}` };
    }
    try {
      await this.deps.persistence.enqueue(this.id, update);
    } catch (err) {
      this.fail(err);
      throw err;
    }
    this.deps.compactor.noteAppended(this.id, update.byteLength);
    return { ok: true };
  }

  /** Handles one decoded frame from a session in this room. */
  receive(session: Session, frame: Frame): void {
    switch (frame.type) {
      case 'sync-step1':
        this.guard(session, 'sync step 1', () => session.send(this.syncStep2For(frame.stateVector)));
        return;
      case 'sync-step2':
      case 'sync-update':
        this.applyUpdateFrom(session, frame.update);
        return;
      case 'awareness':
        this.guard(session, 'awareness update', () => this.applyAwareness(session, frame.update));
        return;
      case 'query-awareness':
        this.sendPresence(session);
        return;
      case 'ping':
      case 'pong':
        if (!session.isTandem) {
          this.rejectExtension(session, frame.type);
          return;
        }
        session.markAlive();
        if (frame.type === 'ping') session.sendExtension({ type: 'pong', id: frame.id });
        return;
      case 'ack':
      case 'notice':
      case 'auth-permission-denied':
        session.close(CloseCode.policyViolation, `${frame.type} frames are sent by the server only`);
        return;
      case 'doc':
      case 'open':
      case 'close-doc':
        session.close(CloseCode.policyViolation, `${frame.type} frames belong on the multiplexed endpoint /sync`);
        return;
      case 'auth-token':
        // Handled by the transport before frames reach the room.
        return;
      default:
        frame satisfies never;
    }
  }

  /** Closes every session with `code` and stops the room's timers and subscriptions. */
  destroy(code: number = CloseCode.goingAway, reason = 'room closed'): void {
    for (const session of this.sessions) session.close(code, reason);
    this.sessions.clear();
    clearTimeout(this.pendingTimer);
    this.leases.stop();
    this.subscription.close();
    this.doc.off('update', this.onDocUpdate);
    this.doc.off('afterTransaction', this.forgetFullState);
    this.doc.destroy();
  }

  /** The answer to a sync step 1: what the document holds beyond `stateVector` (SYNC-1). */
  private syncStep2For(stateVector: Uint8Array): Uint8Array {
    // An empty state vector is the single byte 0 (no clients).
    if (stateVector.byteLength !== 1 || stateVector[0] !== 0) {
      return encode.syncStep2(Y.encodeStateAsUpdate(this.doc, stateVector));
    }
    this.fullState ??= encode.syncStep2(Y.encodeStateAsUpdate(this.doc));
    return this.fullState;
  }

  /** Any transaction (applied, pending or not) and any dropped pending update outdate the cached full state. */
  private readonly forgetFullState = (): void => {
    this.fullState = null;
  };

  private rejectExtension(session: Session, type: string): void {
    session.close(
      CloseCode.policyViolation,
      `${type} is a tandem.v1 frame; negotiate the tandem.v1 subprotocol to send it`,
    );
  }

  /** Runs `apply`; a throw means the client sent bytes Yjs cannot use (SYNC-4). */
  private guard(session: Session, what: string, apply: () => void): void {
    try {
      apply();
    } catch (err) {
      session.log.warn({ err }, `rejected malformed ${what}`);
      session.close(CloseCode.undecodable, `malformed ${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Applies a client's update, persists it (group commit) and acks it once durable (EXT-3).
   * The incoming bytes are stored as sent whenever they changed the document or left structs
   * pending (waiting for missing dependencies), so nothing acked depends on memory alone.
   * A frame that brought nothing new is durable once everything queued before it is.
   */
  private applyUpdateFrom(session: Session, update: Uint8Array): void {
    const frameNumber = session.nextUpdateFrame();
    if (!session.canWrite) {
      // Read-only (AUTH-4): nothing applied, stored or relayed; the frame still counts, so acks stay aligned.
      session.sendExtension({
        type: 'notice',
        code: NoticeCode.readOnly,
        message: 'read-only: this change was not applied',
      });
      return;
    }
    // Store backlog full (PERSIST-5): not applied, relayed or stored; the client resends on reconnect.
    if (writesPausedFor(this.deps.persistence, update)) {
      session.close(CloseCode.tryAgainLater, WRITES_PAUSED_REASON);
      return;
    }
    const verdict = inspectUpdate(update, this.clocks, this.policy.updateLimits);
    if (!verdict.ok) {
      session.log.warn({ reason: verdict.reason }, 'refused update');
      session.close(verdict.code, verdict.reason);
      return;
    }
    const claim = this.owners.claimStructs(session, verdict.writtenClients, this.heldPresence);
    if (!claim.ok) {
      session.close(CloseCode.policyViolation, `Yjs client id ${claim.clientId} belongs to another session`);
      return;
    }
    this.tookOver(claim, true);
    const changesBefore = this.docChanges;
    try {
      Y.applyUpdate(this.doc, update, session);
    } catch (err) {
      session.log.warn({ err }, 'rejected malformed update');
      session.close(CloseCode.undecodable, `malformed update: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const store = this.doc.store;
    if (store.pendingStructs === null && store.pendingDs === null) this.historyArrived();
    else if (verdict.incomplete) this.awaitHistory(session);
    // Content first seen from another node may not be durable yet (its node can die before
    // committing): a client resending it makes this node store it, so an ack always means stored.
    const resentRemote = this.hasRemoteContent && update.byteLength > 2;
    const mustPersist =
      this.docChanges !== changesBefore || store.pendingStructs !== null || store.pendingDs !== null || resentRemote;
    const durable = mustPersist
      ? this.deps.persistence.enqueue(this.id, update)
      : this.deps.persistence.lastPending(this.id);
    if (durable === null) {
      session.acknowledge(frameNumber);
      return;
    }
    durable.then(
      () => {
        if (mustPersist) this.deps.compactor.noteAppended(this.id, update.byteLength);
        session.acknowledge(frameNumber);
      },
      (err: unknown) => this.fail(err),
    );
  }

  /**
   * An update built on history the server does not have waits in Yjs (a client may send its
   * next edit before its reconnect handshake arrives). If the history has not come by the
   * deadline it never will: the pending part is dropped and its senders are closed (YJS-3).
   */
  private awaitHistory(session: Session): void {
    this.pendingFrom.add(session);
    if (this.pendingTimer !== undefined) return;
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = undefined;
      const store = this.doc.store;
      const senders = [...this.pendingFrom];
      this.pendingFrom.clear();
      if (store.pendingStructs === null && store.pendingDs === null) return;
      store.pendingStructs = null;
      this.forgetFullState();
      store.pendingDs = null;
      this.deps.logger.warn(
        { room: this.id, sessions: senders.map((s) => s.id) },
        'dropped updates with missing history',
      );
      for (const sender of senders) {
        sender.close(CloseCode.policyViolation, 'update depends on history the server never received');
      }
    }, this.policy.pendingDeadlineMs);
    this.pendingTimer.unref();
  }

  /** Nothing waits any more: the senders of earlier out-of-order updates are in the clear. */
  private historyArrived(): void {
    if (this.pendingFrom.size === 0) return;
    this.pendingFrom.clear();
    clearTimeout(this.pendingTimer);
    this.pendingTimer = undefined;
  }

  /**
   * Applies an awareness update, dropping entries for client ids another client holds (AW-2). The
   * same client reconnected (same subject; anyone in open mode) takes its id over at once, from an
   * older session here or from another node's lease (CLUSTER-6).
   */
  private applyAwareness(session: Session, update: Uint8Array): void {
    if (!session.canWrite && !this.policy.readOnlyPresence) return;
    const admitted = admitAwareness(readAwarenessEntries(update), session.identity, this.policy);
    if (!admitted.ok) {
      session.close(CloseCode.policyViolation, admitted.reason);
      return;
    }
    const rewritten = session.identity !== null;
    const entries = admitted.entries;
    const first = !this.announced.has(session);
    this.announced.add(session);
    const corrections: AwarenessEntry[] = [];
    const allowed = entries.filter((entry) => {
      const held = this.presence.peek(entry.clientId);
      const claim = this.owners.claimPresence(session, entry, held);
      // A newer entry that moved here is relayed and published below, like any change.
      if (claim.ok) {
        this.tookOver(claim, false);
        return true;
      }
      // A session's first frame naming one id is its own announcement, not an echo (AW-6); when
      // another node holds the id, that node learns that the client continues here.
      if (first && entries.length === 1 && this.owners.nominate(session, entry, held) === 'announce') {
        this.deps.fanout.publish(this.id, { kind: 'awareness', payload: writeAwarenessEntries([entry]) });
      }
      // A state the room already removed at this clock or later: the sender is told of the removal.
      // A client whose own state it is then re-announces it with a newer clock (y-protocols does),
      // which claims the id; anyone else just drops the stale state (AW-7).
      if (entry.state !== 'null' && held?.state === null && entry.clock <= held.clock) {
        corrections.push({ clientId: entry.clientId, clock: held.clock, state: 'null' });
      }
      return false;
    });
    if (corrections.length > 0) session.send(encode.awareness(writeAwarenessEntries(corrections)));
    const changed = this.presence.apply(allowed);
    // Relayed as received when every entry applied unchanged: framed once, never re-encoded.
    const asReceived = changed.length === entries.length && !rewritten ? update : null;
    this.relayPresence(changed, session, true, asReceived);
  }

  private readonly heldPresence = (clientId: number) => this.presence.peek(clientId);

  /**
   * After a granted claim: older sessions of the same client are retired (4409), and ids that moved
   * here from another node's lease stop expiring and (when `announce`) are published at once, so
   * that node hands them over instead of removing them when it notices its stale session (AW-6).
   */
  private tookOver(claim: Extract<Claim<Session>, { ok: true }>, announce: boolean): void {
    this.retire(claim.takenFrom, 'Yjs client id taken over by a newer session of the same client');
    for (const clientId of claim.fromElsewhere) this.leases.forget(clientId);
    if (!announce || claim.fromElsewhere.length === 0) return;
    const moved = this.presence.entries(claim.fromElsewhere);
    if (moved.length > 0)
      this.deps.fanout.publish(this.id, { kind: 'awareness', payload: writeAwarenessEntries(moved) });
  }

  /** Sends a session every current presence state (on join, and when it queries awareness). */
  private sendPresence(session: Session): void {
    const entries = this.presence.entries();
    if (entries.length > 0) session.send(encode.awareness(writeAwarenessEntries(entries)));
  }

  /**
   * Relays presence changes to every session but `origin` and, when `publish`, to the other nodes.
   * `encoded` is the same entries already encoded (the update as a client sent it), if at hand.
   */
  private relayPresence(
    changed: readonly AwarenessEntry[],
    origin: Session | null,
    publish: boolean,
    encoded: Uint8Array | null = null,
  ): void {
    if (changed.length === 0) return;
    const update = encoded ?? writeAwarenessEntries(changed);
    const frame = encode.awareness(update);
    for (const session of this.sessions) {
      if (session !== origin) session.send(frame);
    }
    if (publish) this.deps.fanout.publish(this.id, { kind: 'awareness', payload: update });
  }

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    this.docChanges++;
    const local = origin !== FROM_FANOUT;
    const fromSession = local && origin !== IMPORTED ? (origin as Session) : null;
    this.outbox.push({ origin: fromSession, update, local });
    this.outboxBytes += update.byteLength;
    if (this.outboxBytes >= MAX_COALESCED_BYTES) {
      this.flushOutbox();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flushOutbox();
      });
    }
  };

  /**
   * Sends everything that arrived this turn, one write per session. A few updates go out framed
   * once each, and no session gets its own back. A crowded turn goes out as one merged frame, to
   * senders too when their own share is small (Yjs ignores what it already has): leaving each
   * sender's updates out would take one merge per sender, quadratic in the turn's size — the
   * turns that grow when a room is overloaded. A heavy sender (a paste, an import) still gets
   * only the others' updates, so its own bytes never come back to it.
   */
  private readonly flushOutbox = (): void => {
    const batch = this.outbox;
    this.outbox = [];
    this.outboxBytes = 0;
    if (batch.length === 0 || this.failed) return;
    if (batch.length >= MERGE_FROM_UPDATES) {
      const merged = [encode.syncUpdate(mergeAll(batch.map((o) => o.update)))];
      const ownBytes = new Map<Session | null, number>();
      for (const o of batch) ownBytes.set(o.origin, (ownBytes.get(o.origin) ?? 0) + o.update.byteLength);
      for (const session of this.sessions) {
        if ((ownBytes.get(session) ?? 0) <= MAX_ECHOED_BYTES) {
          session.sendAll(merged);
          continue;
        }
        const others = batch.filter((o) => o.origin !== session).map((o) => o.update);
        if (others.length > 0) session.sendAll([encode.syncUpdate(mergeAll(others))]);
      }
    } else {
      const origins = new Set(batch.map((o) => o.origin));
      const frames = batch.map((o) => encode.syncUpdate(o.update));
      for (const session of this.sessions) {
        session.sendAll(origins.has(session) ? frames.filter((_, i) => batch[i]?.origin !== session) : frames);
      }
    }
    const local = batch.filter((o) => o.local).map((o) => o.update);
    if (local.length >= MERGE_FROM_UPDATES) {
      this.deps.fanout.publish(this.id, { kind: 'update', payload: mergeAll(local) });
    } else {
      for (const update of local) this.deps.fanout.publish(this.id, { kind: 'update', payload: update });
    }
  };

  private readonly onFanoutMessage = (message: FanoutMessage): void => {
    try {
      switch (message.kind) {
        case 'update':
          this.hasRemoteContent = true;
          Y.applyUpdate(this.doc, message.payload, FROM_FANOUT);
          return;
        case 'awareness':
          this.applyRemoteAwareness(message.payload);
          return;
        case 'sync-request':
        case 'sync-state': {
          const missing = Y.encodeStateAsUpdate(this.doc, message.payload);
          if (!isEmptyUpdate(missing)) this.deps.fanout.publish(this.id, { kind: 'update', payload: missing });
          if (message.kind === 'sync-request') {
            this.deps.fanout.publish(this.id, { kind: 'sync-state', payload: Y.encodeStateVector(this.doc) });
            this.publishLocalPresence();
          }
          return;
        }
        default:
          message.kind satisfies never;
      }
    } catch (err) {
      this.deps.logger.error({ err, room: this.id }, 'dropped an undecodable fan-out message');
    }
  };

  /**
   * Applies another node's awareness; its client ids become off-limits to other local clients
   * (AW-2). A local session whose client announced itself there (it reconnected to that node)
   * hands its id over and is closed without removing its presence (AW-6).
   */
  private applyRemoteAwareness(update: Uint8Array): void {
    const entries = readAwarenessEntries(update);
    const continued: Session[] = [];
    const allowed = entries.filter((entry) => {
      const held = this.presence.peek(entry.clientId);
      const age = ageOf(entry, held);
      const verdict = this.owners.announcedElsewhere(entry.clientId, entry.state, age);
      if (!verdict.apply) return false;
      if (verdict.continues !== null) continued.push(verdict.continues);
      if (entry.state === 'null') this.leases.forget(entry.clientId);
      else this.leases.renew(entry.clientId);
      return true;
    });
    this.retire(continued, 'Yjs client id continued on another node');
    const changed = this.presence.apply(allowed);
    this.relayPresence(changed, null, false, changed.length === entries.length ? update : null);
  }

  /** Re-announces every presence local sessions own, so other nodes keep (or regain) it. */
  private publishLocalPresence(): void {
    const entries = this.presence.entries(this.owners.localPresenceIds());
    if (entries.length === 0) return;
    this.deps.fanout.publish(this.id, { kind: 'awareness', payload: writeAwarenessEntries(entries) });
  }

  private readonly renewPresence = (): void => {
    this.publishLocalPresence();
    const removed: number[] = [];
    const passed: number[] = [];
    for (const clientId of this.leases.takeExpired()) {
      const outcome = this.owners.leaseExpired(clientId);
      if (outcome === null) continue;
      (outcome.passedTo === null ? removed : passed).push(clientId);
    }
    // Ids whose client moved here while that node held them: announced from here from now on.
    const adopted = this.presence.entries(passed);
    if (adopted.length > 0)
      this.deps.fanout.publish(this.id, { kind: 'awareness', payload: writeAwarenessEntries(adopted) });
    if (removed.length === 0) return;
    this.deps.logger.info({ room: this.id, clients: removed }, 'presence from another node expired');
    this.relayPresence(this.presence.remove(removed), null, false);
    // Forget the clocks too: if that node comes back, its next renewal (same clock) must apply again.
    for (const clientId of removed) this.presence.forget(clientId);
  };

  /** The store refused an update: the in-memory state is ahead of storage, so the room must go. */
  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.deps.logger.error({ err, room: this.id }, 'persisting an update failed; closing the room');
    this.deps.onFailed(this);
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

/** True for an update that carries no structs and no deletions (Yjs encodes it as two zero bytes). */
function isEmptyUpdate(update: Uint8Array): boolean {
  return update.byteLength <= 2;
}

function mergeAll(updates: readonly Uint8Array[]): Uint8Array {
  return updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates as Uint8Array[]);
}
