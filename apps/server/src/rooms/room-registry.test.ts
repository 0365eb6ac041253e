import { CloseCode } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { gateLoads } from '../../test/helpers/store-wrappers.js';
import { createMemoryFanout } from '../fanout/memory-fanout.js';
import type { DocStore } from '../storage/doc-store.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';
import { createCompactor } from './compactor.js';
import { JoinError } from './join-error.js';
import { createPersistenceScheduler } from './persistence-scheduler.js';
import { fakeMember, logger, mapUpdate, nextTurn, ROOM } from './room.fixture.js';
import { createRoomRegistry, type RoomRegistry } from './room-registry.js';

describe('room registry', () => {
  const registries: RoomRegistry[] = [];
  afterEach(() => {
    for (const registry of registries.splice(0))
      for (const room of [...registry.describe()]) registry.get(room.id)?.destroy();
  });

  const registryOver = (store: DocStore, idleMs = 60_000) => {
    const registry = createRoomRegistry({
      store,
      fanout: createMemoryFanout('n1'),
      persistence: createPersistenceScheduler(store),
      compactor: createCompactor({ store, logger, policy: { afterUpdates: 1_000, afterBytes: 2 ** 30 } }),
      logger,
      idleMs,
    });
    registries.push(registry);
    return registry;
  };

  it('ROOM-1: joiners that waited for the load are let in one per event-loop turn, in the order they came', async () => {
    const { store, release, loads } = gateLoads(createMemoryDocStore());
    const registry = registryOver(store);
    const members = Array.from({ length: 5 }, (_, i) => fakeMember(`m${i}`));
    const order: string[] = [];
    for (const m of members) {
      const send = m.send.bind(m);
      m.send = (bytes) => {
        if (m.writes.length === 0) order.push(m.id);
        return send(bytes);
      };
    }
    const joins = members.map((m) => registry.join(m));
    await waitFor(() => loads() === 1, { what: 'the one load started' });
    release();
    const admittedPerTurn: number[] = [];
    const admitted = () => members.filter((m) => m.writes.length > 0).length;
    for (let turn = 0; turn < 20 && admitted() < members.length; turn++) {
      await nextTurn();
      admittedPerTurn.push(admitted());
    }
    await Promise.all(joins);
    expect(admitted()).toBe(members.length);
    // Never two joiners in one turn.
    const newPerTurn = admittedPerTurn.map((count, i) => count - (admittedPerTurn[i - 1] ?? 0));
    expect(Math.max(...newPerTurn)).toBeLessThanOrEqual(1);
    expect(order).toEqual(members.map((m) => m.id));
    expect(registry.stats()).toMatchObject({ rooms: 1, sessions: 5, loads: 1 });
  });

  it('ROOM-2: rooms that go idle together unload one per event-loop turn, so no turn holds all of their unloads', async () => {
    const registry = registryOver(createMemoryDocStore(), 20);
    const members = Array.from({ length: 5 }, (_, i) => {
      const member = fakeMember(`m${i}`);
      Object.defineProperty(member, 'roomId', { value: `idle-room-${i}` });
      return member;
    });
    await Promise.all(members.map((m) => registry.join(m)));
    for (const m of members) registry.get(m.roomId)?.receive(m, { type: 'sync-update', update: mapUpdate(m.id, 'v') });
    for (const m of members) registry.leave(m);
    const unloaded = () => members.filter((m) => registry.get(m.roomId) === undefined).length;
    const unloadedPerTurn: number[] = [];
    const deadline = performance.now() + 5_000;
    for (let turn = 0; turn < 100_000 && unloaded() < members.length && performance.now() < deadline; turn++) {
      await nextTurn();
      unloadedPerTurn.push(unloaded());
    }
    expect(unloaded()).toBe(members.length);
    const newPerTurn = unloadedPerTurn.map((count, i) => count - (unloadedPerTurn[i - 1] ?? 0));
    expect(Math.max(...newPerTurn)).toBe(1);
  });

  it('ROOM-3: a joiner still waiting its turn when the room is closed is refused with 1013, to reconnect', async () => {
    const { store, release, loads } = gateLoads(createMemoryDocStore());
    const registry = registryOver(store);
    const [first, second] = [fakeMember('first'), fakeMember('second')];
    const joins = [registry.join(first), registry.join(second).catch((err: unknown) => err)];
    await waitFor(() => loads() === 1, { what: 'the one load started' });
    release();
    await joins[0];
    const closing = registry.closeRoom(ROOM, CloseCode.goingAway, 'document deleted');
    const refused = await joins[1];
    await closing;
    expect(refused).toBeInstanceOf(JoinError);
    expect((refused as JoinError).closeCode).toBe(CloseCode.tryAgainLater);
    expect(first.closes).toEqual([{ code: CloseCode.goingAway, reason: 'document deleted' }]);
    expect(registry.get(ROOM)).toBeUndefined();
  });
});
