import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  type AccessChange,
  type AccessChangeLog,
  decodeAccessChange,
  encodeAccessChange,
} from '../auth/access-changes.js';
import { SQLITE_FILE } from './sqlite-engine.js';

/** The access-change log in the embedded SQLite database (its own table, its own connection; REVOKE-2). */
export function openSqliteAccessChangeLog(options: { dataDir: string }): AccessChangeLog {
  mkdirSync(options.dataDir, { recursive: true });
  const db = new Database(join(options.dataDir, SQLITE_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS access_changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT,
    until   INTEGER NOT NULL,
    change  BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS access_changes_subject ON access_changes (subject)`);
  const prune = db.prepare<[number]>('DELETE FROM access_changes WHERE until <= ?');
  const insert = db.prepare<[string | null, number, Buffer]>(
    'INSERT INTO access_changes (subject, until, change) VALUES (?, ?, ?)',
  );
  const active = db.prepare<[number, string], { change: Buffer }>(
    'SELECT change FROM access_changes WHERE until > ? AND (subject IS NULL OR subject = ?) ORDER BY seq',
  );
  return {
    async record(change) {
      db.transaction(() => {
        prune.run(change.at);
        insert.run(change.subject, change.until, Buffer.from(encodeAccessChange(change)));
      })();
    },
    async active(subject, now) {
      return active
        .all(now, subject)
        .map((row) => decodeAccessChange(row.change))
        .filter((change): change is AccessChange => change !== null);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
