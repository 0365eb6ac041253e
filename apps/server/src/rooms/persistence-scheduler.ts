import type { Logger } from 'pino';
import { type BackoffPolicy, backoffDelay } from '../backoff.js';
import type { AppendEntry, DocStore } from '../storage/doc-store.js';

/** Group commit: hands every update that arrives in one event-loop turn to the store in one append. */
export interface PersistenceScheduler {
  /**
   * Queues an update; resolves when the store has taken it, rejects when the append failed.
   * `awaited`: someone waits to hear that it is durable (an ack, a sync status, an HTTP answer),
   * so it commits within the shorter ack interval instead of the batching one (ACK-1).
   */
  enqueue(docId: string, update: Uint8Array, awaited?: boolean): Promise<void>;
  /** Resolves once every update queued so far has been taken by the store (or failed). */
  flush(): Promise<void>;
  /**
   * Settles once everything queued so far for `docId` has been taken (rejects if that failed);
   * null when nothing is outstanding for it. Appends commit in order, so this covers every earlier one.
   * `awaited`: someone waits for it, so what is queued commits within the ack interval.
   */
  lastPending(docId: string, awaited?: boolean): Promise<void> | null;
  /** Updates queued or being written. */
  readonly pending: number;
  /** Bytes of the updates queued or being written: what memory holds that the store has not taken. */
  readonly pendingBytes: number;
  /**
   * True while {@link pendingBytes} is at or past `maxPendingBytes` (PERSIST-5): the node takes no
   * new content until the store has taken enough of the backlog.
   */
  overBound(): boolean;
  /** Null while appends succeed; otherwise why the store is failing and since when (for /readyz). */
  failure(): { readonly since: number; readonly message: string } | null;
}

/** Options for {@link createPersistenceScheduler}. */
export interface PersistenceOptions {
  /**
   * Retry a failed append with this backoff until it commits (the circuit opens: nothing is acked,
   * nothing is lost from memory, one probe per delay). Without it a failed append rejects its batch.
   */
  readonly retry?: BackoffPolicy;
  /**
   * A commit starts at least this long after the previous one started (default 0: every turn).
   * Under load one commit — one fsync — then covers everything that arrived meanwhile; an update
   * arriving when the last commit is older than this still commits in the same turn.
   */
  readonly minIntervalMs?: number;
  /**
   * The same bound while something queued is awaited (default: `minIntervalMs`): a client waiting
   * for its ack gets it within this interval plus the commit, while updates nobody waits on (plain
   * y-websocket sessions, which get no ack) are batched over the longer `minIntervalMs`.
   */
  readonly awaitedIntervalMs?: number;
  /**
   * Bound of {@link PersistenceScheduler.pendingBytes} (default: none). The scheduler itself never
   * drops an update; callers ask {@link PersistenceScheduler.overBound} before taking new content.
   */
  readonly maxPendingBytes?: number;
  readonly logger?: Logger;
}

interface Pending {
  readonly entry: AppendEntry;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Creates a scheduler that batches per event-loop turn and keeps one append in flight at a time. */
export function createPersistenceScheduler(store: DocStore, options: PersistenceOptions = {}): PersistenceScheduler {
  let queued: Pending[] = [];
  let writing = 0;
  let queuedBytes = 0;
  let writingBytes = 0;
  const maxPendingBytes = options.maxPendingBytes ?? Number.POSITIVE_INFINITY;
  /** Whether the backlog was over its bound at the last check, so crossing it is logged once each way. */
  let wasOver = false;
  let inFlight: Promise<void> | null = null;
  /** When the scheduled commit starts (performance.now()); null when none is scheduled. */
  let scheduledAt: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  let lastStart = Number.NEGATIVE_INFINITY;
  const minIntervalMs = options.minIntervalMs ?? 0;
  const awaitedIntervalMs = Math.min(options.awaitedIntervalMs ?? minIntervalMs, minIntervalMs);
  /** Whether something queued is awaited (commits within {@link awaitedIntervalMs}). */
  let queuedAwaited = false;
  const latestByDoc = new Map<string, Promise<void>>();
  let failing: { since: number; message: string; attempts: number } | null = null;

  /**
   * Appends `batch`, retrying with backoff when a retry policy is set. A retry also takes what was
   * queued meanwhile (after the batch, so each document keeps its order): the first append after
   * the store comes back commits the whole backlog at once.
   */
  const appendWithRetry = async (batch: Pending[]): Promise<Pending[]> => {
    for (;;) {
      try {
        await store.append(batch.map((p) => p.entry));
        if (failing !== null) {
          options.logger?.info(
            { dependency: 'store', ms: Date.now() - failing.since, updates: batch.length },
            'store recovered; pending updates committed',
          );
          failing = null;
        }
        return batch;
      } catch (err) {
        if (options.retry === undefined) throw err;
        const message = err instanceof Error ? err.message : String(err);
        failing = { since: failing?.since ?? Date.now(), message, attempts: (failing?.attempts ?? 0) + 1 };
        const delay = backoffDelay(options.retry, failing.attempts - 1);
        // One line per attempt is bounded by the backoff; acks stop until the append commits.
        options.logger?.error(
          { dependency: 'store', err, attempt: failing.attempts, retryInMs: delay, pending: batch.length },
          'store append failed; retrying with backoff (no acks until it commits)',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
        batch = batch.concat(queued);
        queued = [];
        queuedAwaited = false;
        writing = batch.length;
        writingBytes += queuedBytes;
        queuedBytes = 0;
      }
    }
  };

  /** Schedules the next commit, or brings a scheduled one forward once something awaited is queued. */
  const schedule = () => {
    if (inFlight !== null) return;
    const now = performance.now();
    const at = Math.max(now, lastStart + (queuedAwaited ? awaitedIntervalMs : minIntervalMs));
    if (scheduledAt !== null && scheduledAt <= at) return;
    clearTimeout(timer);
    scheduledAt = at;
    if (at <= now) {
      timer = undefined;
      setImmediate(commit);
    } else timer = setTimeout(commit, at - now);
  };

  function commit(): void {
    scheduledAt = null;
    clearTimeout(timer);
    timer = undefined;
    if (queued.length === 0 || inFlight !== null) return;
    const batch = queued;
    queued = [];
    queuedAwaited = false;
    writing = batch.length;
    writingBytes = queuedBytes;
    queuedBytes = 0;
    lastStart = performance.now();
    // The bytes are released before anyone hears of the outcome, so a write admitted next sees them gone.
    const settled = () => {
      writingBytes = 0;
      noteBound();
    };
    inFlight = appendWithRetry(batch).then(
      (committed) => {
        settled();
        for (const p of committed) p.resolve();
      },
      (err: unknown) => {
        settled();
        for (const p of batch) p.reject(err);
      },
    );
    void inFlight.finally(() => {
      inFlight = null;
      writing = 0;
      if (queued.length > 0) schedule();
    });
  }

  const overBound = () => queuedBytes + writingBytes >= maxPendingBytes;

  /** Logs when the backlog crosses its bound, in either direction (not once per refused write). */
  const noteBound = () => {
    const over = overBound();
    if (over === wasOver) return;
    wasOver = over;
    const fields = { dependency: 'store', pendingBytes: queuedBytes + writingBytes, maxPendingBytes };
    if (over)
      options.logger?.warn(fields, 'store backlog over MAX_PENDING_BYTES; refusing new writes until it commits');
    else options.logger?.info(fields, 'store backlog under MAX_PENDING_BYTES again; writes resume');
  };

  return {
    enqueue(docId, update, awaited = false) {
      const promise = new Promise<void>((resolve, reject) => {
        queued.push({ entry: { docId, update }, resolve, reject });
        queuedBytes += update.byteLength;
        if (awaited) queuedAwaited = true;
        noteBound();
        schedule();
      });
      latestByDoc.set(docId, promise);
      const forget = () => {
        if (latestByDoc.get(docId) === promise) latestByDoc.delete(docId);
      };
      promise.then(forget, forget);
      return promise;
    },
    lastPending(docId, awaited = false) {
      const latest = latestByDoc.get(docId) ?? null;
      if (latest !== null && awaited && queued.length > 0 && !queuedAwaited) {
        queuedAwaited = true;
        schedule();
      }
      return latest;
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
    get pendingBytes() {
      return queuedBytes + writingBytes;
    },
    overBound,
    failure() {
      return failing === null ? null : { since: failing.since, message: failing.message };
    },
  };
}
