/**
 * The embedded store's database, as the server writes it and the CLI (`tandem replay --sqlite`)
 * reads it: one home, so the two never disagree on a name or a column.
 */

/** File name of the embedded database inside DATA_DIR. */
export const SQLITE_FILE = 'tandem.sqlite';

/** `PRAGMA user_version` of the schema below; a server refuses a database newer than it understands. */
export const SQLITE_SCHEMA_VERSION = 1;

/** The tables every Tandem database has. */
export const SQLITE_TABLES = ['docs', 'updates'] as const;

/** Creates the tables (idempotent). Every blob has its checksum beside it (see checksum.ts). */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS docs (
  doc          TEXT PRIMARY KEY,
  snapshot     BLOB,
  snapshot_sum BLOB,
  snapshot_seq INTEGER NOT NULL DEFAULT 0,
  -- No longer maintained (seqs come from the log); still honoured as a floor when a document is first appended to.
  next_seq     INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS updates (
  doc  TEXT    NOT NULL,
  seq  INTEGER NOT NULL,
  data BLOB    NOT NULL,
  sum  BLOB    NOT NULL,
  PRIMARY KEY (doc, seq)
) WITHOUT ROWID;
`;

/** A row of `docs`: the compacted snapshot (if any) and the log position it covers. */
export interface SqliteDocRow {
  readonly snapshot: Buffer | null;
  readonly snapshot_sum: Buffer | null;
  readonly snapshot_seq: number;
  readonly next_seq: number;
}

/** A row of `updates`: one logged update at position `seq`. */
export interface SqliteUpdateRow {
  readonly seq: number;
  readonly data: Buffer;
  readonly sum: Buffer;
}

/**
 * Versions of documents (version history, VER-1): each one the document's whole state as one
 * Yjs update with its checksum. A table of its own, created beside the others by the server;
 * a database without it simply has no versions. Ids grow with time (the list's order).
 */
export const SQLITE_VERSIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS versions (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  doc        TEXT    NOT NULL,
  kind       TEXT    NOT NULL,
  label      TEXT,
  reason     TEXT,
  created_at INTEGER NOT NULL,
  covers     TEXT    NOT NULL,
  authors    TEXT    NOT NULL,
  created_by TEXT,
  bytes      INTEGER NOT NULL,
  state      BLOB    NOT NULL,
  sum        BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_by_doc ON versions (doc, id);
`;
