import { type PostgresServer, startPostgres, waitFor } from '@tandem/test-utils';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeDocStoreContract } from './doc-store.contract.js';
import type { DocStore } from './doc-store.js';
import { createDatabase } from './postgres-database.fixture.js';
import { openPostgresDocStore } from './postgres-doc-store.js';
import { openPostgresVersionStore } from './postgres-version-store.js';
import { describeVersionStoreContract, durableSubject } from './version-store.contract.js';

// One real postgres for the file; each contract case gets a database of its own.
let server: PostgresServer;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

function freshDatabase(name = `contract_${++databases}`): Promise<string> {
  return createDatabase(server, name);
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

describeVersionStoreContract('postgres', async () => {
  const url = await freshDatabase();
  return durableSubject(() => openPostgresVersionStore({ url }));
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

/** Terminates the backend of `database` that waits on a lock, i.e. the store's transaction stuck behind `raw`'s. */
async function terminateBlockedBackend(raw: pg.Client, database: string): Promise<void> {
  const pid = await waitFor(
    async () =>
      (
        await raw.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
          [database],
        )
      ).rows[0]?.pid,
    { what: "the store's transaction waiting on the row lock" },
  );
  await raw.query('SELECT pg_terminate_backend($1)', [pid]);
}

/** Records the process's uncaught exceptions until the returned stop function is called. */
function recordUncaught(): { errors: Error[]; stop(): void } {
  const errors: Error[] = [];
  const onUncaught = (err: Error) => errors.push(err);
  process.on('uncaughtException', onUncaught);
  return { errors, stop: () => process.off('uncaughtException', onUncaught) };
}

describe('PostgresDocStore: a connection that dies inside a transaction', () => {
  const opened: { store: DocStore; raw: pg.Client; uncaught: { stop(): void } }[] = [];
  afterEach(async () => {
    for (const { store, raw, uncaught } of opened.splice(0)) {
      uncaught.stop();
      await raw.end();
      await store.close();
    }
  });

  const ROW_LOCK = "SELECT next_seq FROM tandem_docs WHERE doc = 'x' FOR UPDATE";
  const TABLE_LOCK = 'LOCK TABLE tandem_updates IN ACCESS EXCLUSIVE MODE';

  /**
   * Opens a store holding document x = [1], starts `call` while a second connection holds `lock` (so the
   * call is surely mid-transaction), terminates the call's backend, and expects the call to fail.
   * poolSize 1: the store's next call can only succeed on a fresh connection, never on the dead one.
   */
  const failMidTransaction = async (database: string, lock: string, call: (store: DocStore) => Promise<unknown>) => {
    const uncaught = recordUncaught();
    const url = await freshDatabase(database);
    const store = openPostgresDocStore({ url, poolSize: 1 });
    const raw = new pg.Client({ connectionString: url });
    opened.push({ store, raw, uncaught });
    await raw.connect();
    await store.append([{ docId: 'x', update: new Uint8Array([1]) }]);
    await raw.query('BEGIN');
    await raw.query(lock);
    // The expectation is attached before the backend is terminated: the call's rejection can arrive before
    // pg_terminate_backend's own answer, and a rejection with no handler yet is an unhandled one.
    const failed = expect(call(store)).rejects.toThrow(/terminating connection due to administrator command/);
    await terminateBlockedBackend(raw, database);
    await failed;
    await raw.query('ROLLBACK');
    return { store, uncaught: uncaught.errors };
  };
  const untouched = { snapshot: null, updates: [{ seq: 1, update: new Uint8Array([1]) }] };

  it('CLUSTER-7: an append whose backend is terminated fails, the process does not crash, and the next append commits', async () => {
    const { store, uncaught } = await failMidTransaction('terminated_append', ROW_LOCK, (s) =>
      s.append([{ docId: 'x', update: new Uint8Array([2]) }]),
    );
    await store.append([{ docId: 'x', update: new Uint8Array([3]) }]);
    expect((await store.load('x')).updates.map((u) => [...u.update])).toEqual([[1], [3]]);
    expect(uncaught).toEqual([]);
  });

  it('CLUSTER-7/PERSIST-2: a load whose backend is terminated fails, the process does not crash, and the next load reads it all', async () => {
    const { store, uncaught } = await failMidTransaction('terminated_load', TABLE_LOCK, (s) => s.load('x'));
    expect(await store.load('x')).toEqual(untouched);
    expect(uncaught).toEqual([]);
  });

  it('CLUSTER-7: a compaction whose backend is terminated fails without a change, the process does not crash, and a later one succeeds', async () => {
    const { store, uncaught } = await failMidTransaction('terminated_compaction', ROW_LOCK, (s) =>
      s.compact('x', new Uint8Array([9]), 1),
    );
    expect(await store.load('x')).toEqual(untouched);
    await store.compact('x', new Uint8Array([9]), 1);
    expect(await store.load('x')).toEqual({ snapshot: new Uint8Array([9]), updates: [] });
    expect(uncaught).toEqual([]);
  });
});
