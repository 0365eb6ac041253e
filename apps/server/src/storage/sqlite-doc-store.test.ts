import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { describeDocStoreContract } from './doc-store.contract.js';
import type { DocStore } from './doc-store.js';
import { openSqliteDocStore, SQLITE_FILE } from './sqlite-doc-store.js';
import { openSqliteVersionStore } from './sqlite-version-store.js';
import { describeVersionStoreContract, durableSubject } from './version-store.contract.js';

describeDocStoreContract('sqlite', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-store-'));
  const opened: DocStore[] = [await openSqliteDocStore({ dataDir })];
  return {
    store: opened[0] as DocStore,
    reopen: async () => {
      await opened.at(-1)?.close();
      const next = await openSqliteDocStore({ dataDir });
      opened.push(next);
      return next;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

describeVersionStoreContract('sqlite', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-versions-'));
  return durableSubject(
    () => openSqliteVersionStore({ dataDir }),
    () => rmSync(dataDir, { recursive: true, force: true }),
  );
});

describe('SqliteDocStore', () => {
  it('STORE-9: a damaged row fails the load with a message naming the document and leaves the bytes as they were', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-corrupt-'));
    try {
      const store = await openSqliteDocStore({ dataDir });
      await store.append([
        { docId: 'damaged', update: new Uint8Array([1, 2, 3]) },
        { docId: 'fine', update: new Uint8Array([4]) },
      ]);
      await store.close();
      const raw = new Database(join(dataDir, SQLITE_FILE));
      raw.prepare("UPDATE updates SET data = X'010203ff' WHERE doc = 'damaged'").run();
      const before = raw.prepare('SELECT doc, seq, data, sum FROM updates ORDER BY doc, seq').all();
      raw.close();

      const reopened = await openSqliteDocStore({ dataDir });
      await expect(reopened.load('damaged')).rejects.toThrow(/"damaged" fails its checksum/);
      expect((await reopened.load('fine')).updates).toHaveLength(1);
      await reopened.close();
      const check = new Database(join(dataDir, SQLITE_FILE), { readonly: true });
      expect(check.prepare('SELECT doc, seq, data, sum FROM updates ORDER BY doc, seq').all()).toEqual(before);
      check.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('STORE-11: a write waits for another connection holding the write lock instead of failing "database is locked"', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-locked-'));
    try {
      const store = await openSqliteDocStore({ dataDir });
      const versions = openSqliteVersionStore({ dataDir });
      const added = await versions.addVersion({
        docId: 'doc',
        kind: 'named',
        label: null,
        reason: null,
        createdAt: 1,
        covers: 'c',
        authors: [],
        createdBy: null,
        state: new Uint8Array([1]),
      });
      const id = added.version?.id as string;
      // Another connection (another handle, a tool) holds the write lock for a moment.
      const raw = new Database(join(dataDir, SQLITE_FILE));
      raw.exec('BEGIN IMMEDIATE');
      const released = new Promise<void>((resolve) =>
        setTimeout(() => {
          raw.exec('COMMIT');
          raw.close();
          resolve();
        }, 300),
      );
      // A first append to a document reads its numbers, then writes; adding authors reads, then writes.
      await Promise.all([
        store.append([{ docId: 'new-doc', update: new Uint8Array([7]) }]),
        versions.addAuthors('doc', id, [{ userId: 'u1', name: 'Ada' }]),
        released,
      ]);
      expect((await store.load('new-doc')).updates.map((u) => [...u.update])).toEqual([[7]]);
      expect((await versions.getVersion('doc', id))?.authors).toEqual([{ userId: 'u1', name: 'Ada' }]);
      await store.close();
      await versions.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a database written by a newer schema version', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-schema-'));
    try {
      const raw = new Database(join(dataDir, SQLITE_FILE));
      raw.pragma('user_version = 99');
      raw.close();
      await expect(openSqliteDocStore({ dataDir })).rejects.toThrow(/schema version 99/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('SqliteVersionStore', () => {
  it('VER-1: writes a version on the store thread: the event loop keeps turning while a large one is stored', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-versions-thread-'));
    const versions = openSqliteVersionStore({ dataDir });
    try {
      // 16 MiB of state: its checksum, insert and fsync take many milliseconds wherever they run.
      const state = new Uint8Array(16 * 2 ** 20).fill(7);
      await versions.listVersions('warm-up', { limit: 1 });
      let turns = 0;
      let counting = true;
      const tick = () => {
        turns += 1;
        if (counting) setImmediate(tick);
      };
      setImmediate(tick);
      const added = await versions.addVersion({
        docId: 'large',
        kind: 'named',
        label: 'Large',
        reason: null,
        createdAt: Date.now(),
        authors: [],
        createdBy: null,
        state,
        covers: 'large-1',
      });
      counting = false;
      expect(added.created).toBe(true);
      // Written synchronously on the event loop, the insert would let no turn run before it resolved.
      expect(turns).toBeGreaterThan(1);
      if (!added.created) return;
      expect((await versions.readVersionState('large', added.version.id))?.byteLength).toBe(state.byteLength);
    } finally {
      await versions.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
