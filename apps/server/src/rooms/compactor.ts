import type { Logger } from 'pino';
import type { DocStore, LogCompaction, StoredDoc } from '../storage/doc-store.js';
import { snapshotOf } from '../storage/snapshot.js';

/** When a document's update log is merged into its snapshot. */
export interface CompactionPolicy {
  /** Compact once the log holds this many updates. */
  readonly afterUpdates: number;
  /** Compact once the log holds this many bytes. */
  readonly afterBytes: number;
}

/** Compaction policy: counts each loaded document's log and merges it into a snapshot past a threshold. */
export interface Compactor {
  /** Starts tracking a document as loaded. */
  track(docId: string, stored: StoredDoc): void;
  /** Records an append that the store has taken; may start a compaction. */
  noteAppended(docId: string, bytes: number): void;
  /** Resolves when no compaction is running for `docId` (or for any document when omitted). */
  settled(docId?: string): Promise<void>;
  /** Stops tracking a document (after {@link settled}). */
  untrack(docId: string): void;
}

interface LogState {
  updates: number;
  bytes: number;
  running: Promise<void> | null;
}

/**
 * Creates a compactor. The snapshot is built from what the store holds (snapshot + every logged
 * update up to the last seq read), never from memory, and replaces that prefix in one store call:
 * the store's atomic `compact` means a crash at any point loses and duplicates nothing.
 */
export function createCompactor(deps: { store: DocStore; logger: Logger; policy: CompactionPolicy }): Compactor {
  const logs = new Map<string, LogState>();

  /** Builds the snapshot here, from what the store holds, for stores that cannot do it themselves. */
  const compactHere = async (docId: string): Promise<LogCompaction | null> => {
    const stored = await deps.store.load(docId);
    const last = stored.updates.at(-1);
    if (last === undefined) return null;
    const snapshot = snapshotOf(stored, docId);
    await deps.store.compact(docId, snapshot, last.seq);
    const bytes = stored.updates.reduce((sum, u) => sum + u.update.byteLength, 0);
    return { throughSeq: last.seq, updates: stored.updates.length, bytes, snapshotBytes: snapshot.byteLength };
  };

  const compact = async (docId: string, state: LogState) => {
    const started = Date.now();
    deps.logger.info({ room: docId, updates: state.updates, bytes: state.bytes }, 'compaction started');
    // SQLite does it on its own thread: a compaction never blocks the event loop that relays.
    const done = deps.store.compactLog === undefined ? await compactHere(docId) : await deps.store.compactLog(docId);
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

  const maybeCompact = (docId: string, state: LogState) => {
    if (state.running !== null) return;
    if (state.updates < deps.policy.afterUpdates && state.bytes < deps.policy.afterBytes) return;
    state.running = compact(docId, state)
      .catch((err: unknown) => {
        // Nothing changed in the store; try again after another threshold's worth of updates.
        state.updates = 0;
        state.bytes = 0;
        deps.logger.error({ err, room: docId }, 'compaction failed');
      })
      .finally(() => {
        state.running = null;
      });
  };

  return {
    track(docId, stored) {
      const bytes = stored.updates.reduce((sum, u) => sum + u.update.byteLength, 0);
      const state: LogState = { updates: stored.updates.length, bytes, running: null };
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
      await Promise.all(states.map((s) => s?.running));
    },
    untrack(docId) {
      logs.delete(docId);
    },
  };
}
