import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import * as Y from 'yjs';
import { type RetentionPolicy, thinVersions } from '../storage/version-retention.js';
import {
  mergeAuthors,
  type NewVersion,
  sameAuthor,
  type VersionAuthor,
  type VersionStore,
} from '../storage/version-store.js';

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
  track(docId: string, document: { readonly doc: Y.Doc }): RoomVersionTracker;
}

/** What an automatic version covers: a digest of the state vector, equal on every node holding the same state. */
export function coversOf(doc: Y.Doc): string {
  return createHash('sha256').update(Y.encodeStateVector(doc)).digest('base64url');
}

/** The document's whole state as a new version's fields (its time, state and what it covers). */
export function versionState(doc: Y.Doc, now: number): Pick<NewVersion, 'state' | 'covers' | 'createdAt'> {
  return { state: Y.encodeStateAsUpdate(doc), covers: coversOf(doc), createdAt: now };
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
}): AutoVersions {
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? realTimers;
  const window = Math.min(deps.policy.idleMs, deps.policy.maxIntervalMs) / 2;

  const store = async (docId: string, fields: ReturnType<typeof versionState>, authors: readonly VersionAuthor[]) => {
    const version: NewVersion = { docId, kind: 'auto', label: null, reason: null, authors, createdBy: null, ...fields };
    const added = await deps.versions.addVersion(version, { since: fields.createdAt - window });
    if (added.created) {
      await thinVersions(deps.versions, docId, fields.createdAt, deps.policy.retention);
    } else if (added.version !== null && authors.length > 0) {
      await deps.versions.addAuthors(docId, added.version.id, authors);
    }
  };

  return {
    track(docId, document) {
      let dirty = false;
      let authors: readonly VersionAuthor[] = [];
      let idle: unknown = null;
      let longest: unknown = null;
      let closed = false;
      let writing: Promise<void> = Promise.resolve();
      /** When the last change came (idle is measured from it). */
      let lastChange = 0;
      const whenIdle = (): void => {
        const quietFor = now() - lastChange;
        if (quietFor >= deps.policy.idleMs) {
          void take();
          return;
        }
        idle = timers.set(whenIdle, deps.policy.idleMs - quietFor);
      };
      const take = (): Promise<void> => {
        timers.clear(idle);
        timers.clear(longest);
        idle = longest = null;
        if (!dirty) return writing;
        dirty = false;
        const covered = authors;
        authors = [];
        // The state is read now, synchronously: the room may be destroyed right after.
        const fields = versionState(document.doc, now());
        writing = writing
          .then(() => store(docId, fields, covered))
          .catch((err: unknown) => deps.logger.warn({ err, room: docId }, 'could not store an automatic version'));
        return writing;
      };
      return {
        changed(author) {
          if (closed) return;
          dirty = true;
          lastChange = now();
          // Most changes come from an author already listed: no new list for them.
          if (author !== null && !authors.some((a) => sameAuthor(a, author))) authors = mergeAuthors(authors, [author]);
          // One idle timer per burst, pushed back when it fires early, instead of one per change.
          idle ??= timers.set(whenIdle, deps.policy.idleMs);
          longest ??= timers.set(() => void take(), deps.policy.maxIntervalMs);
        },
        close() {
          closed = true;
          return take();
        },
        takeAuthors() {
          const covered = authors;
          authors = [];
          return covered;
        },
      };
    },
  };
}
