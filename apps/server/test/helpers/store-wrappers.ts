import type { DocStore } from '../../src/storage/doc-store.js';

/** A real store whose loads wait for `release()` and are counted: makes concurrent joins observable. */
export function gateLoads(inner: DocStore): { store: DocStore; loads: () => number; release: () => void } {
  let count = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const store: DocStore = {
    ...inner,
    async load(docId) {
      count++;
      await gate;
      return inner.load(docId);
    },
  };
  return { store, loads: () => count, release };
}

/** A real store whose loads fail while `failing` is set (an unreadable document). */
export function failLoads(inner: DocStore): { store: DocStore; setFailing: (on: boolean) => void } {
  let failing = true;
  const store: DocStore = {
    ...inner,
    async load(docId) {
      if (failing) throw new Error(`simulated read error for ${docId}`);
      return inner.load(docId);
    },
  };
  return { store, setFailing: (on) => (failing = on) };
}

/** A real store whose appends wait for `release()`: makes "the store has not taken it yet" observable. */
export function holdAppends(inner: DocStore): { store: DocStore; held: () => number; release: () => void } {
  let held = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const store: DocStore = {
    ...inner,
    async append(entries) {
      held++;
      await gate;
      return inner.append(entries);
    },
  };
  return { store, held: () => held, release };
}
