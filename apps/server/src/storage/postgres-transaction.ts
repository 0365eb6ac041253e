import type pg from 'pg';
import type { Logger } from 'pino';

/**
 * Runs `work` in one transaction on a connection of `pool`: BEGIN, COMMIT, or ROLLBACK on a throw.
 * A checked-out client is off the pool's idle listener: when its connection dies mid-transaction
 * (Postgres killed, backend terminated) it emits 'error' here, and unheard that would crash the
 * process; such a connection is released with its error, so the pool destroys it instead of
 * lending it out again.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  logger?: Logger,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken ??= err;
    logger?.warn({ err, dependency: 'postgres' }, 'postgres connection failed during a transaction');
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    if (broken === undefined) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      });
    }
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
