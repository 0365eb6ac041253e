import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CorruptDataError } from './corrupt-data-error.js';
import type { SqliteReply, SqliteRequest, SqliteWorkerData } from './sqlite-worker.js';

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

interface Waiting {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

/**
 * The worker's script. Built code finds it beside this module; tests that run the TypeScript
 * sources use the built copy (`npm test` builds first), since a worker thread cannot load .ts.
 */
function workerScript(): URL {
  const beside = new URL('./sqlite-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return beside;
  const built = new URL('../../dist/storage/sqlite-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(built))) {
    throw new Error(
      `${fileURLToPath(built)} is missing: build @tandem/server first (pnpm --filter @tandem/server build)`,
    );
  }
  return built;
}

function toError(error: { name: string; message: string }): Error {
  return error.name === 'CorruptDataError' ? new CorruptDataError(error.message) : new Error(error.message);
}

/** Starts the database's thread; see {@link SqliteThread}. */
export function openSqliteThread(options: SqliteThreadOptions): SqliteThread {
  const worker = new Worker(workerScript(), {
    workerData: { dataDir: options.dataDir } satisfies SqliteWorkerData,
  });
  const waiting = new Map<number, Waiting>();
  let nextId = 1;
  let stopped: Error | null = null;
  let users = options.users ?? 1;

  const settleAll = (err: Error) => {
    stopped ??= err;
    for (const w of waiting.values()) w.reject(stopped);
    waiting.clear();
    worker.unref();
  };

  const opened = new Promise<void>((resolve, reject) => {
    waiting.set(0, { resolve: () => resolve(), reject });
  });
  // Whoever calls learns of a failed open; this keeps it from being an unhandled rejection meanwhile.
  opened.catch(() => {});
  worker.on('message', (reply: SqliteReply) => {
    const w = waiting.get(reply.id);
    if (w === undefined) return;
    waiting.delete(reply.id);
    if (reply.ok) w.resolve(reply.value);
    else w.reject(toError(reply.error));
    // An idle store does not keep the process alive; a pending request does.
    if (waiting.size === 0) worker.unref();
  });
  worker.on('error', (err) => settleAll(new Error(`the SQLite store's thread failed: ${err.message}`)));
  worker.on('exit', (code) => settleAll(new Error(`the SQLite store's thread exited (code ${code})`)));

  const call = (request: SqliteCall): Promise<unknown> => {
    if (stopped !== null) return Promise.reject(stopped);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...request, id } as SqliteRequest);
    });
  };

  return {
    opened,
    call: async (request) => {
      await opened;
      return call(request);
    },
    async close() {
      users -= 1;
      if (users > 0 || stopped !== null) return;
      try {
        await opened;
        await call({ op: 'close' });
      } finally {
        stopped ??= new Error('the SQLite store is closed');
        await worker.terminate();
      }
    },
  };
}
