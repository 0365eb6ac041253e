import type { PostgresServer } from '@tandem/test-utils';
import pg from 'pg';

/** Creates database `name` on `server` (each test case gets a database of its own) and returns its URL. */
export async function createDatabase(server: PostgresServer, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return server.urlFor(name);
}
