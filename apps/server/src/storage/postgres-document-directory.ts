import type pg from 'pg';
import type { DocumentDirectory, DocumentInfo } from './document-directory.js';
import { createPostgresPool } from './postgres-pool.js';
import { lazyPostgresSchema } from './postgres-schema.js';

interface Row {
  id: string;
  title: string;
  created_at: Date;
  updated_at: Date;
}

const toInfo = (row: Row): DocumentInfo => ({
  id: row.id,
  title: row.title,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** Key of the advisory lock that serialises creating the table when several nodes start at once. */
const SCHEMA_LOCK = 7_270_004;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tandem_documents (
  id         TEXT PRIMARY KEY,
  title      TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
`;

/** The document directory in the shared Postgres database, so every node lists the same documents. */
export function openPostgresDocumentDirectory(options: { url: string; now?: () => Date }): DocumentDirectory {
  const now = options.now ?? (() => new Date());
  const pool = createPostgresPool(options.url, { max: 2 });
  // Errors on idle clients (Postgres restarting) must not crash the process; the next query reports them.
  pool.on('error', () => {});
  let closed = false;
  const ensureTable = lazyPostgresSchema(pool, SCHEMA, SCHEMA_LOCK);
  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    await ensureTable();
    return pool.query<R>(text, values);
  };
  return {
    async list() {
      return (await query<Row>('SELECT * FROM tandem_documents ORDER BY updated_at DESC, id')).rows.map(toInfo);
    },
    async get(id) {
      const row = (await query<Row>('SELECT * FROM tandem_documents WHERE id = $1', [id])).rows[0];
      return row === undefined ? null : toInfo(row);
    },
    async create(id, title) {
      const at = now();
      await query('INSERT INTO tandem_documents (id, title, created_at, updated_at) VALUES ($1, $2, $3, $3)', [
        id,
        title,
        at,
      ]);
      return { id, title, createdAt: at.toISOString(), updatedAt: at.toISOString() };
    },
    async rename(id, title) {
      const row = (
        await query<Row>('UPDATE tandem_documents SET title = $2, updated_at = $3 WHERE id = $1 RETURNING *', [
          id,
          title,
          now(),
        ])
      ).rows[0];
      return row === undefined ? null : toInfo(row);
    },
    async remove(id) {
      return ((await query('DELETE FROM tandem_documents WHERE id = $1', [id])).rowCount ?? 0) > 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
