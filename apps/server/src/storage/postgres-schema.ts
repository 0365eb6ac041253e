import type pg from 'pg';
import type { Logger } from 'pino';
import { inTransaction } from './postgres-transaction.js';

/**
 * A module's tables, created on first use (so a node starts while Postgres is down) and again
 * after a failure. The `CREATE … IF NOT EXISTS` statements run under an advisory transaction lock
 * (`lockKey`, one per module): nodes starting at once would otherwise race on them, and one of
 * them fail with a duplicate-key error on the catalog.
 */
export function lazyPostgresSchema(pool: pg.Pool, ddl: string, lockKey: number, logger?: Logger): () => Promise<void> {
  let created: Promise<void> | null = null;
  return () => {
    created ??= inTransaction(
      pool,
      async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
        await client.query(ddl);
      },
      logger,
    ).catch((err: unknown) => {
      created = null;
      throw err;
    });
    return created;
  };
}
