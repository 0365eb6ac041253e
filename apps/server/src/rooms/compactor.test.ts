import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@tandem/test-utils';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocStore } from '../storage/doc-store.js';
import { openSnapshotThread, type SnapshotBuilder } from '../storage/snapshot-thread.js';
import { openSqliteDocStore } from '../storage/sqlite-doc-store.js';
import { createCompactor, type StoredLog, storedLogOf } from './compactor.js';
import { spreadAboveByName } from './spread-by-name.js';

const logger = pino({ level: 'silent' });

/** `count` updates of a text typed into by 4 clients in turn, each seen by the others (interleaved ids). */
function typedUpdates(count: number): Uint8Array[] {
  const docs = Array.from({ length: 4 }, (_, i) => {
    const doc = new Y.Doc();
    doc.clientID = 100 + i;
    return doc;
  });
  const updates: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const doc = docs[i % docs.length] as Y.Doc;
    const seen = (u: Uint8Array) => updates.push(u);
    doc.once('update', seen);
    const text = doc.getText('t');
    text.insert((i * 7) % (text.length + 1), `w${i} `);
    const update = updates.at(-1) as Uint8Array;
    for (const other of docs) if (other !== doc) Y.applyUpdate(other, update);
  }
  return updates;
}

function textOf(stored: Awaited<ReturnType<DocStore['load']>>): string {
  const doc = new Y.Doc();
  if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot);
  for (const { update } of stored.updates) Y.applyUpdate(doc, update);
  return doc.getText('t').toString();
}

/** The real store, with its reads and compactions written down in the order they reach it. */
function recording(inner: DocStore): { store: DocStore; calls: string[] } {
  const calls: string[] = [];
  const store: DocStore = {
    ...inner,
    load: (docId) => {
      calls.push(`load ${docId}`);
      return inner.load(docId);
    },
    compact: (docId, snapshot, throughSeq) => {
      calls.push(`compact ${docId}`);
      return inner.compact(docId, snapshot, throughSeq);
    },
  };
  return { store, calls };
}

describe('compactor on the SQLite store with the snapshot thread', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  const open = async (): Promise<{ store: DocStore; snapshots: SnapshotBuilder }> => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-compactor-'));
    closers.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const store = await openSqliteDocStore({ dataDir });
    closers.push(() => store.close());
    const snapshots = openSnapshotThread({ idleMs: 60_000 });
    closers.push(() => snapshots.close());
    return { store, snapshots };
  };

  /** Documents with 3 logged updates each, and a compactor due at 3 whose store calls are recorded. */
  const dueAfterThree = async (docs: readonly string[]) => {
    const opened = await open();
    const { store, calls } = recording(opened.store);
    const updates = typedUpdates(3);
    for (const docId of docs) await store.append(updates.map((update) => ({ docId, update })));
    const policy = { afterUpdates: 3, afterBytes: 2 ** 30 };
    const compactor = createCompactor({ store, logger, policy, snapshots: opened.snapshots });
    return { opened, calls, compactor };
  };

  it('STORE-5: a compaction merges the whole log into the snapshot; updates appended later follow it', async () => {
    const { store, snapshots } = await open();
    const compactor = createCompactor({ store, logger, policy: { afterUpdates: 3, afterBytes: 2 ** 30 }, snapshots });
    const updates = typedUpdates(4);
    for (const update of updates.slice(0, 3)) await store.append([{ docId: 'd', update }]);
    const expected = textOf(await store.load('d'));
    compactor.track('d', storedLogOf(await store.load('d')));
    await compactor.settled('d');
    const compacted = await store.load('d');
    expect(compacted.updates).toEqual([]);
    expect(textOf(compacted)).toBe(expected);
    await store.append([{ docId: 'd', update: updates[3] as Uint8Array }]);
    const after = await store.load('d');
    expect(after.updates.map((u) => u.seq)).toEqual([4]);
    expect(textOf(after)).toBe(
      textOf({ snapshot: null, updates: updates.map((update, i) => ({ seq: i + 1, update })) }),
    );
    compactor.untrack('d');
  });

  it('STORE-5/ACK-1: while a large document is compacted, another document’s commit is not held behind the merge', async () => {
    const { store, snapshots } = await open();
    const updates = typedUpdates(12_000);
    for (let i = 0; i < updates.length; i += 1_000) {
      await store.append(updates.slice(i, i + 1_000).map((update) => ({ docId: 'big', update })));
    }
    const expected = textOf(await store.load('big'));
    const compactor = createCompactor({
      store,
      logger,
      policy: { afterUpdates: 1_000, afterBytes: 2 ** 30 },
      snapshots,
    });
    const order: string[] = [];
    compactor.track('big', storedLogOf(await store.load('big')));
    const compaction = compactor.settled('big').then(() => order.push('compaction'));
    await store.append([{ docId: 'other', update: typedUpdates(1)[0] as Uint8Array }]);
    order.push('commit');
    await compaction;
    // The merge of 12,000 updates takes far longer than one commit; before, the store's thread
    // did it inside the compaction's transaction and this commit waited for all of it.
    expect(order).toEqual(['commit', 'compaction']);
    const compacted = await store.load('big');
    expect(compacted.updates).toEqual([]);
    expect(textOf(compacted)).toBe(expected);
    expect((await store.load('other')).updates).toHaveLength(1);
    compactor.untrack('big');
  });

  it('STORE-5/ACK-1: documents due together are compacted one at a time, so a commit waits behind one compaction at most', async () => {
    const docs = ['a', 'b', 'c'];
    const { opened, calls, compactor } = await dueAfterThree(docs);
    const expected = textOf(await opened.store.load('a'));
    const logs = await Promise.all(docs.map(async (docId) => storedLogOf(await opened.store.load(docId))));
    for (const [i, docId] of docs.entries()) compactor.track(docId, logs[i] as StoredLog);
    await waitFor(() => calls.length === 6, { timeoutMs: 10_000 });
    // Before, the three loads reached the store back to back, then the three writes.
    expect(calls).toEqual(['load a', 'compact a', 'load b', 'compact b', 'load c', 'compact c']);
    await compactor.settled();
    for (const docId of docs) {
      const compacted = await opened.store.load(docId);
      expect(compacted.updates).toEqual([]);
      expect(textOf(compacted)).toBe(expected);
      compactor.untrack(docId);
    }
  });

  it('PERSIST-3: with the spread on, each document compacts at its own count, from the threshold to twice it', async () => {
    const { store, snapshots } = await open();
    const { calls, store: recorded } = recording(store);
    const policy = { afterUpdates: 20, afterBytes: 2 ** 30, spread: true };
    const compactor = createCompactor({ store: recorded, logger, policy, snapshots });
    const names = Array.from({ length: 40 }, (_, i) => `room-${i}`);
    const counts = names.map((name) => spreadAboveByName(name, 20));
    // Rooms written at the same pace no longer all fall due at the same update.
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...counts)).toBeLessThan(40);
    expect(new Set(counts).size).toBeGreaterThan(10);
    const low = names[counts.indexOf(Math.min(...counts))] as string;
    const high = names[counts.indexOf(Math.max(...counts))] as string;
    const updates = typedUpdates(Math.max(...counts));
    for (const docId of [low, high]) compactor.track(docId, { updates: 0, bytes: 0 });
    for (const [i, update] of updates.entries()) {
      for (const docId of [low, high]) {
        await store.append([{ docId, update }]);
        compactor.noteAppended(docId, update.byteLength);
      }
      await compactor.settled();
      // The low room compacts at its count and not before; the high room only at its own.
      expect(calls.includes(`compact ${low}`)).toBe(i + 1 >= Math.min(...counts));
      expect(calls.includes(`compact ${high}`)).toBe(i + 1 >= Math.max(...counts));
    }
    compactor.untrack(low);
    compactor.untrack(high);
  });

  it('STORE-5/ROOM-2: a room that unloads or closes does not wait for other documents’ compactions: its own, not started yet, is dropped', async () => {
    const { opened, calls, compactor } = await dueAfterThree(['a', 'b']);
    const order: string[] = [];
    compactor.track('a', { updates: 3, bytes: 1 });
    compactor.track('b', { updates: 3, bytes: 1 });
    const a = compactor.settled('a').then(() => order.push('a compacted'));
    await compactor.settled('b');
    order.push('b settled');
    await a;
    expect(order).toEqual(['b settled', 'a compacted']);
    expect(calls).toEqual(['load a', 'compact a']);
    expect((await opened.store.load('b')).updates).toHaveLength(3);
    compactor.untrack('a');
    compactor.untrack('b');
  });
});
