import { CloseCode, encode, type Frame } from '@tandem/protocol';
import type { Logger } from 'pino';
import * as Y from 'yjs';
import type { Fanout } from '../fanout/fanout.js';
import type { StoredDoc } from '../storage/doc-store.js';
import type { VersionAuthor } from '../storage/version-store.js';
import type { AutoVersions, RoomVersionTracker } from './auto-versions.js';
import { BroadcastOutbox, type Scheduler } from './broadcast-outbox.js';
import { ClusterLink, FROM_CLUSTER } from './cluster-link.js';
import type { Compactor } from './compactor.js';
import type { EarlySubscription } from './early-subscription.js';
import { FullStateCache } from './full-state-cache.js';
import type { RoomMember } from './member.js';
import { hasPending, MissingHistoryWait } from './missing-history.js';
import type { PersistenceScheduler } from './persistence-scheduler.js';
import type { PresenceTable } from './presence-table.js';
import { type DocumentState, RoomDocument } from './room-document.js';
import { RoomPresence } from './room-presence.js';
import type { ClientClocks } from './update-guard.js';
import { type ImportVerdict, mustStore, WriteAdmission } from './write-admission.js';
import { DEFAULT_WRITE_POLICY, type WritePolicy } from './write-policy.js';

export type { ImportVerdict } from './write-admission.js';

/** Transaction origin of updates the server applies itself (admin import, restore): relayed to every member. */
class Imported {
  constructor(readonly author: VersionAuthor | null) {}
}

/** Who wrote a change, by its transaction origin: a member, an import's author, or nobody here (another node). */
function authorOf(origin: unknown): VersionAuthor | null {
  if (origin instanceof Imported) return origin.author;
  if (origin === FROM_CLUSTER || origin === null || typeof origin !== 'object') return null;
  const identity = (origin as RoomMember).identity;
  return identity === null ? { userId: null, name: 'anonymous' } : { userId: identity.userId, name: identity.name };
}

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
  /** What members may write (read-only presence, awareness size, update bounds); defaults apply without it. */
  readonly writePolicy?: WritePolicy;
  /** Where the broadcast of a turn is scheduled (default setImmediate). */
  readonly schedule?: Scheduler;
  /** Takes automatic versions of the document (VER-3); without it the room takes none. */
  readonly versions?: AutoVersions;
}

const DEFAULT_AWARENESS_TIMEOUT_MS = 30_000;

/**
 * One document's live state: the document (its bytes, or a Y.Doc once something needs one; see
 * {@link RoomDocument}) and the members editing it. Dispatches their frames to
 * the policies it is made of — write admission, the missing-history wait, the broadcast outbox,
 * presence and the cluster link — and persists and acks what they write.
 */
export class Room implements DocumentState {
  readonly id: string;
  private readonly document: RoomDocument;
  private readonly deps: RoomDeps;
  private readonly members = new Set<RoomMember>();
  private readonly fullState: FullStateCache;
  private readonly link: ClusterLink;
  private readonly roomPresence: RoomPresence;
  private readonly outbox: BroadcastOutbox;
  private readonly admission: WriteAdmission;
  private readonly history: MissingHistoryWait;
  private readonly versions: RoomVersionTracker | null;
  private failed = false;
  private released = false;
  /** Counts doc update events, to tell whether applying a frame changed the document. */
  private docChanges = 0;

  /**
   * Creates a room around a document read from the store: its merged bytes, built into a Y.Doc
   * when first needed (see {@link RoomDocument}), or a Y.Doc.
   */
  constructor(id: string, doc: Y.Doc | RoomDocument, deps: RoomDeps) {
    this.id = id;
    this.deps = deps;
    const document = doc instanceof RoomDocument ? doc : RoomDocument.of(doc);
    this.document = document;
    const policy = deps.writePolicy ?? DEFAULT_WRITE_POLICY;
    document.onBuilt((built) => built.on('update', this.onDocUpdate));
    this.fullState = new FullStateCache(document);
    this.link = new ClusterLink({
      roomId: id,
      document,
      applyRemote: (update) => this.applyRemoteUpdate(update),
      fanout: deps.fanout,
      logger: deps.logger,
      ...(deps.subscription === undefined ? {} : { subscription: deps.subscription }),
    });
    this.roomPresence = new RoomPresence({
      roomId: id,
      members: this.members,
      expel: (member) => this.members.delete(member),
      publish: (update) => this.link.publishAwareness(update),
      logger: deps.logger,
      policy,
      awarenessTimeoutMs: deps.awarenessTimeoutMs ?? DEFAULT_AWARENESS_TIMEOUT_MS,
    });
    this.outbox = new BroadcastOutbox({
      members: this.members,
      publish: this.link.publishUpdate,
      ...(deps.schedule === undefined ? {} : { schedule: deps.schedule }),
    });
    // The document's state vector, read in place (no encode/decode per update).
    const clocks: ClientClocks = { get: (client) => document.clockOf(client) };
    this.admission = new WriteAdmission({ persistence: deps.persistence, clocks, policy, claims: this.roomPresence });
    this.history = new MissingHistoryWait({
      roomId: id,
      document,
      deadlineMs: policy.pendingDeadlineMs,
      logger: deps.logger,
      onDropped: this.fullState.forget,
    });
    this.link.start(this.roomPresence, (body) => this.deliverStateless(null, body));
    this.versions = deps.versions?.track(id, document) ?? null;
  }

  /** The document, built into a Y.Doc now if it was kept as merged bytes (see {@link RoomDocument}). */
  get doc(): Y.Doc {
    return this.document.doc;
  }

  /** Whether the room's Y.Doc exists (a document loads as merged bytes and is built when first needed). */
  get docBuilt(): boolean {
    return this.document.isBuilt;
  }

  /**
   * The whole document as one update, once the updates appended to a large document's bytes are
   * merged by the snapshot thread (what is left is merged here, a few at most).
   */
  async settledState(): Promise<Uint8Array> {
    await this.document.whenMerged();
    return this.document.wholeState();
  }

  /** The whole document as updates that together make it, without merging or building anything large. */
  stateParts(): readonly Uint8Array[] {
    return this.document.stateParts();
  }

  /** The document's state vector (Yjs encoding), without building its Y.Doc. */
  stateVector(): Uint8Array {
    return this.document.stateVector();
  }

  /** Awareness states (presence), kept as the JSON the clients sent. */
  get presence(): PresenceTable {
    return this.roomPresence.table;
  }

  /**
   * Asks the other nodes holding this room for whatever this node lacks, and offers them the same
   * (state-vector exchange). Called after a load and whenever the fan-out may have lost messages.
   */
  catchUp(): void {
    this.link.catchUp();
  }

  /** Applies state read from the shared store (written by any node); never persisted or republished again. */
  applyStored(stored: StoredDoc): void {
    this.link.applyStored(stored);
  }

  /** Members currently in the room. */
  get sessionCount(): number {
    return this.members.size;
  }

  /**
   * Relays a Hocuspocus stateless message (its encoded body) from `from` to the document's other
   * Hocuspocus sessions, on this node and on every other node holding the room (HP-8).
   */
  relayStateless(from: RoomMember, body: Uint8Array): void {
    this.deliverStateless(from, body);
    this.link.publishStateless(body);
  }

  private deliverStateless(from: RoomMember | null, body: Uint8Array): void {
    for (const member of this.members) {
      if (member !== from && member.protocol === 'hocuspocus') member.send(body);
    }
  }

  /** Iterates the members in the room. */
  allSessions(): IterableIterator<RoomMember> {
    return this.members.values();
  }

  /** Adds a member and starts the sync handshake (SYNC-1). */
  add(member: RoomMember): void {
    this.members.add(member);
    member.send(encode.syncStep1(this.document.stateVector()));
    this.roomPresence.sendTo(member);
  }

  /** Removes a member; the awareness states it owned are removed for everyone (AW-3). */
  remove(member: RoomMember): void {
    if (!this.members.delete(member)) return;
    this.roomPresence.left(member);
  }

  /**
   * Applies an update that did not come from a member (admin import): inspected like any
   * other (YJS-1), relayed to every member and the other nodes, and resolved once it is stored.
   * A refused update touches nothing. `author` is who the change is attributed to in the version
   * history (VER-5); without it, nobody.
   */
  async importUpdate(update: Uint8Array, author: VersionAuthor | null = null): Promise<ImportVerdict> {
    const verdict = this.admission.admitImport(update);
    if (!verdict.ok) return verdict;
    try {
      Y.applyUpdate(this.doc, update, new Imported(author));
    } catch (err) {
      return { ok: false, reason: `malformed update: ${err instanceof Error ? err.message : String(err)}` };
    }
    try {
      await this.deps.persistence.enqueue(this.id, update, true);
    } catch (err) {
      this.fail(err);
      throw err;
    }
    this.deps.compactor.noteAppended(this.id, update.byteLength);
    return { ok: true };
  }

  /** The first client id `update` writes new structs under that a live member writes (YJS-5), if any. */
  liveWriterOf(update: Uint8Array): number | null {
    return this.admission.liveWriterOf(update);
  }

  /** Who wrote here since the last version, cleared: the named or implicit version taken now covers them. */
  takeVersionAuthors(): readonly VersionAuthor[] {
    return this.versions?.takeAuthors() ?? [];
  }

  /** Handles one decoded frame from a member of this room. */
  receive(member: RoomMember, frame: Frame): void {
    switch (frame.type) {
      case 'sync-step1':
        this.guard(member, 'sync step 1', () =>
          this.fullState.answer(frame.stateVector, member, (err) => {
            this.deps.logger.error({ err, room: this.id }, 'could not answer a sync step 1');
            member.close(CloseCode.internalError, 'could not read the document');
          }),
        );
        return;
      case 'sync-step2':
      case 'sync-update':
        this.applyUpdateFrom(member, frame.update);
        return;
      case 'awareness':
        this.guard(member, 'awareness update', () => this.roomPresence.applyLocal(member, frame.update));
        return;
      case 'query-awareness':
        this.roomPresence.sendTo(member);
        return;
      case 'ping':
      case 'pong':
        if (!member.isTandem) {
          member.close(
            CloseCode.policyViolation,
            `${frame.type} is a tandem.v1 frame; negotiate the tandem.v1 subprotocol to send it`,
          );
          return;
        }
        member.markAlive();
        if (frame.type === 'ping') member.sendExtension({ type: 'pong', id: frame.id });
        return;
      case 'ack':
      case 'notice':
      case 'auth-permission-denied':
        member.close(CloseCode.policyViolation, `${frame.type} frames are sent by the server only`);
        return;
      case 'doc':
      case 'open':
      case 'close-doc':
        member.close(CloseCode.policyViolation, `${frame.type} frames belong on the multiplexed endpoint /sync`);
        return;
      case 'auth-token':
        // Handled by the transport before frames reach the room.
        return;
      default:
        frame satisfies never;
    }
  }

  /** Closes every member with `code` and stops the room's timers and subscriptions. */
  destroy(code: number = CloseCode.goingAway, reason = 'room closed'): void {
    for (const member of this.members) member.close(code, reason);
    this.members.clear();
    this.release();
    this.document.destroy();
  }

  /**
   * Stops the room's timers and listeners, in order: the one place they are released (a method,
   * not a list of closures: six fewer objects per room).
   */
  private release(): void {
    if (this.released) return;
    this.released = true;
    // Reads the pending version's state before the document is destroyed.
    void this.versions?.close();
    this.history.stop();
    this.roomPresence.stop();
    this.link.close();
    this.document.builtDoc?.off('update', this.onDocUpdate);
    this.fullState.dispose();
  }

  /** Runs `apply`; a throw means the client sent bytes Yjs cannot use (SYNC-4). */
  private guard(member: RoomMember, what: string, apply: () => void): void {
    try {
      apply();
    } catch (err) {
      member.log.warn({ err }, `rejected malformed ${what}`);
      member.close(CloseCode.undecodable, `malformed ${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Applies a member's update once admitted, persists it (group commit) and acks it once durable
   * (EXT-3). What is stored is decided by {@link mustStore}; a frame that brought nothing new is
   * durable once everything queued before it is.
   */
  private applyUpdateFrom(member: RoomMember, update: Uint8Array): void {
    const frameNumber = member.nextUpdateFrame();
    const admitted = this.admission.admit(member, update);
    if (admitted === null) return;
    let changed: boolean;
    let pending = false;
    if (this.document.canAppend(admitted.incomplete)) {
      // Everything it builds on is in the document: appended to the bytes and relayed as it came.
      changed = admitted.writtenClients.length > 0 || admitted.deletes;
      if (changed) {
        this.document.append(update, admitted.covered);
        this.fullState.forget();
        this.outbox.push(member, update, true);
        this.versions?.changed(authorOf(member));
      }
    } else {
      const changesBefore = this.docChanges;
      const { doc } = this.document;
      try {
        Y.applyUpdate(doc, update, member);
      } catch (err) {
        member.log.warn({ err }, 'rejected malformed update');
        member.close(CloseCode.undecodable, `malformed update: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      changed = this.docChanges !== changesBefore;
      pending = hasPending(doc);
    }
    if (!pending) this.history.arrived();
    else if (admitted.incomplete) this.history.wait(member);
    const stored = mustStore(update, changed, pending, this.link.hasRemoteContent);
    const durable = stored
      ? this.deps.persistence.enqueue(this.id, update, member.acknowledges)
      : this.deps.persistence.lastPending(this.id, member.acknowledges);
    if (durable === null) {
      member.acknowledge(frameNumber);
      return;
    }
    durable.then(
      () => {
        if (stored) this.deps.compactor.noteAppended(this.id, update.byteLength);
        member.acknowledge(frameNumber);
      },
      (err: unknown) => this.fail(err),
    );
  }

  /**
   * Another node's update (it was admitted where it was written): appended to the bytes when the
   * guard finds it complete, and relayed to the members here (not stored or published again, as
   * an update the Y.Doc applies with origin FROM_CLUSTER); otherwise applied to the Y.Doc.
   */
  private applyRemoteUpdate(update: Uint8Array): void {
    if (!this.document.isBuilt) {
      const verdict = this.admission.inspect(update);
      if (verdict.ok && this.document.canAppend(verdict.incomplete)) {
        if (verdict.writtenClients.length > 0 || verdict.deletes) {
          this.document.append(update, verdict.covered);
          this.fullState.forget();
          this.outbox.push(null, update, false);
          this.versions?.changed(null);
        }
        return;
      }
    }
    Y.applyUpdate(this.document.doc, update, FROM_CLUSTER);
  }

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    this.docChanges++;
    const local = origin !== FROM_CLUSTER;
    this.outbox.push(local && !(origin instanceof Imported) ? (origin as RoomMember) : null, update, local);
    this.versions?.changed(authorOf(origin));
  };

  /** The store refused an update: the in-memory state is ahead of storage, so the room must go. */
  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.outbox.halt();
    this.deps.logger.error({ err, room: this.id }, 'persisting an update failed; closing the room');
    this.deps.onFailed(this);
  }
}
