/** Shared by the persistence scheduler's test files: stores that record, gate or refuse appends. */
import type { AppendEntry, DocStore } from '../storage/doc-store.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';

/** Waits for one event-loop turn (the scheduler commits in a setImmediate). */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A promise with its resolve and reject at hand. */
export interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** A fresh {@link Deferred}. */
export function deferred(): Deferred {
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
export function recordingStore(gated = false) {
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

/** Bytes standing for an update (the scheduler never decodes them). */
export const bytes = (...values: number[]) => new Uint8Array(values);

/** A real memory store that refuses appends while `down` is set, counting every attempt. */
export function flakyStore() {
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
export async function turnsUntil(done: () => boolean, maxTurns = 10): Promise<void> {
  for (let i = 0; i < maxTurns && !done(); i++) await nextTurn();
}

/** Tracks whether a promise has settled, without awaiting it. */
export function track(promise: Promise<unknown>): { settled: () => boolean } {
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
