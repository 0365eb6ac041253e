import { Worker } from 'node:worker_threads';
import { CorruptDataError } from './corrupt-data-error.js';
import { onDemand } from './on-demand.js';
import type { SqliteRequest, SqliteWorkerData } from './sqlite-worker.js';
import { type WorkerCalls, workerCalls, workerScript } from './worker-thread.js';

type WithoutId<R> = R extends SqliteRequest ? Omit<R, 'id'> : never;
/** A request before the thread numbers it. */
export type SqliteCall = WithoutId<SqliteRequest>;

/**
 * The embedded database's thread (sqlite-worker.ts): it owns the connections, so commits and their
 * fsync, checksums and the reads of a large document never block the event loop. Requests run in
 * order. The document store and the version store share one thread (one isolate, not two). The
 * thread runs only while it has work: it ends after {@link SqliteThreadOptions.idleMs} without a
 * request, closing the databases, and the next request starts it again.
 */
export interface SqliteThread {
  /** Resolves once the database is open; rejects when it cannot be (e.g. a newer schema version). */
  readonly opened: Promise<void>;
  /**
   * Runs one request on the thread (starting it when it is not running); resolves with its value.
   * `transfer` moves those buffers to the thread instead of copying them (they are detached here).
   */
  call(request: SqliteCall, transfer?: readonly ArrayBuffer[]): Promise<unknown>;
  /** Whether the thread is running (or starting) now. */
  readonly running: boolean;
  /** Releases one of the thread's users; the last release closes the databases and ends the thread. */
  close(): Promise<void>;
}

/** Options for {@link openSqliteThread}. */
export interface SqliteThreadOptions {
  /** Directory holding the database file (created if missing). */
  readonly dataDir: string;
  /** How many users will {@link SqliteThread.close} it (default 1). */
  readonly users?: number;
  /**
   * The thread ends after this long without a request (default 5 s): an idle node then holds
   * neither its isolate nor SQLite's caches (about 16 MiB of RSS). Starting it again costs the
   * next request tens of ms (a new isolate, the databases opened), once per idle spell at most.
   */
  readonly idleMs?: number;
}

const DEFAULT_IDLE_MS = 5_000;

function toError(error: { name: string; message: string }): Error {
  return error.name === 'CorruptDataError' ? new CorruptDataError(error.message) : new Error(error.message);
}

const closedError = () => new Error('the SQLite store is closed');

/** Opens the database on its thread, then lets the thread end until a request; see {@link SqliteThread}. */
export function openSqliteThread(options: SqliteThreadOptions): SqliteThread {
  const thread = onDemand<{ worker: Worker; calls: WorkerCalls }>({
    async start() {
      const worker = new Worker(workerScript(import.meta.url, 'sqlite-worker.js'), {
        workerData: { dataDir: options.dataDir } satisfies SqliteWorkerData,
      });
      const calls = workerCalls(worker, "the SQLite store's thread", toError);
      try {
        await calls.waitFor(0);
      } catch (err) {
        await worker.terminate();
        throw err;
      }
      return { worker, calls };
    },
    async stop({ worker, calls }) {
      try {
        if (calls.stopped === null) await calls.call({ op: 'close' });
      } finally {
        calls.stop(closedError());
        await worker.terminate();
      }
    },
    alive: ({ calls }) => calls.stopped === null,
    idleMs: options.idleMs ?? DEFAULT_IDLE_MS,
    closedError,
  });
  let users = options.users ?? 1;
  // The first start opens (and so checks) the database; its outcome is `opened`. That check is all
  // a starting node asks of it: unless a request came meanwhile, the thread ends at once, and the
  // first room or request starts it again.
  const opened = thread.use(async () => undefined).then(() => thread.stopIfIdle());
  // Whoever calls learns of a failed open; this keeps it from being an unhandled rejection meanwhile.
  opened.catch(() => {});

  return {
    opened,
    call: (request, transfer) => thread.use(({ calls }) => calls.call(request, transfer)),
    get running() {
      return thread.running;
    },
    async close() {
      users -= 1;
      if (users > 0) return;
      await thread.close();
    },
  };
}
