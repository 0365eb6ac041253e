import type { Logger } from 'pino';
import type { DocStore, StoredDoc } from '../storage/doc-store.js';
import { type SnapshotBuilder, snapshotsHere } from '../storage/snapshot-thread.js';
import { spreadAboveByName } from './spread-by-name.js';

/** When a document's update log is merged into its snapshot. */
export interface CompactionPolicy {
  /** Compact once the log holds this many updates. */
  readonly afterUpdates: number;
  /** Compact once the log holds this many bytes. */
  readonly afterBytes: number;
  /**
   * Each document compacts at its own count of updates, from `afterUpdates` to just under twice
   * it by its name ({@link spreadAboveByName}), instead of every document at `afterUpdates`.
   */
  readonly spread?: boolean;
}

/** Compaction policy: counts each loaded document's log and merges it into a snapshot past a threshold. */
export interface Compactor {
  /** Starts tracking a document as loaded, with the update log it was loaded with. */
  track(docId: string, log: StoredLog): void;
  /** Records an append that the store has taken; may start a compaction. */
  noteAppended(docId: string, bytes: number): void;
  /**
   * Resolves when no compaction is running for `docId` (or for any document when omitted). A
   * compaction still waiting for its turn is dropped instead of waited for: the document is
   * compacted when it is next loaded, or after its next append.
   */
  settled(docId?: string): Promise<void>;
  /** Stops tracking a document (after {@link settled}). */
  untrack(docId: string): void;
}

/** A stored document's update log, counted (see {@link storedLogOf}). */
export interface StoredLog {
  readonly updates: number;
  readonly bytes: number;
}

/** How many updates and bytes `stored` holds after its snapshot. */
export function storedLogOf(stored: StoredDoc): StoredLog {
  return { updates: stored.updates.length, bytes: stored.updates.reduce((sum, u) => sum + u.update.byteLength, 0) };
}

interface LogState {
  /** This document's threshold in updates (see {@link CompactionPolicy.spread}). */
  readonly afterUpdates: number;
  updates: number;
  bytes: number;
  /** Settles when the compaction due for this document ended or was dropped; null when none is. */
  running: Promise<void> | null;
  /** Settles {@link running}. */
  release: () => void;
  /** Due, waiting for its turn (not started). */
  waiting: boolean;
}

/** What one compaction merged. */
interface LogCompaction {
  /** The last merged seq: the snapshot now covers everything up to it. */
  readonly throughSeq: number;
  /** Logged updates merged, and their bytes. */
  readonly updates: number;
  readonly bytes: number;
  readonly snapshotBytes: number;
}

/** What {@link createCompactor} works with. */
export interface CompactorDeps {
  readonly store: DocStore;
  readonly logger: Logger;
  readonly policy: CompactionPolicy;
  /**
   * Where the merge is computed (default: here, on the event loop). The server passes the
   * snapshot thread, so a compaction holds neither the event loop nor the store's commits: the
   * store only reads the log and then replaces its prefix.
   */
  readonly snapshots?: SnapshotBuilder;
}

/**
 * Creates a compactor. The snapshot is built from what the store holds (snapshot + every logged
 * update up to the last seq read), never from memory, and replaces that prefix in one store call:
 * the store's atomic `compact` means a crash at any point loses and duplicates nothing, and
 * updates appended meanwhile (later seqs) stay in the log.
 */
export function createCompactor(deps: CompactorDeps): Compactor {
  const logs = new Map<string, LogState>();
  const snapshots = deps.snapshots ?? snapshotsHere;

  const compactStored = async (docId: string, stored: StoredDoc): Promise<LogCompaction | null> => {
    const last = stored.updates.at(-1);
    if (last === undefined) return null;
    // Counted first: the build and the store take the bytes over (no copy of a large document stays here).
    const { updates, bytes } = storedLogOf(stored);
    const snapshot = (await snapshots.build(stored, docId)).state;
    const snapshotBytes = snapshot.byteLength;
    await deps.store.compact(docId, snapshot, last.seq);
    return { throughSeq: last.seq, updates, bytes, snapshotBytes };
  };

  const compact = async (docId: string, state: LogState) => {
    const started = Date.now();
    deps.logger.info({ room: docId, updates: state.updates, bytes: state.bytes }, 'compaction started');
    const done = await compactStored(docId, await deps.store.load(docId));
    if (done === null) return;
    state.updates = Math.max(0, state.updates - done.updates);
    state.bytes = Math.max(0, state.bytes - done.bytes);
    deps.logger.info(
      {
        room: docId,
        through: done.throughSeq,
        merged: done.updates,
        snapshotBytes: done.snapshotBytes,
        ms: Date.now() - started,
      },
      'compaction done',
    );
  };

  /**
   * Documents due for a compaction, in the order they became due: compactions run one at a time
   * across documents. Rooms written at the same pace reach the threshold together; started at
   * once, their loads and writes reach the store back to back, and every commit queued behind
   * them waits for all of them (a durable ack's tail). One at a time, a commit waits for one.
   */
  const due: [string, LogState][] = [];
  let active = false;

  /** Starts the next compaction due, if any (its first step, the store's read, starts now). */
  const next = (): void => {
    const entry = due.shift();
    if (entry === undefined) {
      active = false;
      return;
    }
    active = true;
    const [docId, state] = entry;
    state.waiting = false;
    compact(docId, state)
      .catch((err: unknown) => {
        // Nothing changed in the store; try again after another threshold's worth of updates.
        state.updates = 0;
        state.bytes = 0;
        deps.logger.error({ err, room: docId }, 'compaction failed');
      })
      .finally(() => {
        state.running = null;
        state.release();
        next();
      });
  };

  const maybeCompact = (docId: string, state: LogState) => {
    if (state.running !== null) return;
    if (state.updates < state.afterUpdates && state.bytes < deps.policy.afterBytes) return;
    state.running = new Promise<void>((resolve) => {
      state.release = resolve;
    });
    state.waiting = true;
    due.push([docId, state]);
    if (!active) next();
  };

  /** Drops a compaction still waiting for its turn; returns what is left to wait for. */
  const settle = (state: LogState | undefined): Promise<void> | null => {
    if (state === undefined || !state.waiting) return state?.running ?? null;
    due.splice(
      due.findIndex(([, s]) => s === state),
      1,
    );
    state.waiting = false;
    state.running = null;
    state.release();
    return null;
  };

  return {
    track(docId, log) {
      const { afterUpdates, spread } = deps.policy;
      const state: LogState = {
        afterUpdates: spread === true ? spreadAboveByName(docId, afterUpdates) : afterUpdates,
        updates: log.updates,
        bytes: log.bytes,
        running: null,
        release: () => {},
        waiting: false,
      };
      logs.set(docId, state);
      maybeCompact(docId, state);
    },
    noteAppended(docId, bytes) {
      const state = logs.get(docId);
      if (state === undefined) return;
      state.updates++;
      state.bytes += bytes;
      maybeCompact(docId, state);
    },
    async settled(docId) {
      const states = docId === undefined ? [...logs.values()] : [logs.get(docId)];
      await Promise.all(states.map(settle));
    },
    untrack(docId) {
      logs.delete(docId);
    },
  };
}
