// The persistence scheduler: group commit per turn, flush, failures, lastPending.
import { describe, expect, it } from 'vitest';
import type { DocStore } from '../storage/doc-store.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';
import { bytes, nextTurn, recordingStore, track, turnsUntil } from './persistence-scheduler.fixture.js';
import { createPersistenceScheduler } from './persistence-scheduler.js';

describe('createPersistenceScheduler', () => {
  it('hands every update enqueued in one turn, across documents, to one append', async () => {
    const { inner, store, calls } = recordingStore();
    const scheduler = createPersistenceScheduler(store);
    const done = Promise.all([
      scheduler.enqueue('doc-a', bytes(1)),
      scheduler.enqueue('doc-b', bytes(2)),
      scheduler.enqueue('doc-a', bytes(3)),
    ]);
    expect(calls).toHaveLength(0);
    expect(scheduler.pending).toBe(3);
    await done;
    expect(calls).toEqual([
      [
        { docId: 'doc-a', update: bytes(1) },
        { docId: 'doc-b', update: bytes(2) },
        { docId: 'doc-a', update: bytes(3) },
      ],
    ]);
    expect((await inner.load('doc-a')).updates.map((u) => u.update)).toEqual([bytes(1), bytes(3)]);
    expect((await inner.load('doc-b')).updates.map((u) => u.update)).toEqual([bytes(2)]);
    expect(scheduler.pending).toBe(0);
  });

  it('uses one append per turn: updates from a later turn go in a later append', async () => {
    const { store, calls } = recordingStore();
    const scheduler = createPersistenceScheduler(store);
    await scheduler.enqueue('doc', bytes(1));
    await scheduler.enqueue('doc', bytes(2));
    expect(calls.map((c) => c.length)).toEqual([1, 1]);
  });

  it('keeps one append in flight: a later batch waits for it, then goes as one append', async () => {
    const { inner, store, calls, gate } = recordingStore(true);
    const scheduler = createPersistenceScheduler(store);
    const first = scheduler.enqueue('doc', bytes(1));
    await nextTurn();
    expect(calls).toHaveLength(1);

    const second = track(scheduler.enqueue('doc', bytes(2)));
    await nextTurn();
    const third = track(scheduler.enqueue('other', bytes(3)));
    await nextTurn();
    await nextTurn();
    expect(calls).toHaveLength(1);
    expect(scheduler.pending).toBe(3);

    gate(0).resolve();
    await first;
    await turnsUntil(() => calls.length === 2);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual([
      { docId: 'doc', update: bytes(2) },
      { docId: 'other', update: bytes(3) },
    ]);
    expect(second.settled() || third.settled()).toBe(false);

    gate(1).resolve();
    await scheduler.flush();
    expect(second.settled() && third.settled()).toBe(true);
    expect((await inner.load('doc')).updates.map((u) => u.update)).toEqual([bytes(1), bytes(2)]);
    expect(scheduler.pending).toBe(0);
  });

  it('flush() resolves at once when nothing is queued', async () => {
    const { store, calls } = recordingStore();
    const scheduler = createPersistenceScheduler(store);
    await scheduler.flush();
    expect(calls).toHaveLength(0);
  });

  it('flush() commits what is queued without waiting for the turn, and resolves only once it is appended', async () => {
    const { inner, store, calls, gate } = recordingStore(true);
    const scheduler = createPersistenceScheduler(store);
    void scheduler.enqueue('doc', bytes(1));
    void scheduler.enqueue('doc', bytes(2));
    const flushed = scheduler.flush();
    const flushState = track(flushed);
    expect(calls).toHaveLength(1);

    await nextTurn();
    await nextTurn();
    expect(flushState.settled()).toBe(false);
    expect((await inner.load('doc')).updates).toHaveLength(0);

    gate(0).resolve();
    await flushed;
    expect((await inner.load('doc')).updates.map((u) => u.update)).toEqual([bytes(1), bytes(2)]);
    expect(scheduler.pending).toBe(0);
  });

  it('flush() also waits for updates queued behind the append in flight', async () => {
    const { inner, store, calls, gate } = recordingStore(true);
    const scheduler = createPersistenceScheduler(store);
    void scheduler.enqueue('doc', bytes(1));
    await nextTurn();
    void scheduler.enqueue('doc', bytes(2));
    const flushed = scheduler.flush();
    const flushState = track(flushed);

    gate(0).resolve();
    // The first append settles; flush must start the second one and keep waiting.
    await turnsUntil(() => calls.length === 2);
    expect(calls).toHaveLength(2);
    expect(flushState.settled()).toBe(false);

    gate(1).resolve();
    await flushed;
    expect((await inner.load('doc')).updates.map((u) => u.update)).toEqual([bytes(1), bytes(2)]);
  });

  it('a failed append rejects exactly the promises of its batch', async () => {
    const { inner, store, calls, gate } = recordingStore(true);
    const scheduler = createPersistenceScheduler(store);
    const a = scheduler.enqueue('doc', bytes(1));
    const b = scheduler.enqueue('doc', bytes(2));
    const aResult = expect(a).rejects.toThrow('disk full');
    const bResult = expect(b).rejects.toThrow('disk full');
    await nextTurn();
    expect(calls).toHaveLength(1);

    const c = scheduler.enqueue('doc', bytes(3));
    gate(0).reject(new Error('disk full'));
    await aResult;
    await bResult;

    await turnsUntil(() => calls.length === 2);
    gate(1).resolve();
    await expect(c).resolves.toBeUndefined();
    expect((await inner.load('doc')).updates.map((u) => u.update)).toEqual([bytes(3)]);
  });

  it('flush() resolves (does not reject) when an append fails', async () => {
    const { store, gate } = recordingStore(true);
    const scheduler = createPersistenceScheduler(store);
    const failed = scheduler.enqueue('doc', bytes(1)).catch((err: unknown) => err);
    const flushed = scheduler.flush();
    gate(0).reject(new Error('boom'));
    await expect(flushed).resolves.toBeUndefined();
    expect(await failed).toBeInstanceOf(Error);
    expect(scheduler.pending).toBe(0);
  });

  it('carries on after a failure: the next batch is appended normally', async () => {
    const inner = createMemoryDocStore();
    let failNext = true;
    const store: DocStore = {
      ...inner,
      async append(entries) {
        if (failNext) {
          failNext = false;
          throw new Error('transient');
        }
        return inner.append(entries);
      },
    };
    const scheduler = createPersistenceScheduler(store);
    await expect(scheduler.enqueue('doc', bytes(1))).rejects.toThrow('transient');
    await expect(scheduler.enqueue('doc', bytes(2))).resolves.toBeUndefined();
    expect((await inner.load('doc')).updates.map((u) => u.update)).toEqual([bytes(2)]);
  });

  describe('lastPending', () => {
    it('is null when nothing is outstanding for the document', async () => {
      const { store } = recordingStore();
      const scheduler = createPersistenceScheduler(store);
      expect(scheduler.lastPending('doc')).toBeNull();
      await scheduler.enqueue('doc', bytes(1));
      await nextTurn();
      expect(scheduler.lastPending('doc')).toBeNull();
    });

    it("settles with the document's latest queued update, and ignores other documents", async () => {
      const { store, gate, calls } = recordingStore(true);
      const scheduler = createPersistenceScheduler(store);
      void scheduler.enqueue('doc', bytes(1));
      await nextTurn();
      const latest = scheduler.enqueue('doc', bytes(2));
      void scheduler.enqueue('other', bytes(3));
      const pending = scheduler.lastPending('doc');
      expect(pending).not.toBeNull();
      const state = track(pending as Promise<void>);

      gate(0).resolve();
      await turnsUntil(() => calls.length === 2);
      expect(state.settled()).toBe(false);
      gate(1).resolve();
      await latest;
      await pending;
      await turnsUntil(() => scheduler.lastPending('doc') === null);
      expect(scheduler.lastPending('doc')).toBeNull();
      expect(scheduler.lastPending('other')).toBeNull();
    });

    it('rejects when that append fails', async () => {
      const { store, gate } = recordingStore(true);
      const scheduler = createPersistenceScheduler(store);
      const update = scheduler.enqueue('doc', bytes(1)).catch(() => {});
      const pending = scheduler.lastPending('doc');
      await nextTurn();
      gate(0).reject(new Error('io error'));
      await expect(pending).rejects.toThrow('io error');
      await update;
    });
  });
});
