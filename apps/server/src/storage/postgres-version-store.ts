import { matchesChecksum } from '@tandem/doc-format';
import type pg from 'pg';
import { CorruptDataError } from './corrupt-data-error.js';
import { createPostgresPool } from './postgres-pool.js';
import { lazyPostgresSchema } from './postgres-schema.js';
import { inTransaction } from './postgres-transaction.js';
import {
  INSERT_COLUMNS,
  insertValues,
  recordFromRow,
  skippedAuto,
  VERSION_COLUMNS,
  type VersionRow,
} from './version-rows.js';
import { isVersionId, mergeAuthors, type VersionStore, type VersionTime } from './version-store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tandem_versions (
  id         BIGSERIAL PRIMARY KEY,
  doc        TEXT   NOT NULL,
  kind       TEXT   NOT NULL,
  label      TEXT,
  reason     TEXT,
  created_at BIGINT NOT NULL,
  covers     TEXT   NOT NULL,
  authors    TEXT   NOT NULL,
  created_by TEXT,
  bytes      BIGINT NOT NULL,
  state      BYTEA  NOT NULL,
  sum        BYTEA  NOT NULL
);
CREATE INDEX IF NOT EXISTS tandem_versions_by_doc ON tandem_versions (doc, id);
`;

/** Advisory lock keys: schema creation, and (with the document's hash) one version insert at a time per document. */
const SCHEMA_LOCK = 7_270_002;
const VERSION_LOCK = 7_270_003;

/**
 * Versions in the shared Postgres database (`tandem_versions`), so every node lists the same ones.
 * An automatic version's insert holds a per-document advisory lock for its transaction, so two
 * nodes taking the same version at once store it once (VER-12).
 */
export function openPostgresVersionStore(options: { url: string; poolSize?: number }): VersionStore {
  const pool = createPostgresPool(options.url, { max: options.poolSize ?? 2, query_timeout: 15_000 });
  // Errors on idle clients (Postgres restarting) must not crash the process; the next query reports them.
  pool.on('error', () => {});
  let closed = false;

  const transaction = <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new Error('postgres version store is closed'));
    return inTransaction(pool, work);
  };
  const ensureSchema = lazyPostgresSchema(pool, SCHEMA, SCHEMA_LOCK);
  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[]) => {
    await ensureSchema();
    return pool.query<R>(text, values);
  };

  return {
    async addVersion(version, auto) {
      await ensureSchema();
      return transaction(async (client) => {
        if (auto !== undefined) {
          await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [VERSION_LOCK, version.docId]);
          const latest = (
            await client.query<VersionRow & { covers: string }>(
              `SELECT ${VERSION_COLUMNS}, covers FROM tandem_versions WHERE doc = $1 ORDER BY id DESC LIMIT 1`,
              [version.docId],
            )
          ).rows[0];
          const latestAuto = (
            await client.query<VersionRow>(
              `SELECT ${VERSION_COLUMNS} FROM tandem_versions WHERE doc = $1 AND kind = 'auto' ORDER BY id DESC LIMIT 1`,
              [version.docId],
            )
          ).rows[0];
          const skipped = skippedAuto(latest, latestAuto, version, auto);
          if (skipped !== null) return skipped;
        }
        const row = (
          await client.query<VersionRow>(
            `INSERT INTO tandem_versions (${INSERT_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${VERSION_COLUMNS}`,
            [...insertValues(version)],
          )
        ).rows[0] as VersionRow;
        return { created: true, version: recordFromRow(row) };
      });
    },
    async listVersions(docId, { limit, before }) {
      const rows = (
        await query<VersionRow>(
          `SELECT ${VERSION_COLUMNS} FROM tandem_versions WHERE doc = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
          [docId, before ?? String(Number.MAX_SAFE_INTEGER), limit + 1],
        )
      ).rows;
      const versions = rows.slice(0, limit).map(recordFromRow);
      return { versions, next: rows.length > limit ? (versions.at(-1)?.id ?? null) : null };
    },
    async getVersion(docId, id) {
      if (!isVersionId(id)) return null;
      const row = (
        await query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM tandem_versions WHERE doc = $1 AND id = $2`, [
          docId,
          id,
        ])
      ).rows[0];
      return row === undefined ? null : recordFromRow(row);
    },
    async readVersionState(docId, id) {
      if (!isVersionId(id)) return null;
      const row = (
        await query<{ state: Buffer; sum: Buffer }>(
          'SELECT state, sum FROM tandem_versions WHERE doc = $1 AND id = $2',
          [docId, id],
        )
      ).rows[0];
      if (row === undefined) return null;
      if (!matchesChecksum(row.state, row.sum)) {
        throw new CorruptDataError(`version ${id} of document ${JSON.stringify(docId)} fails its checksum`);
      }
      return new Uint8Array(row.state);
    },
    async addAuthors(docId, id, authors) {
      if (!isVersionId(id)) return;
      await ensureSchema();
      await transaction(async (client) => {
        const row = (
          await client.query<VersionRow>(
            `SELECT ${VERSION_COLUMNS} FROM tandem_versions WHERE doc = $1 AND id = $2 FOR UPDATE`,
            [docId, id],
          )
        ).rows[0];
        if (row === undefined) return;
        const merged = mergeAuthors(recordFromRow(row).authors, authors);
        await client.query('UPDATE tandem_versions SET authors = $3 WHERE doc = $1 AND id = $2', [
          docId,
          id,
          JSON.stringify(merged),
        ]);
      });
    },
    async versionTimeline(docId): Promise<VersionTime[]> {
      const rows = await query<{ id: string; kind: string; created_at: string }>(
        'SELECT id, kind, created_at FROM tandem_versions WHERE doc = $1 ORDER BY id',
        [docId],
      );
      return rows.rows.map((r) => ({ id: r.id, kind: r.kind as VersionTime['kind'], createdAt: Number(r.created_at) }));
    },
    async deleteVersions(docId, ids) {
      const valid = ids.filter(isVersionId);
      if (valid.length === 0) return 0;
      const result = await query('DELETE FROM tandem_versions WHERE doc = $1 AND id = ANY($2::bigint[])', [
        docId,
        valid,
      ]);
      return result.rowCount ?? 0;
    },
    async deleteAllVersions(docId) {
      await query('DELETE FROM tandem_versions WHERE doc = $1', [docId]);
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
