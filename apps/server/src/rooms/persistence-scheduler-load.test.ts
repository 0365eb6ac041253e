// The persistence scheduler under load and outages: the commit interval, retries (CLUSTER-7), the backlog bound (PERSIST-5).
import { waitFor } from '@tandem/test-utils';
import { describe, expect, it } from 'vitest';
import type { DocStore } from '../storage/doc-store.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';
import { bytes, flakyStore, nextTurn, recordingStore, track, turnsUntil } from './persistence-scheduler.fixture.js';
import { createPersistenceScheduler } from './persistence-scheduler.js';

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

describe('PersistenceScheduler with a shorter interval for awaited updates (ACK-1)', () => {
  it('commits an awaited update within the ack interval, while unawaited ones wait for the batching interval', async () => {
    const { store, calls } = recordingStore();
    const scheduler = createPersistenceScheduler(store, { minIntervalMs: 60_000, awaitedIntervalMs: 20 });
    await scheduler.enqueue('a', bytes(1));
    // Nobody waits on this one: it would wait the whole minute.
    const plain = track(scheduler.enqueue('a', bytes(2)));
    await nextTurn();
    expect(calls).toHaveLength(1);
    const started = performance.now();
    // An awaited update brings the next commit forward, and the plain one goes with it.
    await scheduler.enqueue('b', bytes(3), true);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(calls.map((c) => c.map((e) => e.update[0]))).toEqual([[1], [2, 3]]);
    expect(plain.settled()).toBe(true);
  });

  it('still batches what arrives within the ack interval into one append', async () => {
    const { store, calls } = recordingStore();
    const scheduler = createPersistenceScheduler(store, { minIntervalMs: 60_000, awaitedIntervalMs: 200 });
    const started = performance.now();
    await scheduler.enqueue('a', bytes(1), true);
    const later: Promise<void>[] = [];
    for (let i = 2; i <= 4; i++) {
      later.push(scheduler.enqueue('a', bytes(i), true));
      await nextTurn();
    }
    await Promise.all(later);
    expect(calls.map((c) => c.length)).toEqual([1, 3]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("lastPending(doc, true) brings forward the commit that the document's queued update waits for", async () => {
    const { store, calls } = recordingStore();
    const scheduler = createPersistenceScheduler(store, { minIntervalMs: 60_000, awaitedIntervalMs: 20 });
    await scheduler.enqueue('a', bytes(1));
    void scheduler.enqueue('a', bytes(2));
    await nextTurn();
    expect(scheduler.lastPending('a')).not.toBeNull();
    await nextTurn();
    expect(calls).toHaveLength(1);
    await scheduler.lastPending('a', true);
    expect(calls).toHaveLength(2);
  });

  it('never waits longer for an awaited update than for a plain one (the ack interval is capped by the batching one)', async () => {
    const { store, calls } = recordingStore();
    const scheduler = createPersistenceScheduler(store, { minIntervalMs: 0, awaitedIntervalMs: 60_000 });
    await scheduler.enqueue('a', bytes(1), true);
    await scheduler.enqueue('a', bytes(2), true);
    expect(calls).toHaveLength(2);
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
