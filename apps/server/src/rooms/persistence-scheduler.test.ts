import { waitFor } from '@tandem/test-utils';
import { describe, expect, it } from 'vitest';
import type { AppendEntry, DocStore } from '../storage/doc-store.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';
import { createPersistenceScheduler } from './persistence-scheduler.js';

/** Waits for one event-loop turn (the scheduler commits in a setImmediate). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A real memory store whose appends are recorded; each append waits for its gate when
 * `gated` is set, so a test can hold one in flight and then let it succeed or fail.
 */
function recordingStore(gated = false) {
  const inner = createMemoryDocStore();
  const calls: AppendEntry[][] = [];
  const gates: Deferred[] = [];
  const store: DocStore = {
    ...inner,
    async append(entries) {
      calls.push([...entries]);
      if (gated) {
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
      }
      return inner.append(entries);
    },
  };
  const gate = (index: number): Deferred => {
    const g = gates[index];
    if (g === undefined) throw new Error(`append #${index} has not started`);
    return g;
  };
  return { inner, store, calls, gate };
}

const bytes = (...values: number[]) => new Uint8Array(values);

/** A real memory store that refuses appends while `down` is set, counting every attempt. */
function flakyStore() {
  const inner = createMemoryDocStore();
  const state = { down: true, attempts: 0 };
  const store: DocStore = {
    ...inner,
    async append(entries) {
      state.attempts++;
      if (state.down) throw new Error('connection refused');
      return inner.append(entries);
    },
  };
  return { inner, store, state };
}

/** Waits turn by turn until `done()` holds, for at most `maxTurns` turns. */
async function turnsUntil(done: () => boolean, maxTurns = 10): Promise<void> {
  for (let i = 0; i < maxTurns && !done(); i++) await nextTurn();
}

/** Tracks whether a promise has settled, without awaiting it. */
function track(promise: Promise<unknown>): { settled: () => boolean } {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return { settled: () => settled };
}

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

describe('PersistenceScheduler with a commit interval (group commit under load)', () => {
  it('commits an update that finds the store idle in the same turn', async () => {
    const { store, calls } = recordingStore();
    const scheduler = createPersistenceScheduler(store, { minIntervalMs: 10_000 });
    const done = scheduler.enqueue('a', bytes(1));
    await turnsUntil(() => calls.length === 1);
    expect(calls).toHaveLength(1);
    await done;
  });

  it('gathers what arrives within the interval after a commit into the next single append', async () => {
    const { store, calls, inner } = recordingStore();
    const scheduler = createPersistenceScheduler(store, { minIntervalMs: 200 });
    const started = performance.now();
    await scheduler.enqueue('a', bytes(1));
    const later: Promise<void>[] = [];
    // Five separate turns, all inside the interval: without it each would be an append of its own.
    for (let i = 2; i <= 6; i++) {
      later.push(scheduler.enqueue('a', bytes(i)));
      await nextTurn();
    }
    await Promise.all(later);
    expect(calls.map((c) => c.length)).toEqual([1, 5]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect((await inner.load('a')).updates.map((u) => u.update[0])).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('flush() does not wait for the interval', async () => {
    const { store, calls } = recordingStore();
    const scheduler = createPersistenceScheduler(store, { minIntervalMs: 60_000 });
    await scheduler.enqueue('a', bytes(1));
    void scheduler.enqueue('a', bytes(2));
    await scheduler.flush();
    expect(calls).toHaveLength(2);
    expect(scheduler.pending).toBe(0);
  });
});

describe('PersistenceScheduler with a retry policy (CLUSTER-7)', () => {
  const retry = { minMs: 5, maxMs: 20 };

  it('keeps a failed batch, retries it with backoff, and resolves only once it commits', async () => {
    const { inner, store, state } = flakyStore();
    const scheduler = createPersistenceScheduler(store, { retry });
    let settled = false;
    const first = scheduler.enqueue('doc', bytes(1)).then(() => {
      settled = true;
    });
    await waitFor(() => state.attempts >= 3, { what: 'several attempts' });
    expect(settled).toBe(false);
    expect(scheduler.failure()?.message).toBe('connection refused');
    // Queued during the outage: goes after the failed batch, in the same append once the store is back.
    const second = scheduler.enqueue('doc', bytes(2));
    state.down = false;
    await first;
    await second;
    expect(scheduler.failure()).toBeNull();
    expect((await inner.load('doc')).updates.map((u) => u.update)).toEqual([bytes(1), bytes(2)]);
  });

  it('is a circuit breaker, not a tight loop: attempts are spaced by the backoff', async () => {
    const { store, state } = flakyStore();
    const scheduler = createPersistenceScheduler(store, { retry: { minMs: 40, maxMs: 40 } });
    const started = Date.now();
    void scheduler.enqueue('doc', bytes(1));
    await waitFor(() => state.attempts >= 4, { what: 'four attempts' });
    // Three waits of at least half the 40 ms ceiling each (the jitter band).
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    state.down = false;
    await scheduler.flush();
    expect(scheduler.pending).toBe(0);
  });
});

describe('PersistenceScheduler backlog bound (PERSIST-5)', () => {
  const retry = { minMs: 5, maxMs: 20 };
  const sized = (n: number) => new Uint8Array(n).fill(1);

  it('PERSIST-5: counts the bytes queued and in flight, and is over its bound until the store takes them', async () => {
    const { store, calls, gate } = recordingStore(true);
    const scheduler = createPersistenceScheduler(store, { maxPendingBytes: 100 });
    const first = scheduler.enqueue('doc', sized(60));
    expect(scheduler.pendingBytes).toBe(60);
    expect(scheduler.overBound()).toBe(false);
    await nextTurn();
    expect(calls).toHaveLength(1);
    // In flight still counts: the store has not taken it.
    const second = scheduler.enqueue('other', sized(40));
    expect(scheduler.pendingBytes).toBe(100);
    expect(scheduler.overBound()).toBe(true);

    gate(0).resolve();
    await first;
    await turnsUntil(() => calls.length === 2);
    expect(scheduler.pendingBytes).toBe(40);
    expect(scheduler.overBound()).toBe(false);
    gate(1).resolve();
    await second;
    await scheduler.flush();
    expect(scheduler.pendingBytes).toBe(0);
  });

  it('PERSIST-5: while the store refuses appends the retried backlog keeps counting, and drains to 0 when it returns', async () => {
    const { inner, store, state } = flakyStore();
    const scheduler = createPersistenceScheduler(store, { retry, maxPendingBytes: 1000 });
    const done = [scheduler.enqueue('doc', sized(400))];
    await waitFor(() => state.attempts >= 2, { what: 'a retry' });
    done.push(scheduler.enqueue('doc', sized(400)));
    expect(scheduler.overBound()).toBe(false);
    // Taken into the retried batch at the next attempt: still counted, once.
    await waitFor(() => state.attempts >= 4, { what: 'more retries' });
    expect(scheduler.pendingBytes).toBe(800);
    done.push(scheduler.enqueue('doc', sized(200)));
    expect(scheduler.pendingBytes).toBe(1000);
    expect(scheduler.overBound()).toBe(true);
    await waitFor(() => state.attempts >= 6, { what: 'retries over the bound' });
    expect(scheduler.pendingBytes).toBe(1000);

    state.down = false;
    await Promise.all(done);
    await scheduler.flush();
    expect(scheduler.pendingBytes).toBe(0);
    expect(scheduler.overBound()).toBe(false);
    expect((await inner.load('doc')).updates.map((u) => u.update.byteLength)).toEqual([400, 400, 200]);
  });

  it('PERSIST-5: releases the bytes of a batch that failed without a retry policy', async () => {
    const store: DocStore = {
      ...createMemoryDocStore(),
      async append() {
        throw new Error('disk full');
      },
    };
    const scheduler = createPersistenceScheduler(store, { maxPendingBytes: 10 });
    await expect(scheduler.enqueue('doc', sized(10))).rejects.toThrow('disk full');
    await scheduler.flush();
    expect(scheduler.pendingBytes).toBe(0);
    expect(scheduler.overBound()).toBe(false);
  });

  it('PERSIST-5: without a bound it counts bytes but is never over it', async () => {
    const { store } = recordingStore();
    const scheduler = createPersistenceScheduler(store);
    const done = scheduler.enqueue('doc', sized(10_000_000));
    expect(scheduler.pendingBytes).toBe(10_000_000);
    expect(scheduler.overBound()).toBe(false);
    await done;
    expect(scheduler.pendingBytes).toBe(0);
  });
});
