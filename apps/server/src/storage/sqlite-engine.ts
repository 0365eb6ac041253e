import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  checksum,
  matchesChecksum,
  SQLITE_FILE,
  SQLITE_SCHEMA,
  SQLITE_SCHEMA_VERSION,
  type SqliteDocRow,
  type SqliteUpdateRow,
} from '@tandem/doc-format';
import Database from 'better-sqlite3';
import { CorruptDataError } from './corrupt-data-error.js';
import type { AppendEntry, StoredDoc, StoredUpdate } from './doc-store.js';
import { ownBytes } from './owned-bytes.js';

/** File name of the embedded database inside DATA_DIR (the shared storage format's). */
export { SQLITE_FILE };

/** The SQLite store's operations, synchronous: they run on the store's worker thread (sqlite-worker.ts). */
export interface SqliteEngine {
  load(docId: string): StoredDoc;
  append(entries: readonly AppendEntry[]): void;
  compact(docId: string, snapshot: Uint8Array, throughSeq: number): void;
  delete(docId: string): void;
  list(): string[];
  check(): void;
  close(): void;
}

/**
 * Opens the embedded database: better-sqlite3 in WAL mode with synchronous=FULL, so a
 * returned `append` has been fsynced. Every blob carries a checksum verified at load.
 */
export function openSqliteEngine(dataDir: string): SqliteEngine {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, SQLITE_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SQLITE_SCHEMA_VERSION) {
    db.close();
    throw new Error(
      `database schema version ${version} is newer than this server understands (${SQLITE_SCHEMA_VERSION})`,
    );
  }
  db.exec(SQLITE_SCHEMA);
  // Written once: the thread opens the database again after every idle spell (STORE-10).
  if (version !== SQLITE_SCHEMA_VERSION) db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);

  const lastLogged = db.prepare<[string], { last: number | null }>(
    'SELECT max(seq) AS last FROM updates WHERE doc = ?',
  );
  const docSeqs = db.prepare<[string], { snapshot_seq: number; next_seq: number }>(
    'SELECT snapshot_seq, next_seq FROM docs WHERE doc = ?',
  );
  const insertUpdate = db.prepare<[string, number, Uint8Array, Buffer]>(
    'INSERT INTO updates (doc, seq, data, sum) VALUES (?, ?, ?, ?)',
  );
  const selectDoc = db.prepare<[string], Pick<SqliteDocRow, 'snapshot' | 'snapshot_sum'>>(
    'SELECT snapshot, snapshot_sum FROM docs WHERE doc = ?',
  );
  const selectUpdates = db.prepare<[string], SqliteUpdateRow>(
    'SELECT seq, data, sum FROM updates WHERE doc = ? ORDER BY seq',
  );
  const selectSnapshotSeq = db.prepare<[string], { snapshot_seq: number }>(
    'SELECT snapshot_seq FROM docs WHERE doc = ?',
  );
  const ensureDoc = db.prepare<[string]>('INSERT INTO docs (doc) VALUES (?) ON CONFLICT (doc) DO NOTHING');
  const setSnapshot = db.prepare<[Uint8Array, Buffer, number, string]>(
    'UPDATE docs SET snapshot = ?, snapshot_sum = ?, snapshot_seq = ? WHERE doc = ?',
  );
  const deletePrefix = db.prepare<[string, number]>('DELETE FROM updates WHERE doc = ? AND seq <= ?');
  const deleteUpdates = db.prepare<[string]>('DELETE FROM updates WHERE doc = ?');
  const deleteDoc = db.prepare<[string]>('DELETE FROM docs WHERE doc = ?');
  const listDocs = db.prepare<[], { doc: string }>('SELECT doc FROM docs ORDER BY doc');

  // Every transaction that writes begins IMMEDIATE: it takes the write lock first, waiting out
  // (busy_timeout) another connection's write — the document directory's, the versions', a second
  // handle's. A deferred one that reads first and then writes cannot wait: SQLite fails its
  // upgrade at once with "database is locked" (STORE-11).
  // The last seq given out per document. This process is the database's only writer (the CLI
  // opens it read-only), so sequence numbers come from memory: an append writes its update rows
  // and nothing else, instead of also rewriting the document's row for every update.
  const lastSeqs = new Map<string, number>();
  const lastSeqOf = (docId: string): number => {
    const cached = lastSeqs.get(docId);
    if (cached !== undefined) return cached;
    const row = docSeqs.get(docId);
    if (row === undefined) ensureDoc.run(docId);
    return Math.max(lastLogged.get(docId)?.last ?? 0, row?.snapshot_seq ?? 0, (row?.next_seq ?? 1) - 1);
  };
  const appendAll = db.transaction((entries: readonly AppendEntry[]) => {
    for (const { docId, update } of entries) {
      const seq = lastSeqOf(docId) + 1;
      insertUpdate.run(docId, seq, update, checksum(update));
      lastSeqs.set(docId, seq);
    }
  });
  const append = (entries: readonly AppendEntry[]): void => {
    try {
      appendAll.immediate(entries);
    } catch (err) {
      // Rolled back: re-read the numbers from the database next time.
      lastSeqs.clear();
      throw err;
    }
  };
  const compactDoc = db.transaction((docId: string, snapshot: Uint8Array, throughSeq: number) => {
    ensureDoc.run(docId);
    // A stale compaction never rolls a newer snapshot back (CLUSTER-5).
    if ((selectSnapshotSeq.get(docId)?.snapshot_seq ?? 0) > throughSeq) return;
    setSnapshot.run(snapshot, checksum(snapshot), throughSeq, docId);
    deletePrefix.run(docId, throughSeq);
  });
  const deleteAll = db.transaction((docId: string) => {
    lastSeqs.delete(docId);
    deleteUpdates.run(docId);
    deleteDoc.run(docId);
  });

  const loadDoc = db.transaction((docId: string): StoredDoc => {
    const docRow = selectDoc.get(docId);
    let snapshot: Uint8Array | null = null;
    if (docRow?.snapshot != null) {
      if (!matchesChecksum(docRow.snapshot, docRow.snapshot_sum)) {
        throw new CorruptDataError(`snapshot of document ${JSON.stringify(docId)} fails its checksum`);
      }
      snapshot = ownBytes(docRow.snapshot);
    }
    const updates: StoredUpdate[] = selectUpdates.all(docId).map((row) => {
      if (!(row.data instanceof Uint8Array) || !matchesChecksum(row.data, row.sum)) {
        throw new CorruptDataError(`update ${row.seq} of document ${JSON.stringify(docId)} fails its checksum`);
      }
      return { seq: row.seq, update: ownBytes(row.data) };
    });
    return { snapshot, updates };
  });

  return {
    load: (docId) => loadDoc(docId),
    append(entries) {
      if (entries.length > 0) append(entries);
    },
    compact: (docId, snapshot, throughSeq) => compactDoc.immediate(docId, snapshot, throughSeq),
    delete: (docId) => deleteAll.immediate(docId),
    list: () => listDocs.all().map((row) => row.doc),
    check() {
      db.prepare('SELECT 1').get();
    },
    close() {
      if (db.open) db.close();
    },
  };
}
