import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { type SnapshotBuilder, snapshotsHere } from '../storage/snapshot-thread.js';
import { type RetentionPolicy, thinVersions } from '../storage/version-retention.js';
import {
  mergeAuthors,
  type NewVersion,
  sameAuthor,
  type VersionAuthor,
  type VersionStore,
} from '../storage/version-store.js';
import type { DocumentState } from './room-document.js';

/** When automatic versions are taken (VER-3). */
export interface AutoVersionPolicy {
  /** A version is taken once the document has been idle this long after a change. */
  readonly idleMs: number;
  /** …and at least this often while changes keep coming. */
  readonly maxIntervalMs: number;
  readonly retention: RetentionPolicy;
}

/** Timers, injectable so tests advance them by hand. */
export interface VersionTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: VersionTimers = {
  set(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One room's change tracking: the room reports its changes; closing takes what is pending. */
export interface RoomVersionTracker {
  /** The document changed; `author` wrote it on this node (null: it came from another node). */
  changed(author: VersionAuthor | null): void;
  /** Takes the pending version now, if any (a room about to unload); resolves once stored or failed. */
  close(): Promise<void>;
  /** Who wrote since the last version, cleared: a named or implicit version taken now covers them. */
  takeAuthors(): readonly VersionAuthor[];
}

/** Takes automatic versions of the rooms it tracks. */
export interface AutoVersions {
  track(docId: string, document: DocumentState): RoomVersionTracker;
}

/**
 * What an automatic version covers: a digest of the state vector (Yjs encoding, clients in a
 * fixed order), equal on every node holding the same state, whether as a Y.Doc or as bytes.
 */
export function coversOf(stateVector: Uint8Array): string {
  return createHash('sha256').update(stateVector).digest('base64url');
}

/** An automatic version's fields, read at once: its state as parts, merged before it is stored. */
interface VersionParts extends Pick<NewVersion, 'covers' | 'createdAt'> {
  readonly parts: readonly Uint8Array[];
}

/**
 * Automatic versions (VER-3, VER-4, VER-12): after a change, a version once the document has been
 * idle for `idleMs`, and at least every `maxIntervalMs` while it keeps changing; none without a
 * change. Every node holding the room takes it; the store's conditional insert keeps one (the
 * same state, or another automatic version within half the shorter period), and a node whose
 * version lost adds the authors it saw to the one kept. Each stored version thins the document's.
 */
export function createAutoVersions(deps: {
  readonly versions: VersionStore;
  readonly policy: AutoVersionPolicy;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly timers?: VersionTimers;
  /** Merges a version's state when the document gave it in parts (default: here; the server passes the snapshot thread). */
  readonly merger?: Pick<SnapshotBuilder, 'merge'>;
}): AutoVersions {
  const merger = deps.merger ?? snapshotsHere;
  const window = Math.min(deps.policy.idleMs, deps.policy.maxIntervalMs) / 2;
  const taker: VersionTaker = {
    policy: deps.policy,
    logger: deps.logger,
    now: deps.now ?? Date.now,
    timers: deps.timers ?? realTimers,
    async store(docId, { parts, covers, createdAt }, authors) {
      const version: NewVersion = {
        docId,
        kind: 'auto',
        label: null,
        reason: null,
        authors,
        createdBy: null,
        state: parts.length === 1 ? (parts[0] as Uint8Array) : await merger.merge(parts),
        covers,
        createdAt,
      };
      const added = await deps.versions.addVersion(version, { since: createdAt - window });
      if (added.created) {
        await thinVersions(deps.versions, docId, createdAt, deps.policy.retention);
      } else if (added.version !== null && authors.length > 0) {
        await deps.versions.addAuthors(docId, added.version.id, authors);
      }
    },
  };
  return { track: (docId, document) => new TrackedRoom(taker, docId, document) };
}

/** What every tracked room shares: the policy, the clock and timers, and how a version is stored. */
interface VersionTaker {
  readonly policy: AutoVersionPolicy;
  readonly logger: Logger;
  readonly now: () => number;
  readonly timers: VersionTimers;
  store(docId: string, fields: VersionParts, authors: readonly VersionAuthor[]): Promise<void>;
}

/**
 * One room's tracking: a class over the shared {@link VersionTaker}, not closures per room (rooms
 * are many and mostly idle); timer callbacks are made only while the room changes.
 */
class TrackedRoom implements RoomVersionTracker {
  private dirty = false;
  private authors: readonly VersionAuthor[] = [];
  private idle: unknown = null;
  private longest: unknown = null;
  private closed = false;
  /** The version being stored, if any (they are stored in order). */
  private writing: Promise<void> | null = null;
  /** When the last change came (idle is measured from it). */
  private lastChange = 0;

  constructor(
    private readonly taker: VersionTaker,
    private readonly docId: string,
    private readonly document: DocumentState,
  ) {}

  changed(author: VersionAuthor | null): void {
    if (this.closed) return;
    const { timers, policy } = this.taker;
    this.dirty = true;
    this.lastChange = this.taker.now();
    // Most changes come from an author already listed: no new list for them.
    if (author !== null && !this.authors.some((a) => sameAuthor(a, author))) {
      this.authors = mergeAuthors(this.authors, [author]);
    }
    // One idle timer per burst, pushed back when it fires early, instead of one per change.
    this.idle ??= timers.set(() => this.whenIdle(), policy.idleMs);
    this.longest ??= timers.set(() => void this.take(), policy.maxIntervalMs);
  }

  close(): Promise<void> {
    this.closed = true;
    return this.take();
  }

  takeAuthors(): readonly VersionAuthor[] {
    const covered = this.authors;
    this.authors = [];
    return covered;
  }

  private whenIdle(): void {
    const { timers, policy } = this.taker;
    const quietFor = this.taker.now() - this.lastChange;
    if (quietFor >= policy.idleMs) {
      void this.take();
      return;
    }
    this.idle = timers.set(() => this.whenIdle(), policy.idleMs - quietFor);
  }

  private take(): Promise<void> {
    const { timers } = this.taker;
    timers.clear(this.idle);
    timers.clear(this.longest);
    this.idle = this.longest = null;
    if (!this.dirty) return this.writing ?? Promise.resolve();
    this.dirty = false;
    const covered = this.takeAuthors();
    // The state is read now, synchronously (the room may be destroyed right after); a large
    // document's parts are merged off the event loop.
    const fields: VersionParts = {
      parts: this.document.stateParts(),
      covers: coversOf(this.document.stateVector()),
      createdAt: this.taker.now(),
    };
    const { taker, docId } = this;
    this.writing = (this.writing ?? Promise.resolve())
      .then(() => taker.store(docId, fields, covered))
      .catch((err: unknown) => taker.logger.warn({ err, room: docId }, 'could not store an automatic version'));
    return this.writing;
  }
}
