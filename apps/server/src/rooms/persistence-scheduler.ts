import type { AppendEntry, DocStore } from '../storage/doc-store.js';

/** Group commit: hands every update that arrives in one event-loop turn to the store in one append. */
export interface PersistenceScheduler {
  /** Queues an update; resolves when the store has taken it, rejects when the append failed. */
  enqueue(docId: string, update: Uint8Array): Promise<void>;
  /** Resolves once every update queued so far has been taken by the store (or failed). */
  flush(): Promise<void>;
  /**
   * Settles once everything queued so far for `docId` has been taken (rejects if that failed);
   * null when nothing is outstanding for it. Appends commit in order, so this covers every earlier one.
   */
  lastPending(docId: string): Promise<void> | null;
  /** Updates queued or being written. */
  readonly pending: number;
}

interface Pending {
  readonly entry: AppendEntry;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Creates a scheduler that batches per event-loop turn and keeps one append in flight at a time. */
export function createPersistenceScheduler(store: DocStore): PersistenceScheduler {
  let queued: Pending[] = [];
  let writing = 0;
  let inFlight: Promise<void> | null = null;
  let scheduled = false;
  const latestByDoc = new Map<string, Promise<void>>();

  const schedule = () => {
    if (scheduled || inFlight !== null) return;
    scheduled = true;
    setImmediate(commit);
  };

  function commit(): void {
    scheduled = false;
    if (queued.length === 0 || inFlight !== null) return;
    const batch = queued;
    queued = [];
    writing = batch.length;
    inFlight = store.append(batch.map((p) => p.entry)).then(
      () => {
        for (const p of batch) p.resolve();
      },
      (err: unknown) => {
        for (const p of batch) p.reject(err);
      },
    );
    void inFlight.finally(() => {
      inFlight = null;
      writing = 0;
      if (queued.length > 0) schedule();
    });
  }

  return {
    enqueue(docId, update) {
      const promise = new Promise<void>((resolve, reject) => {
        queued.push({ entry: { docId, update }, resolve, reject });
        schedule();
      });
      latestByDoc.set(docId, promise);
      const forget = () => {
        if (latestByDoc.get(docId) === promise) latestByDoc.delete(docId);
      };
      promise.then(forget, forget);
      return promise;
    },
    lastPending(docId) {
      return latestByDoc.get(docId) ?? null;
    },
    async flush() {
      while (queued.length > 0 || inFlight !== null) {
        if (inFlight === null) commit();
        await inFlight;
      }
    },
    get pending() {
      return queued.length + writing;
    },
  };
}
