import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CorruptDataError } from './corrupt-data-error.js';
import type { DocStore, LogCompaction, StoredDoc } from './doc-store.js';
import type { SqliteReply, SqliteRequest, SqliteWorkerData } from './sqlite-worker.js';

export { SQLITE_FILE } from './sqlite-engine.js';

/** Options for {@link openSqliteDocStore}. */
export interface SqliteDocStoreOptions {
  /** Directory holding the database file (created if missing). */
  readonly dataDir: string;
}

/** What a request resolves with. */
type Reply = StoredDoc | string[] | LogCompaction | null | undefined;

type WithoutId<R> = R extends SqliteRequest ? Omit<R, 'id'> : never;
/** A request before the store numbers it. */
type Request = WithoutId<SqliteRequest>;

interface Waiting {
  readonly resolve: (value: Reply) => void;
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

/**
 * The embedded default store: SQLite (WAL, synchronous=FULL, a checksum per blob; see
 * sqlite-engine.ts) on a worker thread of its own, so the fsync of a group commit, the checksums
 * and the reads of a large document never block the event loop that relays updates. Requests
 * run in order; a resolved `append` has been fsynced. Rejects when the database cannot be opened
 * (e.g. a newer schema version).
 */
export async function openSqliteDocStore(options: SqliteDocStoreOptions): Promise<DocStore> {
  const worker = new Worker(workerScript(), {
    workerData: { dataDir: options.dataDir } satisfies SqliteWorkerData,
  });
  const waiting = new Map<number, Waiting>();
  let nextId = 1;
  let stopped: Error | null = null;

  const settleAll = (err: Error) => {
    stopped ??= err;
    for (const w of waiting.values()) w.reject(stopped);
    waiting.clear();
    worker.unref();
  };

  const opened = new Promise<void>((resolve, reject) => {
    waiting.set(0, { resolve: () => resolve(), reject });
  });
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

  const call = (request: Request): Promise<Reply> => {
    if (stopped !== null) return Promise.reject(stopped);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...request, id } as SqliteRequest);
    });
  };

  try {
    await opened;
  } catch (err) {
    await worker.terminate();
    throw err;
  }

  return {
    load: async (docId) => (await call({ op: 'load', docId })) as StoredDoc,
    async append(entries) {
      if (entries.length > 0) await call({ op: 'append', entries });
    },
    async compact(docId, snapshot, throughSeq) {
      await call({ op: 'compact', docId, snapshot, throughSeq });
    },
    compactLog: async (docId) => (await call({ op: 'compact-log', docId })) as LogCompaction | null,
    async delete(docId) {
      await call({ op: 'delete', docId });
    },
    list: async () => (await call({ op: 'list' })) as string[],
    async check() {
      await call({ op: 'check' });
    },
    async close() {
      if (stopped !== null) return;
      await call({ op: 'close' });
      stopped = new Error('the SQLite store is closed');
      await worker.terminate();
    },
  };
}
