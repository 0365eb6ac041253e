import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DocumentDirectory, DocumentInfo } from './document-directory.js';
import { SQLITE_FILE } from './sqlite-engine.js';

interface Row {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
}

const toInfo = (row: Row): DocumentInfo => ({
  id: row.id,
  title: row.title,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The document directory in the embedded SQLite database (its own table, its own connection). */
export function openSqliteDocumentDirectory(options: { dataDir: string; now?: () => Date }): DocumentDirectory {
  mkdirSync(options.dataDir, { recursive: true });
  const now = options.now ?? (() => new Date());
  const db = new Database(join(options.dataDir, SQLITE_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS documents (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) WITHOUT ROWID`);
  const list = db.prepare<[], Row>('SELECT * FROM documents ORDER BY updated_at DESC, id');
  const get = db.prepare<[string], Row>('SELECT * FROM documents WHERE id = ?');
  const insert = db.prepare<[string, string, string, string]>(
    'INSERT INTO documents (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)',
  );
  const rename = db.prepare<[string, string, string], Row>(
    'UPDATE documents SET title = ?, updated_at = ? WHERE id = ? RETURNING *',
  );
  const remove = db.prepare<[string]>('DELETE FROM documents WHERE id = ?');
  return {
    async list() {
      return list.all().map(toInfo);
    },
    async get(id) {
      const row = get.get(id);
      return row === undefined ? null : toInfo(row);
    },
    async create(id, title) {
      const at = now().toISOString();
      insert.run(id, title, at, at);
      return { id, title, createdAt: at, updatedAt: at };
    },
    async rename(id, title) {
      const row = rename.get(title, now().toISOString(), id);
      return row === undefined ? null : toInfo(row);
    },
    async remove(id) {
      return remove.run(id).changes > 0;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
