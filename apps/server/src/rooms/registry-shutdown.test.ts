import { CloseCode } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import { deadlineIn } from '../deadline.js';
import type { DocStore } from '../storage/doc-store.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';
import { type DrainedEntry, drainRooms } from './registry-shutdown.js';
import { fakeMember, logger, mapUpdate, ROOM, roomKit } from './room.fixture.js';

const { setUp, createNode, openRoom } = roomKit();

describe('drainRooms', () => {
  it('CONN-3: acks what was stored while members are open, then closes them with 1012 and destroys the rooms', async () => {
    setUp();
    const node = createNode('n1');
    const room = await openRoom(node);
    const writer = fakeMember('writer', { tandem: true });
    const acksAtClose: number[][] = [];
    const close = writer.close;
    writer.close = (code, reason) => {
      if (writer.isOpen) acksAtClose.push([...writer.acks]);
      close(code, reason);
    };
    room.add(writer);
    room.receive(writer, { type: 'sync-update', update: mapUpdate('k', 'v') });
    const entries = new Map<string, DrainedEntry>([[ROOM, { room, loading: null }]]);
    const report = await drainRooms(entries, { ...node, logger }, deadlineIn(5000), []);
    expect(report).toEqual({ unstored: 0, documents: [] });
    expect(acksAtClose).toEqual([[1]]);
    expect(writer.closes.map((c) => c.code)).toEqual([CloseCode.serviceRestart]);
    expect(room.sessionCount).toBe(0);
  });

  it('CONN-5: at the deadline, members that did not close are terminated and what the store did not take is reported', async () => {
    const hung: DocStore = { ...createMemoryDocStore(), append: () => new Promise(() => {}) };
    setUp(hung);
    const node = createNode('n1');
    const room = await openRoom(node);
    const writer = fakeMember('writer', { tandem: true });
    const terminated: string[] = [];
    Object.assign(writer, { closed: new Promise<void>(() => {}), terminate: (why: string) => terminated.push(why) });
    const bystander = fakeMember('bystander');
    room.add(writer);
    room.receive(writer, { type: 'sync-update', update: mapUpdate('k', 'v') });
    const entries = new Map<string, DrainedEntry>([[ROOM, { room, loading: null }]]);
    const report = await drainRooms(entries, { ...node, logger }, deadlineIn(200), [bystander]);
    expect(report).toEqual({ unstored: 1, documents: [ROOM] });
    expect(writer.acks).toEqual([]);
    expect(terminated).toEqual(['shutdown deadline']);
    expect(bystander.closes.map((c) => c.code)).toEqual([CloseCode.serviceRestart]);
  });
});
