import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocStore } from './doc-store.js';

/** A store under test; `reopen` (durable stores only) closes it and opens the same data again. */
export interface ContractSubject {
  readonly store: DocStore;
  readonly reopen?: () => Promise<DocStore>;
  readonly cleanup: () => Promise<void>;
}

const bytes = (...values: number[]) => new Uint8Array(values);

/** The behaviour every DocStore must show (STORE-1..STORE-7); run it against each implementation. */
export function describeDocStoreContract(name: string, open: () => Promise<ContractSubject>): void {
  const withStore = (fn: (subject: ContractSubject) => Promise<void>) => async () => {
    const subject = await open();
    try {
      await fn(subject);
    } finally {
      await subject.cleanup();
    }
  };

  describe(`DocStore contract: ${name}`, () => {
    it(
      'STORE-1: an unknown document loads as empty',
      withStore(async ({ store }) => {
        expect(await store.load('nobody')).toEqual({ snapshot: null, updates: [] });
      }),
    );

    it(
      'STORE-2: appended updates load back in order with increasing seq, byte for byte',
      withStore(async ({ store }) => {
        await store.append([{ docId: 'a', update: bytes(1, 2, 3) }]);
        await store.append([
          { docId: 'a', update: bytes(4) },
          { docId: 'a', update: bytes(5, 6) },
        ]);
        const loaded = await store.load('a');
        expect(loaded.snapshot).toBeNull();
        expect(loaded.updates.map((u) => [...u.update])).toEqual([[1, 2, 3], [4], [5, 6]]);
        const seqs = loaded.updates.map((u) => u.seq);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        expect(new Set(seqs).size).toBe(3);
      }),
    );

    it(
      'STORE-3: one append may span documents and each keeps its own order',
      withStore(async ({ store }) => {
        await store.append([
          { docId: 'x', update: bytes(1) },
          { docId: 'y', update: bytes(10) },
          { docId: 'x', update: bytes(2) },
          { docId: 'y', update: bytes(20) },
        ]);
        expect((await store.load('x')).updates.map((u) => u.update[0])).toEqual([1, 2]);
        expect((await store.load('y')).updates.map((u) => u.update[0])).toEqual([10, 20]);
      }),
    );

    it(
      'STORE-4: concurrent appends to different documents all land, each in order',
      withStore(async ({ store }) => {
        const docs = Array.from({ length: 20 }, (_, i) => `doc-${i}`);
        await Promise.all(
          docs.flatMap((docId) => Array.from({ length: 10 }, (_, n) => store.append([{ docId, update: bytes(n) }]))),
        );
        for (const docId of docs) {
          expect((await store.load(docId)).updates.map((u) => u.update[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        }
      }),
    );

    it(
      'STORE-5: compaction replaces the snapshot and the log prefix, keeps later updates, and seq keeps rising',
      withStore(async ({ store }) => {
        const doc = new Y.Doc();
        const updates: Uint8Array[] = [];
        doc.on('update', (u: Uint8Array) => updates.push(u));
        for (const word of ['one ', 'two ', 'three ']) doc.getText('t').insert(doc.getText('t').length, word);
        for (const update of updates) await store.append([{ docId: 'c', update }]);
        const before = await store.load('c');
        const through = before.updates[1]?.seq as number;
        const partial = new Y.Doc();
        for (const u of before.updates.slice(0, 2)) Y.applyUpdate(partial, u.update);
        await store.compact('c', Y.encodeStateAsUpdate(partial), through);

        const after = await store.load('c');
        expect(after.snapshot).not.toBeNull();
        expect(after.updates.map((u) => u.seq)).toEqual([before.updates[2]?.seq]);
        await store.append([{ docId: 'c', update: bytes(0, 0) }]);
        const again = await store.load('c');
        expect(again.updates.length).toBe(2);
        expect((again.updates[1]?.seq as number) > (again.updates[0]?.seq as number)).toBe(true);

        const rebuilt = new Y.Doc();
        Y.applyUpdate(rebuilt, again.snapshot as Uint8Array);
        for (const u of again.updates) Y.applyUpdate(rebuilt, u.update);
        expect(rebuilt.getText('t').toString()).toBe('one two three ');
      }),
    );

    it(
      'CLUSTER-5: a stale compaction (through a position below the stored snapshot) changes nothing',
      withStore(async ({ store }) => {
        const doc = new Y.Doc();
        const updates: Uint8Array[] = [];
        doc.on('update', (u: Uint8Array) => updates.push(u));
        for (const word of ['a', 'b', 'c', 'd']) doc.getArray<string>('w').push([word]);
        for (const update of updates) await store.append([{ docId: 's', update }]);
        const stored = await store.load('s');
        const seqs = stored.updates.map((u) => u.seq);
        const upTo = (n: number) => {
          const partial = new Y.Doc();
          for (const u of stored.updates.slice(0, n)) Y.applyUpdate(partial, u.update);
          return Y.encodeStateAsUpdate(partial);
        };
        // Node B compacts through the third update; node A, holding an older view, through the first.
        await store.compact('s', upTo(3), seqs[2] as number);
        await store.compact('s', upTo(1), seqs[0] as number);
        const after = await store.load('s');
        expect(after.updates.map((u) => u.seq)).toEqual([seqs[3]]);
        const rebuilt = new Y.Doc();
        Y.applyUpdate(rebuilt, after.snapshot as Uint8Array);
        for (const u of after.updates) Y.applyUpdate(rebuilt, u.update);
        expect(rebuilt.getArray('w').toArray()).toEqual(['a', 'b', 'c', 'd']);
      }),
    );

    it(
      'STORE-5: seq keeps rising across a reopen after compaction took the whole log',
      withStore(async (subject) => {
        await subject.store.append([{ docId: 'q', update: bytes(1) }]);
        await subject.store.append([{ docId: 'q', update: bytes(2) }]);
        const first = await subject.store.load('q');
        const last = first.updates.at(-1)?.seq as number;
        await subject.store.compact('q', bytes(0, 0), last);
        const store = subject.reopen === undefined ? subject.store : await subject.reopen();
        await store.append([{ docId: 'q', update: bytes(3) }]);
        const after = await store.load('q');
        expect(after.updates).toHaveLength(1);
        expect(after.updates[0]?.seq).toBeGreaterThan(last);
        // A stale compaction through the old position must not swallow the new update.
        await store.compact('q', bytes(0, 0), last);
        expect((await store.load('q')).updates.map((u) => u.update[0])).toEqual([3]);
      }),
    );

    it(
      'STORE-6: delete removes a document and list names the stored ones',
      withStore(async ({ store }) => {
        await store.append([
          { docId: 'keep', update: bytes(1) },
          { docId: 'drop', update: bytes(2) },
        ]);
        expect((await store.list()).sort()).toEqual(['drop', 'keep']);
        await store.delete('drop');
        expect(await store.list()).toEqual(['keep']);
        expect(await store.load('drop')).toEqual({ snapshot: null, updates: [] });
        expect((await store.load('keep')).updates).toHaveLength(1);
      }),
    );

    it(
      'STORE-7: check() answers while open; operations fail after close',
      withStore(async ({ store }) => {
        await expect(store.check()).resolves.toBeUndefined();
        await store.close();
        await expect(store.check()).rejects.toThrow();
        await expect(store.append([{ docId: 'late', update: bytes(1) }])).rejects.toThrow();
      }),
    );

    it(
      'STORE-8: durable stores keep everything across a reopen',
      withStore(async (subject) => {
        if (subject.reopen === undefined) {
          // Memory stores promise no durability; they must still keep data while open.
          await subject.store.append([{ docId: 'r', update: bytes(7) }]);
          expect((await subject.store.load('r')).updates).toHaveLength(1);
          return;
        }
        await subject.store.append([{ docId: 'r', update: bytes(7) }]);
        await subject.store.compact('r', bytes(0, 0), 0);
        await subject.store.append([{ docId: 'r', update: bytes(8) }]);
        const reopened = await subject.reopen();
        const loaded = await reopened.load('r');
        expect([...(loaded.snapshot ?? [])]).toEqual([0, 0]);
        expect(loaded.updates.map((u) => u.update[0])).toEqual([7, 8]);
      }),
    );
  });
}
