import { Worker } from 'node:worker_threads';
import { CorruptDataError } from './corrupt-data-error.js';
import type { SqliteRequest, SqliteWorkerData } from './sqlite-worker.js';
import { workerCalls, workerScript } from './worker-thread.js';

type WithoutId<R> = R extends SqliteRequest ? Omit<R, 'id'> : never;
/** A request before the thread numbers it. */
export type SqliteCall = WithoutId<SqliteRequest>;

/**
 * The embedded database's thread (sqlite-worker.ts): it owns the connections, so commits and their
 * fsync, checksums and the reads of a large document never block the event loop. Requests run in
 * order. The document store and the version store share one thread (one isolate, not two).
 */
export interface SqliteThread {
  /** Resolves once the database is open; rejects when it cannot be (e.g. a newer schema version). */
  readonly opened: Promise<void>;
  /** Runs one request on the thread; resolves with its value. */
  call(request: SqliteCall): Promise<unknown>;
  /** Releases one of the thread's users; the last release closes the databases and ends the thread. */
  close(): Promise<void>;
}

/** Options for {@link openSqliteThread}. */
export interface SqliteThreadOptions {
  /** Directory holding the database file (created if missing). */
  readonly dataDir: string;
  /** How many users will {@link SqliteThread.close} it (default 1). */
  readonly users?: number;
}

function toError(error: { name: string; message: string }): Error {
  return error.name === 'CorruptDataError' ? new CorruptDataError(error.message) : new Error(error.message);
}

/** Starts the database's thread; see {@link SqliteThread}. */
export function openSqliteThread(options: SqliteThreadOptions): SqliteThread {
  const worker = new Worker(workerScript(import.meta.url, 'sqlite-worker.js'), {
    workerData: { dataDir: options.dataDir } satisfies SqliteWorkerData,
  });
  const calls = workerCalls(worker, "the SQLite store's thread", toError);
  let users = options.users ?? 1;
  const opened = calls.waitFor(0).then(() => undefined);
  // Whoever calls learns of a failed open; this keeps it from being an unhandled rejection meanwhile.
  opened.catch(() => {});
  const call = (request: SqliteCall): Promise<unknown> => calls.call(request);

  return {
    opened,
    call: async (request) => {
      await opened;
      return call(request);
    },
    async close() {
      users -= 1;
      if (users > 0 || calls.stopped !== null) return;
      try {
        await opened;
        await call({ op: 'close' });
      } finally {
        calls.stop(new Error('the SQLite store is closed'));
        await worker.terminate();
      }
    },
  };
}
