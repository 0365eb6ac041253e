import { Worker } from 'node:worker_threads';
import type { StoredDoc } from './doc-store.js';
import { type MergedDoc, mergedOf } from './snapshot.js';
import { type WorkerCalls, workerCalls, workerScript } from './worker-thread.js';

/** Builds the one update a stored document amounts to, and its state vector (see {@link mergedOf}). */
export interface SnapshotBuilder {
  /** Resolves with the merged update and state vector; rejects when Yjs rejects the stored bytes. */
  build(stored: StoredDoc, guid: string): Promise<MergedDoc>;
  /** Stops the builder's thread, if it has one running; later builds start it again. */
  close(): Promise<void>;
}

/** Builds snapshots on the calling thread (tests, tools). */
export const snapshotsHere: SnapshotBuilder = {
  build: async (stored, guid) => mergedOf(stored, guid),
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

/**
 * Builds snapshots on a worker thread of their own (snapshot-worker.ts), started on the first
 * build and ended once idle: the CPU of merging a document's log — tens of ms for a document of
 * tens of KB with a few hundred updates, more for large ones — is spent neither on the event loop
 * nor on the store's thread, whose commits every durable ack waits for. The stored bytes are
 * copied to the thread (a Postgres row's bytes may share Node's buffer pool, so they are never
 * transferred); the merged update and state vector come back without a copy.
 */
export function openSnapshotThread(options: SnapshotThreadOptions = {}): SnapshotBuilder {
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  let running: { worker: Worker; calls: WorkerCalls } | null = null;
  let idleTimer: NodeJS.Timeout | undefined;

  const start = () => {
    const worker = new Worker(workerScript(import.meta.url, 'snapshot-worker.js'));
    const thread = { worker, calls: workerCalls(worker, 'the snapshot thread') };
    // A thread that failed or exited is replaced by the next build.
    worker.on('exit', () => {
      if (running === thread) running = null;
    });
    return thread;
  };

  const stop = async () => {
    clearTimeout(idleTimer);
    const thread = running;
    running = null;
    if (thread === null) return;
    thread.calls.stop(new Error('the snapshot thread is closed'));
    await thread.worker.terminate();
  };

  return {
    async build(stored, guid) {
      clearTimeout(idleTimer);
      running ??= start();
      const { calls } = running;
      try {
        return (await calls.call({ stored, guid })) as MergedDoc;
      } finally {
        if (running?.calls === calls && calls.pending === 0) {
          idleTimer = setTimeout(() => void stop(), idleMs);
          idleTimer.unref();
        }
      }
    },
    close: stop,
  };
}
