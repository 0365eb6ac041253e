import { openSqliteThread, type SqliteThread } from './sqlite-thread.js';
import type { SqliteVersionEngine, SqliteVersionOp } from './sqlite-version-engine.js';
import type { VersionStore } from './version-store.js';

/**
 * Versions in the embedded SQLite database (table `versions`), written and read on the store's
 * thread (sqlite-version-engine.ts there), so a version's insert, its checksum and its fsync never
 * block the event loop — a version of a large document is as large as the document.
 */
export function sqliteVersionStoreOn(thread: SqliteThread): VersionStore {
  const call = <K extends SqliteVersionOp>(method: K, args: Parameters<SqliteVersionEngine[K]>) =>
    thread.call({ op: 'version', method, args }) as Promise<ReturnType<SqliteVersionEngine[K]>>;
  return {
    addVersion: (version, auto) => call('addVersion', [version, auto]),
    listVersions: (docId, page) => call('listVersions', [docId, page]),
    getVersion: (docId, id) => call('getVersion', [docId, id]),
    readVersionState: (docId, id) => call('readVersionState', [docId, id]),
    addAuthors: (docId, id, authors) => call('addAuthors', [docId, id, authors]),
    versionTimeline: (docId) => call('versionTimeline', [docId]),
    deleteVersions: (docId, ids) => call('deleteVersions', [docId, ids]),
    deleteAllVersions: (docId) => call('deleteAllVersions', [docId]),
    close: () => thread.close(),
  };
}

/** A version store on a database thread of its own (tools and tests; the server shares the document store's). */
export function openSqliteVersionStore(options: { dataDir: string }): VersionStore {
  return sqliteVersionStoreOn(openSqliteThread({ dataDir: options.dataDir }));
}
