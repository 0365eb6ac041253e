import { type PostgresServer, startPostgres } from '@tandem/test-utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDocStoreContract } from './doc-store.contract.js';
import type { DocStore } from './doc-store.js';
import { openPostgresDocStore } from './postgres-doc-store.js';

// One real postgres for the file; each contract case gets a database of its own.
let server: PostgresServer;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

async function freshDatabase(): Promise<string> {
  const name = `contract_${++databases}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return server.urlFor(name);
}

describeDocStoreContract('postgres', async () => {
  const url = await freshDatabase();
  const opened: DocStore[] = [openPostgresDocStore({ url })];
  return {
    store: opened[0] as DocStore,
    reopen: async () => {
      await opened.at(-1)?.close();
      const next = openPostgresDocStore({ url });
      opened.push(next);
      return next;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
    },
  };
});

describe('PostgresDocStore', () => {
  it('STORE-9: a damaged row fails the load naming the document, and the bytes stay as they were', async () => {
    const url = await freshDatabase();
    const store = openPostgresDocStore({ url });
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    try {
      await store.append([
        { docId: 'damaged', update: new Uint8Array([1, 2, 3]) },
        { docId: 'fine', update: new Uint8Array([4]) },
      ]);
      await raw.query("UPDATE tandem_updates SET data = '\\x010203ff' WHERE doc = 'damaged'");
      const rows = () => raw.query('SELECT doc, seq, data, sum FROM tandem_updates ORDER BY doc, seq');
      const before = (await rows()).rows;
      await expect(store.load('damaged')).rejects.toThrow(/"damaged" fails its checksum/);
      expect((await store.load('fine')).updates).toHaveLength(1);
      expect((await rows()).rows).toEqual(before);
    } finally {
      await raw.end();
      await store.close();
    }
  });

  it('CLUSTER-2: two nodes appending to the same documents at once keep one gap-free order per document', async () => {
    const url = await freshDatabase();
    const a = openPostgresDocStore({ url });
    const b = openPostgresDocStore({ url });
    try {
      // Opposite document order in each batch: the counter rows are locked in one order, so no deadlock.
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => [
          a.append([
            { docId: 'x', update: new Uint8Array([1, i]) },
            { docId: 'y', update: new Uint8Array([1, i]) },
          ]),
          b.append([
            { docId: 'y', update: new Uint8Array([2, i]) },
            { docId: 'x', update: new Uint8Array([2, i]) },
          ]),
        ]).flat(),
      );
      for (const docId of ['x', 'y']) {
        const loaded = await a.load(docId);
        expect(loaded.updates.map((u) => u.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
        for (const node of [1, 2]) {
          const mine = loaded.updates.filter((u) => u.update[0] === node).map((u) => u.update[1]);
          expect(mine).toEqual(Array.from({ length: 30 }, (_, i) => i));
        }
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
