import { Worker } from 'node:worker_threads';
import type { StoredDoc } from './doc-store.js';
import { onDemand } from './on-demand.js';
import { transferableBuffers } from './owned-bytes.js';
import { type MergedDoc, mergedOf, mergeUpdates } from './snapshot.js';
import { type WorkerCalls, workerCalls, workerScript } from './worker-thread.js';

/** Builds the one update a stored document amounts to, and its state vector (see {@link mergedOf}). */
export interface SnapshotBuilder {
  /**
   * Resolves with the merged update and state vector; rejects when Yjs rejects the stored bytes.
   * The stored bytes are handed over: a thread takes the buffers they span (they are detached
   * here, so the caller reads what it needs of `stored` first).
   */
  build(stored: StoredDoc, guid: string): Promise<MergedDoc>;
  /** Resolves with `updates` merged into one update (`Y.mergeUpdates`: no document is built). */
  merge(updates: readonly Uint8Array[]): Promise<Uint8Array>;
  /** Stops the builder's thread, if it has one running; later builds reject. */
  close(): Promise<void>;
}

/** Builds snapshots on the calling thread (tests, tools). */
export const snapshotsHere: SnapshotBuilder = {
  build: async (stored, guid) => mergedOf(stored, guid),
  merge: async (updates) => mergeUpdates(updates),
  close: async () => {},
};

/** Options for {@link openSnapshotThread}. */
export interface SnapshotThreadOptions {
  /**
   * The thread ends after this long without a request (default 2 s): an idle node holds no isolate
   * for it (about 15 MiB of RSS). Starting it again costs tens of ms on the new thread, once per
   * compaction or large load at most.
   */
  readonly idleMs?: number;
}

const DEFAULT_IDLE_MS = 2_000;

const closedError = () => new Error('the snapshot thread is closed');

/**
 * Builds snapshots on a worker thread of their own (snapshot-worker.ts), started on the first
 * build and ended once idle: the CPU of merging a document's log — tens of ms for a document of
 * tens of KB with a few hundred updates, more for large ones — is spent neither on the event loop
 * nor on the store's thread, whose commits every durable ack waits for. The stored bytes move to
 * the thread without a copy where each spans its buffer (both stores read rows into buffers of
 * their own), so the event loop holds no second copy of a large document until its next GC; the
 * merged update and state vector come back without a copy too.
 */
export function openSnapshotThread(options: SnapshotThreadOptions = {}): SnapshotBuilder {
  const thread = onDemand<{ worker: Worker; calls: WorkerCalls }>({
    start: async () => {
      const worker = new Worker(workerScript(import.meta.url, 'snapshot-worker.js'));
      return { worker, calls: workerCalls(worker, 'the snapshot thread') };
    },
    stop: async ({ worker, calls }) => {
      calls.stop(closedError());
      await worker.terminate();
    },
    alive: ({ calls }) => calls.stopped === null,
    idleMs: options.idleMs ?? DEFAULT_IDLE_MS,
    closedError,
  });
  const build = (stored: StoredDoc, guid: string) =>
    thread.use(
      async ({ calls }) =>
        (await calls.call(
          { stored, guid },
          transferableBuffers([stored.snapshot, ...stored.updates.map((u) => u.update)]),
        )) as MergedDoc,
    );
  return {
    build,
    merge: (updates) => thread.use(async ({ calls }) => (await calls.call({ merge: updates })) as Uint8Array),
    close: () => thread.close(),
  };
}
