import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { matchesChecksum, SQLITE_VERSIONS_SCHEMA } from '@tandem/doc-format';
import Database from 'better-sqlite3';
import { CorruptDataError } from './corrupt-data-error.js';
import { SQLITE_FILE } from './sqlite-engine.js';
import {
  INSERT_COLUMNS,
  insertValues,
  recordFromRow,
  skippedAuto,
  VERSION_COLUMNS,
  type VersionRow,
} from './version-rows.js';
import {
  type AddedVersion,
  type AutoVersionCondition,
  isVersionId,
  mergeAuthors,
  type NewVersion,
  type VersionStore,
  type VersionTime,
} from './version-store.js';

/** A {@link VersionStore}'s operations, synchronous: they run on the store's thread (sqlite-worker.ts). */
export type SqliteVersionEngine = {
  readonly [K in Exclude<keyof VersionStore, 'close'>]: (
    ...args: Parameters<VersionStore[K]>
  ) => Awaited<ReturnType<VersionStore[K]>>;
} & { close(): void };

/** The engine's operations by name (what the store's thread is asked to run). */
export type SqliteVersionOp = Exclude<keyof SqliteVersionEngine, 'close'>;

/**
 * Versions in the embedded SQLite database (table `versions`, a connection of its own on the store's
 * thread, beside the document log's): every write is one immediate transaction (it waits out
 * another connection's write instead of failing, STORE-11), and its fsync never blocks the event loop.
 */
export function openSqliteVersionEngine(options: { dataDir: string }): SqliteVersionEngine {
  mkdirSync(options.dataDir, { recursive: true });
  const db = new Database(join(options.dataDir, SQLITE_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SQLITE_VERSIONS_SCHEMA);

  const newest = db.prepare<[string], VersionRow & { covers: string }>(
    `SELECT ${VERSION_COLUMNS}, covers FROM versions WHERE doc = ? ORDER BY id DESC LIMIT 1`,
  );
  const newestAuto = db.prepare<[string], VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM versions WHERE doc = ? AND kind = 'auto' ORDER BY id DESC LIMIT 1`,
  );
  const insert = db.prepare<[...ReturnType<typeof insertValues>], VersionRow>(
    `INSERT INTO versions (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${VERSION_COLUMNS}`,
  );
  const page = db.prepare<[string, number, number], VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM versions WHERE doc = ? AND id < ? ORDER BY id DESC LIMIT ?`,
  );
  const one = db.prepare<[string, number], VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM versions WHERE doc = ? AND id = ?`,
  );
  const state = db.prepare<[string, number], { state: Buffer; sum: Buffer }>(
    'SELECT state, sum FROM versions WHERE doc = ? AND id = ?',
  );
  const setAuthors = db.prepare<[string, string, number]>('UPDATE versions SET authors = ? WHERE doc = ? AND id = ?');
  const timeline = db.prepare<[string], { id: number; kind: string; created_at: number }>(
    'SELECT id, kind, created_at FROM versions WHERE doc = ? ORDER BY id',
  );
  const remove = db.prepare<[string, number]>('DELETE FROM versions WHERE doc = ? AND id = ?');
  const removeAll = db.prepare<[string]>('DELETE FROM versions WHERE doc = ?');

  const add = db.transaction((version: NewVersion, auto: AutoVersionCondition | undefined): AddedVersion => {
    if (auto !== undefined) {
      const skipped = skippedAuto(newest.get(version.docId), newestAuto.get(version.docId), version, auto);
      if (skipped !== null) return skipped;
    }
    const row = insert.get(...insertValues(version)) as VersionRow;
    return { created: true, version: recordFromRow(row) };
  });
  const addAuthors = db.transaction((docId: string, id: number, authors: Parameters<typeof mergeAuthors>[1]) => {
    const row = one.get(docId, id);
    if (row === undefined) return;
    setAuthors.run(JSON.stringify(mergeAuthors(recordFromRow(row).authors, authors)), docId, id);
  });
  const removeSome = db.transaction((docId: string, ids: readonly string[]) =>
    ids.reduce((n, id) => n + (isVersionId(id) ? remove.run(docId, Number(id)).changes : 0), 0),
  );

  return {
    addVersion(version, auto) {
      return add.immediate(version, auto);
    },
    listVersions(docId, { limit, before }) {
      const rows = page.all(docId, before === undefined ? Number.MAX_SAFE_INTEGER : Number(before), limit + 1);
      const versions = rows.slice(0, limit).map(recordFromRow);
      return { versions, next: rows.length > limit ? (versions.at(-1)?.id ?? null) : null };
    },
    getVersion(docId, id) {
      const row = isVersionId(id) ? one.get(docId, Number(id)) : undefined;
      return row === undefined ? null : recordFromRow(row);
    },
    readVersionState(docId, id) {
      const row = isVersionId(id) ? state.get(docId, Number(id)) : undefined;
      if (row === undefined) return null;
      if (!matchesChecksum(row.state, row.sum)) {
        throw new CorruptDataError(`version ${id} of document ${JSON.stringify(docId)} fails its checksum`);
      }
      return new Uint8Array(row.state);
    },
    addAuthors(docId, id, authors) {
      if (isVersionId(id)) addAuthors.immediate(docId, Number(id), authors);
    },
    versionTimeline(docId): VersionTime[] {
      return timeline.all(docId).map((r) => ({
        id: String(r.id),
        kind: r.kind as VersionTime['kind'],
        createdAt: Number(r.created_at),
      }));
    },
    deleteVersions(docId, ids) {
      return removeSome.immediate(docId, ids);
    },
    deleteAllVersions(docId) {
      removeAll.run(docId);
    },
    close() {
      if (db.open) db.close();
    },
  };
}
