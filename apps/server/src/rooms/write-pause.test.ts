import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocStore } from '../storage/doc-store.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';
import { createPersistenceScheduler } from './persistence-scheduler.js';
import { addsStructs, WritesPausedError, writesPausedFor } from './write-pause.js';

/** Updates as clients send them: an insertion, a deletion of it, and a reader's answer to sync step 1. */
function clientUpdates() {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  doc.getText('t').insert(0, 'hello');
  doc.getText('t').delete(0, 2);
  const [insert, deletion] = updates as [Uint8Array, Uint8Array];
  // A reader holding the same document answers the server's sync step 1 with its delete set only.
  const readerStep2 = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(doc));
  const emptyStep2 = Y.encodeStateAsUpdate(new Y.Doc());
  return { insert, deletion, readerStep2, emptyStep2 };
}

describe('write pause (PERSIST-5)', () => {
  it('PERSIST-5: tells updates that add structs from deletions and empty sync step 2 answers, without decoding', () => {
    const { insert, deletion, readerStep2, emptyStep2 } = clientUpdates();
    expect(addsStructs(insert)).toBe(true);
    expect(addsStructs(deletion)).toBe(false);
    expect(readerStep2.byteLength).toBeGreaterThan(2);
    expect(addsStructs(readerStep2)).toBe(false);
    expect(addsStructs(emptyStep2)).toBe(false);
    expect(addsStructs(new Uint8Array(0))).toBe(false);
  });

  it('PERSIST-5: pauses only content, and only while the backlog is over its bound', async () => {
    const { insert, deletion } = clientUpdates();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inner = createMemoryDocStore();
    const hung: DocStore = {
      ...inner,
      async append(entries) {
        await gate;
        return inner.append(entries);
      },
    };
    const scheduler = createPersistenceScheduler(hung, { maxPendingBytes: insert.byteLength });
    expect(writesPausedFor(scheduler, insert)).toBe(false);
    const stored = scheduler.enqueue('doc', insert);
    expect(writesPausedFor(scheduler, insert)).toBe(true);
    expect(writesPausedFor(scheduler, deletion)).toBe(false);
    release();
    await stored;
    expect(writesPausedFor(scheduler, insert)).toBe(false);
  });

  it('PERSIST-5: the import refusal carries HTTP 503 and the documented reason', () => {
    const err = new WritesPausedError();
    expect(err.statusCode).toBe(503);
    expect(err.message).toBe('store unavailable: writes paused; retry later');
  });
});
