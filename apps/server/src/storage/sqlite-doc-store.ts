import type { DocStore, StoredDoc } from './doc-store.js';
import { frameAround } from './framed-state.js';
import { transferableBuffers } from './owned-bytes.js';
import { openSqliteThread, type SqliteCall, type SqliteThread } from './sqlite-thread.js';

export { SQLITE_FILE } from './sqlite-engine.js';

/** Options for {@link openSqliteDocStore}. */
export interface SqliteDocStoreOptions {
  /** Directory holding the database file (created if missing). */
  readonly dataDir: string;
}

/**
 * The embedded default store: SQLite (WAL, synchronous=FULL, a checksum per blob; see
 * sqlite-engine.ts) on a worker thread of its own, so the fsync of a group commit, the checksums
 * and the reads of a large document never block the event loop that relays updates. Requests
 * run in order; a resolved `append` has been fsynced. Rejects when the database cannot be opened
 * (e.g. a newer schema version).
 */
export async function openSqliteDocStore(options: SqliteDocStoreOptions): Promise<DocStore> {
  const thread = openSqliteThread({ dataDir: options.dataDir });
  try {
    await thread.opened;
  } catch (err) {
    await thread.close().catch(() => {});
    throw err;
  }
  return sqliteDocStoreOn(thread);
}

/** The document store on a database thread that may be shared (its close releases the thread once). */
export function sqliteDocStoreOn(thread: SqliteThread): DocStore {
  const call = (request: SqliteCall) => thread.call(request);
  return {
    load: async (docId) => (await call({ op: 'load', docId })) as StoredDoc,
    async append(entries) {
      if (entries.length > 0) await call({ op: 'append', entries });
    },
    async compact(docId, snapshot, throughSeq) {
      // Handed over (DocStore.compact): a large snapshot moves to the thread instead of being copied
      // (with the sync step 2 frame around it when a thread framed it: framed-state.ts).
      const own = frameAround(snapshot) ?? snapshot;
      await thread.call({ op: 'compact', docId, snapshot, throughSeq }, transferableBuffers([own]));
    },
    async delete(docId) {
      await call({ op: 'delete', docId });
    },
    list: async () => (await call({ op: 'list' })) as string[],
    async check() {
      await call({ op: 'check' });
    },
    close: () => thread.close(),
  };
}
