import { CloseCode } from '@tandem/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fanout, FanoutMessage } from '../fanout/fanout.js';
import { createMemoryFanout } from '../fanout/memory-fanout.js';
import type { DocStore, StoredDoc } from '../storage/doc-store.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';
import type { Compactor } from './compactor.js';
import { JoinError } from './join-error.js';
import { createPersistenceScheduler } from './persistence-scheduler.js';
import { logger, mapUpdate, ROOM } from './room.fixture.js';
import type { Room } from './room.js';
import { loadRoom } from './room-loader.js';

const loaded: Room[] = [];
afterEach(() => {
  for (const room of loaded.splice(0)) room.destroy();
});

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
  const tracked: { docId: string; stored: StoredDoc }[] = [];
  const compactor: Compactor = {
    track: (docId, stored) => tracked.push({ docId, stored }),
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
    expect(tracked.map((t) => [t.docId, t.stored.updates.length])).toEqual([[ROOM, 1]]);
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
});
