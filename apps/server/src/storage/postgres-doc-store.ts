import { checksum, matchesChecksum } from '@tandem/doc-format';
import type pg from 'pg';
import type { Logger } from 'pino';
import { CorruptDataError } from './corrupt-data-error.js';
import type { AppendEntry, DocStore, StoredDoc, StoredUpdate } from './doc-store.js';
import { createPostgresPool } from './postgres-pool.js';
import { lazyPostgresSchema } from './postgres-schema.js';
import { inTransaction } from './postgres-transaction.js';

/** Options for {@link openPostgresDocStore}. */
export interface PostgresDocStoreOptions {
  /** `postgres://` URL; several hosts with `target_session_attrs=read-write` follow a failover. */
  readonly url: string;
  readonly logger?: Logger;
  /** Connections in the pool (default 10). */
  readonly poolSize?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tandem_docs (
  doc          TEXT PRIMARY KEY,
  snapshot     BYTEA,
  snapshot_sum BYTEA,
  snapshot_seq BIGINT NOT NULL DEFAULT 0,
  next_seq     BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS tandem_updates (
  doc  TEXT   NOT NULL,
  seq  BIGINT NOT NULL,
  data BYTEA  NOT NULL,
  sum  BYTEA  NOT NULL,
  PRIMARY KEY (doc, seq)
);
`;

/** Key of the advisory lock that serialises schema creation when several nodes start at once. */
const SCHEMA_LOCK = 7_270_001;

/**
 * The shared store for several nodes: every blob carries a checksum verified at load; one append
 * is one transaction; sequence numbers come from a per-document counter row whose lock orders
 * concurrent appends, so a reader never sees seq N+1 without N. Compaction is a compare-and-swap
 * on the snapshot's position: a node holding an older view can never roll a newer snapshot back.
 */
export function openPostgresDocStore(options: PostgresDocStoreOptions): DocStore {
  // The URL may list a primary and its standbys (HA-5): the pool follows whichever is writable.
  const pool = createPostgresPool(options.url, {
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    // A silent partition must fail a query (and let the scheduler retry) rather than hang it.
    query_timeout: 15_000,
    keepAlive: true,
  });
  // An idle connection that dies (Postgres restarting) emits here; without a listener it would crash the process.
  pool.on('error', (err) => options.logger?.warn({ err, dependency: 'postgres' }, 'idle postgres connection failed'));
  let closed = false;
  // Appends from this node commit one at a time, in call order (STORE-4): a pool would reorder them.
  let appendTail: Promise<unknown> = Promise.resolve();
  const schema = lazyPostgresSchema(pool, SCHEMA, SCHEMA_LOCK, options.logger);
  const ensureSchema = (): Promise<void> => (closed ? Promise.reject(new Error('postgres store is closed')) : schema());

  async function transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (closed) throw new Error('postgres store is closed');
    await ensureSchema();
    return inTransaction(pool, work, options.logger);
  }

  const readDoc = async (client: pg.PoolClient, docId: string): Promise<StoredDoc> => {
    const docRow = await client.query<{ snapshot: Buffer | null; snapshot_sum: Buffer | null }>(
      'SELECT snapshot, snapshot_sum FROM tandem_docs WHERE doc = $1',
      [docId],
    );
    let snapshot: Uint8Array | null = null;
    const row = docRow.rows[0];
    if (row?.snapshot != null) {
      if (!matchesChecksum(row.snapshot, row.snapshot_sum)) {
        throw new CorruptDataError(`snapshot of document ${JSON.stringify(docId)} fails its checksum`);
      }
      snapshot = new Uint8Array(row.snapshot);
    }
    const rows = await client.query<{ seq: string; data: Buffer; sum: Buffer }>(
      'SELECT seq, data, sum FROM tandem_updates WHERE doc = $1 ORDER BY seq',
      [docId],
    );
    const updates: StoredUpdate[] = rows.rows.map((r) => {
      if (!matchesChecksum(r.data, r.sum)) {
        throw new CorruptDataError(`update ${r.seq} of document ${JSON.stringify(docId)} fails its checksum`);
      }
      return { seq: Number(r.seq), update: new Uint8Array(r.data) };
    });
    return { snapshot, updates };
  };

  const appendNow = async (entries: readonly AppendEntry[]): Promise<void> => {
    if (entries.length === 0) {
      if (closed) throw new Error('postgres store is closed');
      return;
    }
    const byDoc = new Map<string, Uint8Array[]>();
    for (const { docId, update } of entries) {
      const list = byDoc.get(docId);
      if (list === undefined) byDoc.set(docId, [update]);
      else list.push(update);
    }
    await transaction(async (client) => {
      const docs: string[] = [];
      const seqs: string[] = [];
      const data: Buffer[] = [];
      const sums: Buffer[] = [];
      // Counter rows are locked in one global order, so two nodes' appends cannot deadlock.
      for (const docId of [...byDoc.keys()].sort()) {
        const updates = byDoc.get(docId) ?? [];
        const n = updates.length;
        const allocated = await client.query<{ first: string }>(
          `INSERT INTO tandem_docs (doc, next_seq) VALUES ($1, 1 + $2::bigint)
           ON CONFLICT (doc) DO UPDATE SET next_seq = tandem_docs.next_seq + $2::bigint
           RETURNING next_seq - $2::bigint AS first`,
          [docId, n],
        );
        const first = Number(allocated.rows[0]?.first);
        updates.forEach((update, i) => {
          const bytes = Buffer.from(update.buffer, update.byteOffset, update.byteLength);
          docs.push(docId);
          seqs.push(String(first + i));
          data.push(bytes);
          sums.push(checksum(bytes));
        });
      }
      await client.query(
        `INSERT INTO tandem_updates (doc, seq, data, sum)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::bytea[])`,
        [docs, seqs, data, sums],
      );
    });
  };

  return {
    load(docId) {
      return transaction(async (client) => {
        // One snapshot of the database for both reads: a compaction cannot slip in between.
        await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
        return readDoc(client, docId);
      });
    },
    append(entries: readonly AppendEntry[]) {
      const run = appendTail.then(() => appendNow(entries));
      appendTail = run.catch(() => {});
      return run;
    },
    async compact(docId, snapshot, throughSeq) {
      await transaction(async (client) => {
        await client.query('INSERT INTO tandem_docs (doc) VALUES ($1) ON CONFLICT (doc) DO NOTHING', [docId]);
        const current = await client.query<{ snapshot_seq: string }>(
          'SELECT snapshot_seq FROM tandem_docs WHERE doc = $1 FOR UPDATE',
          [docId],
        );
        // Another node already compacted further: its snapshot covers ours (CLUSTER-5).
        if (Number(current.rows[0]?.snapshot_seq ?? 0) > throughSeq) return;
        const bytes = Buffer.from(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
        await client.query(
          'UPDATE tandem_docs SET snapshot = $2, snapshot_sum = $3, snapshot_seq = $4 WHERE doc = $1',
          [docId, bytes, checksum(bytes), throughSeq],
        );
        await client.query('DELETE FROM tandem_updates WHERE doc = $1 AND seq <= $2', [docId, throughSeq]);
      });
    },
    async delete(docId) {
      await transaction(async (client) => {
        await client.query('DELETE FROM tandem_updates WHERE doc = $1', [docId]);
        await client.query('DELETE FROM tandem_docs WHERE doc = $1', [docId]);
      });
    },
    async list() {
      if (closed) throw new Error('postgres store is closed');
      await ensureSchema();
      const rows = await pool.query<{ doc: string }>('SELECT doc FROM tandem_docs ORDER BY doc');
      return rows.rows.map((r) => r.doc);
    },
    async check() {
      if (closed) throw new Error('postgres store is closed');
      await ensureSchema();
      await pool.query('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
