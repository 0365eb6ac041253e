import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMemoryVersionStore } from '../storage/memory-version-store.js';
import type { VersionStore } from '../storage/version-store.js';
import { type AutoVersionPolicy, createAutoVersions, type VersionTimers } from './auto-versions.js';
import { RoomDocument } from './room-document.js';

/** Timers a test advances by hand, on a clock it owns. */
function manualTimers() {
  let now = Date.parse('2026-12-01T09:00:00Z');
  const pending = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  const timers: VersionTimers = {
    set(fn, ms) {
      const id = next++;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clear: (handle) => void pending.delete(handle as number),
  };
  return {
    timers,
    now: () => now,
    /** Moves the clock forward, firing what falls due in order. */
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = [...pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        pending.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = until;
    },
  };
}

const policy: AutoVersionPolicy = {
  idleMs: 1_000,
  maxIntervalMs: 10_000,
  retention: { keepAllMs: 86_400_000, hourlyMs: 30 * 86_400_000 },
};
const ada = { userId: 'ada', name: 'Ada' };
const bob = { userId: 'bob', name: 'Bob' };

const setup = (store: VersionStore = createMemoryVersionStore()) => {
  const clock = manualTimers();
  const auto = createAutoVersions({ versions: store, policy, logger: pino({ level: 'silent' }), ...clock });
  const doc = new Y.Doc();
  const tracker = auto.track('doc', RoomDocument.of(doc));
  const type = (text: string, author: typeof ada | null = ada) => {
    doc.getText('t').insert(doc.getText('t').length, text);
    tracker.changed(author);
  };
  const versions = async () => (await store.listVersions('doc', { limit: 100 })).versions;
  /** Lets the store's promise chain run (the memory store resolves in microtasks). */
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { clock, doc, tracker, type, versions, settle, store, auto };
};

describe('automatic versions (VER-3, VER-4)', () => {
  it('VER-3: one version once the document has been idle for the idle period after a burst, with its authors', async () => {
    const { clock, type, versions, settle } = setup();
    type('a');
    clock.advance(500);
    type('b', bob);
    clock.advance(900);
    await settle();
    expect(await versions()).toEqual([]);
    clock.advance(100);
    await settle();
    const [only, ...rest] = await versions();
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ kind: 'auto', authors: [ada, bob], createdBy: null });
  });

  it('VER-3: continuous editing still gets a version at least every max interval', async () => {
    const { clock, type, versions, settle } = setup();
    for (let i = 0; i < 50; i++) {
      type('x');
      clock.advance(500);
    }
    await settle();
    // 25 s of typing every 0.5 s, never idle for 1 s: versions at 10 s and 20 s.
    expect((await versions()).length).toBe(2);
  });

  it('VER-4: no version without a change, and none again for a document that did not change since the last', async () => {
    const { clock, type, tracker, versions, settle, doc } = setup();
    clock.advance(60_000);
    await settle();
    expect(await versions()).toEqual([]);
    type('a');
    clock.advance(2_000);
    await settle();
    expect(await versions()).toHaveLength(1);
    // A change report that changed nothing (e.g. an update already held) covers the same state.
    tracker.changed(ada);
    clock.advance(60_000);
    await settle();
    expect(await versions()).toHaveLength(1);
    doc.getText('t').insert(0, 'b');
    tracker.changed(null);
    clock.advance(2_000);
    await settle();
    expect(await versions()).toHaveLength(2);
  });

  it('VER-3: closing a room takes its pending version at once; a closed tracker takes no more', async () => {
    const { type, tracker, versions, clock, settle, doc, store } = setup();
    type('pending');
    await tracker.close();
    const [taken] = await versions();
    expect(taken).toMatchObject({ kind: 'auto', authors: [ada] });
    const state = new Y.Doc();
    Y.applyUpdate(state, (await store.readVersionState('doc', taken?.id as string)) as Uint8Array);
    expect(state.getText('t').toString()).toBe('pending');
    doc.getText('t').insert(0, 'late');
    tracker.changed(ada);
    clock.advance(60_000);
    await settle();
    expect(await versions()).toHaveLength(1);
  });

  it('VER-12: two nodes tracking the same document store one version per trigger and merge their authors', async () => {
    const store = createMemoryVersionStore();
    const a = setup(store);
    const b = setup(store);
    a.type('shared');
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc));
    b.tracker.changed(bob);
    a.clock.advance(1_000);
    b.clock.advance(1_000);
    await a.settle();
    await b.settle();
    const list = await a.versions();
    expect(list).toHaveLength(1);
    expect(list[0]?.authors).toEqual([ada, bob]);
  });
});
