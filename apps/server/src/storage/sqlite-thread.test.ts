import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredDoc } from './doc-store.js';
import { sqliteDocStoreOn } from './sqlite-doc-store.js';
import { openSqliteThread, type SqliteThread } from './sqlite-thread.js';

/** How many threads this process runs now (Linux). */
const threadCount = () => readdirSync('/proc/self/task').length;

const bytes = (n: number) => Uint8Array.of(n, n + 1, n + 2);

describe('the SQLite store thread, idle', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function open(idleMs: number): SqliteThread {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-store-idle-'));
    const thread = openSqliteThread({ dataDir, idleMs });
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    cleanups.push(() => thread.close());
    return thread;
  }

  it('STORE-10: ends once the database is opened and after each idle spell, its OS thread gone, and the next request starts it again with everything kept', async () => {
    const before = threadCount();
    const thread = open(100);
    await thread.opened;
    // Opening checked the database; with no request yet the thread has ended already.
    expect(thread.running).toBe(false);
    await waitFor(() => threadCount() === before, { what: 'the opening thread ended' });
    const store = sqliteDocStoreOn(thread);
    await store.append([{ docId: 'a', update: bytes(1) }]);
    const running = threadCount();
    expect(thread.running).toBe(true);

    await waitFor(() => !thread.running && threadCount() < running, { what: 'the thread ended' });

    await store.append([{ docId: 'a', update: bytes(2) }]);
    expect(thread.running).toBe(true);
    expect(threadCount()).toBe(running);
    const loaded = await store.load('a');
    expect(loaded.updates.map((u) => Array.from(u.update))).toEqual([
      [1, 2, 3],
      [2, 3, 4],
    ]);
    // Idle again: it ends again.
    await waitFor(() => !thread.running && threadCount() < running, { what: 'the thread ended again' });
  });

  it('STORE-10: requests made while it stops are served in order by the next thread, nothing lost', async () => {
    const thread = open(5);
    await thread.opened;
    const store = sqliteDocStoreOn(thread);
    const expected: number[] = [];
    for (let round = 0; round < 8; round++) {
      // The idle timer has fired: the stop is under way (the close request posted, then terminate).
      await waitFor(() => !thread.running, { intervalMs: 1, what: `the thread stopping (round ${round})` });
      const writes = [0, 1, 2].map((k) => {
        const n = round * 3 + k;
        expected.push(n);
        return store.append([{ docId: 'b', update: bytes(n) }]);
      });
      await Promise.all(writes);
    }
    const loaded: StoredDoc = await store.load('b');
    expect(loaded.updates.map((u) => u.update[0])).toEqual(expected);
    const seqs = loaded.updates.map((u) => u.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('STORE-7: after close, requests fail and do not start the thread again', async () => {
    const thread = open(60_000);
    await thread.opened;
    const store = sqliteDocStoreOn(thread);
    await thread.close();
    expect(thread.running).toBe(false);
    await expect(store.append([{ docId: 'c', update: bytes(1) }])).rejects.toThrow('the SQLite store is closed');
    expect(thread.running).toBe(false);
  });
});
