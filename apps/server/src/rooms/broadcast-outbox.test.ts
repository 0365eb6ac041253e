import type { Frame } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import { BroadcastOutbox, MAX_COALESCED_BYTES, MAX_ECHOED_BYTES, MERGE_FROM_UPDATES } from './broadcast-outbox.js';
import type { RoomMember } from './member.js';
import { fakeMember, mapAfter, mapUpdate, updatesIn } from './room.fixture.js';

/** An outbox over `members` whose turns end only when the test says so. */
function outboxOf(...members: RoomMember[]) {
  const tasks: (() => void)[] = [];
  const published: Uint8Array[] = [];
  const outbox = new BroadcastOutbox({
    members: new Set(members),
    publish: (update) => published.push(update),
    schedule: (task) => tasks.push(task),
  });
  /** Ends the turn: runs what was scheduled. */
  const endTurn = () => {
    for (const task of tasks.splice(0)) task();
  };
  return { outbox, published, tasks, endTurn };
}

const updatesOf = (writes: Frame[][]) => writes.map((write) => updatesIn(write));

describe('BroadcastOutbox', () => {
  it('SYNC-3: sends a turn once it ends, one write per member, each update framed once and never echoed', () => {
    const a = fakeMember('a');
    const b = fakeMember('b');
    const c = fakeMember('c');
    const { outbox, tasks, endTurn } = outboxOf(a, b, c);
    outbox.push(a, mapUpdate('fromA', '1'), true);
    outbox.push(b, mapUpdate('fromB', '2'), true);
    expect(tasks).toHaveLength(1);
    expect(c.writes).toEqual([]);
    endTurn();
    expect(c.writes).toHaveLength(1);
    expect(c.writes[0]?.map((f) => f.type)).toEqual(['sync-update', 'sync-update']);
    expect(mapAfter(...updatesOf(a.writes).flat())).toEqual({ fromB: '2' });
    expect(mapAfter(...updatesOf(b.writes).flat())).toEqual({ fromA: '1' });
  });

  it('publishes the updates made on this node, and not those from other nodes', () => {
    const a = fakeMember('a');
    const { outbox, published, endTurn } = outboxOf(a);
    const local = mapUpdate('local', '1');
    outbox.push(null, local, true);
    outbox.push(null, mapUpdate('remote', '2'), false);
    endTurn();
    expect(published).toEqual([local]);
    expect(mapAfter(...updatesOf(a.writes).flat())).toEqual({ local: '1', remote: '2' });
  });

  it(`SYNC-3: a crowded turn (${MERGE_FROM_UPDATES} updates) goes out as one merged frame, to light senders too, and is published merged`, () => {
    const writers = Array.from({ length: MERGE_FROM_UPDATES }, (_, i) => fakeMember(`w${i}`));
    const { outbox, published, endTurn } = outboxOf(...writers);
    writers.forEach((w, i) => {
      outbox.push(w, mapUpdate(`k${i}`, String(i)), true);
    });
    endTurn();
    const everything = Object.fromEntries(writers.map((_, i) => [`k${i}`, String(i)]));
    for (const writer of writers) {
      expect(writer.writes).toHaveLength(1);
      expect(writer.writes[0]).toHaveLength(1);
      expect(mapAfter(...updatesOf(writer.writes).flat())).toEqual(everything);
    }
    expect(published).toHaveLength(1);
    expect(mapAfter(...published)).toEqual(everything);
  });

  it(`SYNC-3: in a crowded turn a sender of more than ${MAX_ECHOED_BYTES} bytes gets only the others' updates`, () => {
    const heavy = fakeMember('heavy');
    const light = fakeMember('light');
    const { outbox, endTurn } = outboxOf(heavy, light);
    const chunk = Math.ceil(MAX_ECHOED_BYTES / (MERGE_FROM_UPDATES - 1));
    for (let i = 0; i < MERGE_FROM_UPDATES - 1; i++) outbox.push(heavy, mapUpdate(`h${i}`, 'x'.repeat(chunk)), true);
    outbox.push(light, mapUpdate('l', 'y'), true);
    endTurn();
    expect(mapAfter(...updatesOf(heavy.writes).flat())).toEqual({ l: 'y' });
    expect(Object.keys(mapAfter(...updatesOf(light.writes).flat()))).toHaveLength(MERGE_FROM_UPDATES);
  });

  it(`SYNC-3: a turn past ${MAX_COALESCED_BYTES} bytes is sent at once, before the turn ends`, () => {
    const a = fakeMember('a');
    const b = fakeMember('b');
    const { outbox, tasks, endTurn } = outboxOf(a, b);
    outbox.push(a, mapUpdate('big', 'x'.repeat(MAX_COALESCED_BYTES)), true);
    expect(tasks).toEqual([]);
    expect(b.writes).toHaveLength(1);
    outbox.push(a, mapUpdate('small', 'y'), true);
    expect(b.writes).toHaveLength(1);
    endTurn();
    expect(mapAfter(...updatesIn(b.writes[1] ?? []))).toEqual({ small: 'y' });
  });

  it('sends and publishes nothing once halted', () => {
    const a = fakeMember('a');
    const { outbox, published, endTurn } = outboxOf(a);
    outbox.push(null, mapUpdate('k', 'v'), true);
    outbox.halt();
    endTurn();
    outbox.push(null, mapUpdate('k2', 'v2'), true);
    endTurn();
    expect(a.writes).toEqual([]);
    expect(published).toEqual([]);
  });
});
