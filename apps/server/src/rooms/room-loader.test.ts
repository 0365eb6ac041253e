import { CloseCode, type Frame } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Fanout, FanoutMessage } from '../fanout/fanout.js';
import { createMemoryFanout } from '../fanout/memory-fanout.js';
import type { DocStore, StoredDoc } from '../storage/doc-store.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';
import type { MergedDoc } from '../storage/snapshot.js';
import { openSnapshotThread, type SnapshotBuilder } from '../storage/snapshot-thread.js';
import type { Compactor, StoredLog } from './compactor.js';
import { JoinError } from './join-error.js';
import { createPersistenceScheduler } from './persistence-scheduler.js';
import { connect, logger, mapUpdate, ROOM } from './room.fixture.js';
import type { Room } from './room.js';
import { MERGE_HERE_MAX_BYTES, MERGER_FOLD_UPDATES } from './room-document.js';
import { loadRoom } from './room-loader.js';

const loaded: Room[] = [];
const threads: SnapshotBuilder[] = [];
afterEach(async () => {
  for (const room of loaded.splice(0)) room.destroy();
  await Promise.all(threads.splice(0).map((t) => t.close()));
});

/** The update of the one sync step 2 among `frames`. */
function step2Update(frames: Frame[]): Uint8Array {
  const steps = frames.flatMap((f) => (f.type === 'sync-step2' ? [f.update] : []));
  if (steps.length !== 1) throw new Error(`expected one sync step 2, got ${steps.length}`);
  return steps[0] as Uint8Array;
}

/** The sync updates `client` has been sent, once there is at least one. */
async function relayedTo(client: { take(): Frame[] }, what: string): Promise<Uint8Array[]> {
  const relayed: Uint8Array[] = [];
  await waitFor(
    () => {
      for (const f of client.take()) if (f.type === 'sync-update') relayed.push(f.update);
      return relayed.length > 0;
    },
    { what },
  );
  return relayed;
}

/** Loader deps over `store`, recording subscriptions, publishes and tracked documents. */
function depsOver(store: DocStore) {
  const inner = createMemoryFanout('n1');
  const published: FanoutMessage[] = [];
  const subscriptions = { open: 0 };
  const fanout: Fanout = {
    ...inner,
    publish: (roomId, message) => {
      published.push(message);
      inner.publish(roomId, message);
    },
    subscribe: (roomId, handler) => {
      subscriptions.open++;
      const subscription = inner.subscribe(roomId, handler);
      return {
        ready: subscription.ready,
        close: () => {
          subscriptions.open--;
          subscription.close();
        },
      };
    },
  };
  const tracked: { docId: string; log: StoredLog }[] = [];
  const compactor: Compactor = {
    track: (docId, log) => tracked.push({ docId, log }),
    noteAppended: () => {},
    settled: async () => {},
    untrack: () => {},
  };
  const deps = { store, fanout, persistence: createPersistenceScheduler(store), compactor, logger };
  return { deps, published, subscriptions, tracked };
}

describe('loadRoom', () => {
  it('CLUSTER-3: builds the room from the store, asks the other nodes for what it lacks and tracks its log', async () => {
    const store = createMemoryDocStore();
    await store.append([{ docId: ROOM, update: mapUpdate('k', 'stored') }]);
    const { deps, published, subscriptions, tracked } = depsOver(store);
    const room = await loadRoom(deps, ROOM, () => {});
    loaded.push(room);
    expect(room.doc.getMap('m').get('k')).toBe('stored');
    expect(published.map((m) => m.kind)).toEqual(['sync-request']);
    expect(tracked.map((t) => [t.docId, t.log.updates])).toEqual([[ROOM, 1]]);
    expect(subscriptions.open).toBe(1);
  });

  it('ROOM-3: a failed load rejects with a 1011 JoinError and keeps nothing, not even its subscription', async () => {
    const store: DocStore = { ...createMemoryDocStore(), load: () => Promise.reject(new Error('disk gone')) };
    const { deps, subscriptions, tracked } = depsOver(store);
    const failure = await loadRoom(deps, ROOM, () => {}).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(JoinError);
    expect((failure as JoinError).closeCode).toBe(CloseCode.internalError);
    expect(subscriptions.open).toBe(0);
    expect(tracked).toEqual([]);
  });

  it('ROOM-3: stored bytes Yjs cannot apply fail the load like an I/O error', async () => {
    const bad: StoredDoc = { snapshot: new Uint8Array([0xff, 0xff, 0xff]), updates: [] };
    const store: DocStore = { ...createMemoryDocStore(), load: async () => bad };
    const { deps, subscriptions } = depsOver(store);
    await expect(loadRoom(deps, ROOM, () => {})).rejects.toBeInstanceOf(JoinError);
    expect(subscriptions.open).toBe(0);
  });

  it('STORE-5/SYNC-1: a new document loads without a Y.Doc; joiners, with content or without, sync from its bytes; edits are appended to them', async () => {
    const store = createMemoryDocStore();
    const { deps } = depsOver(store);
    const room = await loadRoom(deps, ROOM, () => {});
    loaded.push(room);
    const fresh = connect(room, 'fresh');
    const offered = fresh.take().find((f) => f.type === 'sync-step1');
    expect(offered?.type === 'sync-step1' && [...offered.stateVector]).toEqual([0]);
    room.receive(fresh.session, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) });
    const empty = new Y.Doc();
    Y.applyUpdate(empty, step2Update(fresh.take()));
    expect(empty.getText('t').toString()).toBe('');
    room.receive(fresh.session, { type: 'sync-step2', update: Y.encodeStateAsUpdate(new Y.Doc()) });
    // A returning client with offline content: the server has nothing it lacks, and still builds nothing.
    const offline = new Y.Doc();
    offline.getText('t').insert(0, 'offline');
    const returning = connect(room, 'returning');
    returning.take();
    room.receive(returning.session, { type: 'sync-step1', stateVector: Y.encodeStateVector(offline) });
    const answer = step2Update(returning.take());
    expect(Y.decodeUpdate(answer).structs).toHaveLength(0);
    Y.applyUpdate(offline, answer);
    expect(offline.getText('t').toString()).toBe('offline');
    expect(room.docBuilt).toBe(false);
    room.receive(returning.session, { type: 'sync-step2', update: Y.encodeStateAsUpdate(offline) });
    expect(room.docBuilt).toBe(false);
    const joiner = connect(room, 'joiner');
    joiner.take();
    room.receive(joiner.session, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) });
    const joined = new Y.Doc();
    Y.applyUpdate(joined, step2Update(joiner.take()));
    expect(joined.getText('t').toString()).toBe('offline');
    expect(room.docBuilt).toBe(false);
    expect(room.doc.getText('t').toString()).toBe('offline');
    for (const update of await relayedTo(fresh, 'the offline content relayed to the other joiner')) {
      Y.applyUpdate(empty, update);
    }
    expect(empty.getText('t').toString()).toBe('offline');
    await waitFor(async () => (await store.load(ROOM)).updates.length === 1, { what: 'the offline content stored' });
  });

  describe('a large stored document (prepared on the snapshot thread)', () => {
    /** A store holding ROOM as a snapshot and a log of three text edits; builds counted on a real snapshot thread. */
    const setUp = async () => {
      const source = new Y.Doc();
      const text = source.getText('t');
      text.insert(0, 'snapshot ');
      const store = createMemoryDocStore();
      await store.append([{ docId: ROOM, update: Y.encodeStateAsUpdate(source) }]);
      await store.compact(ROOM, Y.encodeStateAsUpdate(source), 1);
      for (const word of ['one ', 'two ', 'three']) {
        const before = Y.encodeStateVector(source);
        text.insert(text.length, word);
        await store.append([{ docId: ROOM, update: Y.encodeStateAsUpdate(source, before) }]);
      }
      const thread = openSnapshotThread({ idleMs: 60_000 });
      threads.push(thread);
      const built: MergedDoc[] = [];
      const snapshots: SnapshotBuilder = {
        build: async (stored, guid) => {
          const merged = await thread.build(stored, guid);
          built.push(merged);
          return merged;
        },
        merge: (updates) => thread.merge(updates),
        close: () => thread.close(),
      };
      return { store, snapshots, built, source };
    };

    it('STORE-5/SYNC-1: loads as its merged bytes: joiners sync without a Y.Doc; an edit is appended to them, reaches them and is stored', async () => {
      const { store, snapshots, built, source } = await setUp();
      const { deps } = depsOver(store);
      const room = await loadRoom({ ...deps, snapshots, preparedLoadBytes: 1 }, ROOM, () => {});
      loaded.push(room);
      expect(built).toHaveLength(1);
      const a = connect(room, 'a');
      const b = connect(room, 'b');
      const offered = a.take().find((f) => f.type === 'sync-step1');
      expect(offered?.type === 'sync-step1' && [...offered.stateVector]).toEqual([...Y.encodeStateVector(source)]);
      b.take();
      const docs = { a: new Y.Doc(), b: new Y.Doc() };
      for (const [name, client] of [
        ['a', a],
        ['b', b],
      ] as const) {
        room.receive(client.session, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) });
        const update = step2Update(client.take());
        expect(update).toEqual(built[0]?.state);
        Y.applyUpdate(docs[name], update);
        // The joiner's own sync step 2 (it had nothing) keeps the document as bytes.
        room.receive(client.session, { type: 'sync-step2', update: Y.encodeStateAsUpdate(new Y.Doc()) });
      }
      expect(docs.b.getText('t').toString()).toBe('snapshot one two three');
      // A joiner that already holds part of the document (its snapshot) gets the rest, still from the bytes.
      const partial = new Y.Doc();
      Y.applyUpdate(partial, (await store.load(ROOM)).snapshot as Uint8Array);
      expect(partial.getText('t').toString()).toBe('snapshot ');
      const c = connect(room, 'c');
      c.take();
      room.receive(c.session, { type: 'sync-step1', stateVector: Y.encodeStateVector(partial) });
      Y.applyUpdate(partial, step2Update(c.take()));
      expect(partial.getText('t').toString()).toBe('snapshot one two three');
      expect(room.docBuilt).toBe(false);
      const before = Y.encodeStateVector(docs.a);
      docs.a.getText('t').insert(0, '> ');
      const edit = Y.encodeStateAsUpdate(docs.a, before);
      room.receive(a.session, { type: 'sync-update', update: edit });
      expect(room.docBuilt).toBe(false);
      expect(room.stateVector()).toEqual(Y.encodeStateVector(docs.a));
      for (const update of await relayedTo(b, "a's edit relayed to b")) Y.applyUpdate(docs.b, update);
      expect(docs.b.getText('t').toString()).toBe('> snapshot one two three');
      await waitFor(async () => (await store.load(ROOM)).updates.length === 4, { what: 'the edit stored' });
      room.receive(b.session, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) });
      const after = new Y.Doc();
      Y.applyUpdate(after, step2Update(b.take()));
      expect(after.getText('t').toString()).toBe('> snapshot one two three');
      expect(room.docBuilt).toBe(false);
      expect(room.doc.getText('t').toString()).toBe('> snapshot one two three');
    });

    it('STORE-5: below the size the document is merged here, without the thread', async () => {
      const { store, snapshots, built } = await setUp();
      const { deps } = depsOver(store);
      const room = await loadRoom({ ...deps, snapshots, preparedLoadBytes: 1_000_000 }, ROOM, () => {});
      loaded.push(room);
      expect(built).toHaveLength(0);
      expect(room.docBuilt).toBe(false);
      expect(room.doc.getText('t').toString()).toBe('snapshot one two three');
    });

    it('SYNC-2: updates appended to a large document are merged into its bytes on the snapshot thread; joiners get everything, no Y.Doc built', async () => {
      const { store, snapshots, source } = await setUp();
      const merges: number[] = [];
      const counting: SnapshotBuilder = {
        ...snapshots,
        merge: (updates) => {
          merges.push(updates.length);
          return snapshots.merge(updates);
        },
      };
      const { deps } = depsOver(store);
      const room = await loadRoom({ ...deps, snapshots: counting, preparedLoadBytes: 1 }, ROOM, () => {});
      loaded.push(room);
      const a = connect(room, 'a');
      a.take();
      const text = source.getText('t');
      const send = (edit: () => void) => {
        const before = Y.encodeStateVector(source);
        edit();
        room.receive(a.session, { type: 'sync-update', update: Y.encodeStateAsUpdate(source, before) });
      };
      // A paste larger than the bytes merged on the event loop, then edits until a batch is due.
      send(() => text.insert(0, `${'p'.repeat(MERGE_HERE_MAX_BYTES + 1_000)}|`));
      for (let i = 1; i < MERGER_FOLD_UPDATES; i++) send(() => text.insert((i * 97) % text.length, 'e'));
      expect(merges).toEqual([1 + MERGER_FOLD_UPDATES]);
      await waitFor(() => room.stateParts().length === 1, { what: 'the merged bytes taken from the thread' });
      const joiner = connect(room, 'joiner');
      joiner.take();
      room.receive(joiner.session, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) });
      const joined = new Y.Doc();
      Y.applyUpdate(joined, step2Update(joiner.take()));
      expect(joined.getText('t').toString() === source.getText('t').toString()).toBe(true);
      expect(room.docBuilt).toBe(false);
      await waitFor(async () => (await store.load(ROOM)).updates.length === 3 + MERGER_FOLD_UPDATES, {
        what: 'the edits stored',
      });
    });

    it('ROOM-3: stored bytes the thread cannot merge fail the load with a 1011 JoinError, keeping nothing', async () => {
      const { snapshots } = await setUp();
      const bad: StoredDoc = { snapshot: new Uint8Array([0xff, 0xff, 0xff]), updates: [] };
      const store: DocStore = { ...createMemoryDocStore(), load: async () => bad };
      const { deps, subscriptions, tracked } = depsOver(store);
      const failure = await loadRoom({ ...deps, snapshots, preparedLoadBytes: 1 }, ROOM, () => {}).catch(
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(JoinError);
      expect((failure as JoinError).closeCode).toBe(CloseCode.internalError);
      expect(subscriptions.open).toBe(0);
      expect(tracked).toEqual([]);
    });
  });
});
