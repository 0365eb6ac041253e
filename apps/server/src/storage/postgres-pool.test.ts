import { freePort, type PostgresServer, startPostgres } from '@tandem/test-utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresPool } from './postgres-pool.js';

// Two real servers: `readOnly` answers transaction_read_only = on (as a hot standby does), `writable` does not.
let readOnly: PostgresServer;
let writable: PostgresServer;
let closedPort: number;

beforeAll(async () => {
  [readOnly, writable] = await Promise.all([startPostgres(), startPostgres()]);
  const admin = new pg.Client({ connectionString: readOnly.url });
  await admin.connect();
  await admin.query('ALTER SYSTEM SET default_transaction_read_only = on');
  await admin.query('SELECT pg_reload_conf()');
  await admin.end();
  closedPort = await freePort();
}, 60_000);

afterAll(async () => {
  await readOnly?.stop();
  await writable?.stop();
});

const hosts = (...ports: number[]) => ports.map((port) => `127.0.0.1:${port}`).join(',');

/** The port of the server a pool's connection landed on, for `times` checkouts. */
async function servedBy(url: string, times = 3): Promise<number[]> {
  const pool = createPostgresPool(url, { max: 1, connectionTimeoutMillis: 2_000 });
  try {
    const ports: number[] = [];
    for (let i = 0; i < times; i++) {
      const client = await pool.connect();
      const row = (await client.query<{ port: number }>('SELECT inet_server_port() AS port')).rows[0];
      // Released as broken, so the next checkout opens a new connection and picks its host again.
      client.release(true);
      ports.push(Number(row?.port));
    }
    return ports;
  } finally {
    await pool.end();
  }
}

describe('createPostgresPool', () => {
  it('HA-5: with read-write, one checkout skips a refusing host and a read-only one, and stays on the primary', async () => {
    const url = `postgres://postgres@${hosts(closedPort, readOnly.port, writable.port)}/postgres?target_session_attrs=read-write`;
    expect(await servedBy(url)).toEqual([writable.port, writable.port, writable.port]);
  });

  it('HA-5: with any (the default), only a refusing host is skipped', async () => {
    expect(await servedBy(`postgres://postgres@${hosts(closedPort, readOnly.port, writable.port)}/postgres`)).toEqual([
      readOnly.port,
      readOnly.port,
      readOnly.port,
    ]);
  });

  it('HA-5: no usable host: the checkout fails with the last host’s reason', async () => {
    const url = `postgres://postgres@${hosts(closedPort, readOnly.port)}/postgres?target_session_attrs=read-write`;
    await expect(servedBy(url, 1)).rejects.toThrow(/read-only|ECONNREFUSED/);
  });
});
