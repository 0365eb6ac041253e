import type pg from 'pg';
import {
  type AccessChange,
  type AccessChangeLog,
  decodeAccessChange,
  encodeAccessChange,
} from '../auth/access-changes.js';
import { createPostgresPool } from './postgres-pool.js';
import { lazyPostgresSchema } from './postgres-schema.js';

/** Key of the advisory lock that serialises creating the table when several nodes start at once. */
const SCHEMA_LOCK = 7_270_021;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tandem_access_changes (
  seq     BIGSERIAL PRIMARY KEY,
  subject TEXT,
  until   BIGINT NOT NULL,
  change  BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS tandem_access_changes_subject ON tandem_access_changes (subject);
`;

/** The access-change log in the shared Postgres database, so every node refuses the same tokens (REVOKE-2). */
export function openPostgresAccessChangeLog(options: { url: string }): AccessChangeLog {
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
    async record(change) {
      await query('DELETE FROM tandem_access_changes WHERE until <= $1', [change.at]);
      await query('INSERT INTO tandem_access_changes (subject, until, change) VALUES ($1, $2, $3)', [
        change.subject,
        change.until,
        Buffer.from(encodeAccessChange(change)),
      ]);
    },
    async active(subject, now) {
      const { rows } = await query<{ change: Buffer }>(
        'SELECT change FROM tandem_access_changes WHERE until > $1 AND (subject IS NULL OR subject = $2) ORDER BY seq',
        [now, subject],
      );
      return rows.map((row) => decodeAccessChange(row.change)).filter((c): c is AccessChange => c !== null);
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
