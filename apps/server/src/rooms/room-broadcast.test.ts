// Room: relaying updates to members, coalesced per turn (the broadcast outbox, through a room).
import { describe, expect, it } from 'vitest';
import { connect, mapAfter, mapUpdate, nextTurn, ROOM, roomKit, updatesIn } from './room.fixture.js';

const kit = roomKit();
const { setUp, createNode, openRoom } = kit;

describe('Room: document sync', () => {
  it('SYNC-3: an update is applied, relayed to the others as a sync update, not echoed, and persisted once', async () => {
    setUp();
    const node = createNode('n1');
    const room = await openRoom(node);
    const a = connect(room, 'a');
    const b = connect(room, 'b');
    a.take();
    b.take();
    const update = mapUpdate('k', 'v');
    room.receive(a.session, { type: 'sync-step2', update });
    expect(room.doc.getMap('m').get('k')).toBe('v');
    await nextTurn();
    const toB = b.take();
    expect(toB.map((f) => f.type)).toEqual(['sync-update']);
    expect(mapAfter(...updatesIn(toB))).toEqual({ k: 'v' });
    expect(a.take()).toEqual([]);
    await node.persistence.flush();
    expect(node.appends).toHaveLength(1);
    expect((await kit.sharedStore.load(ROOM)).updates).toHaveLength(1);
  });

  it('SYNC-3: updates from several sessions in one turn reach a bystander in one write, each framed once', async () => {
    setUp();
    const node = createNode('n1');
    const room = await openRoom(node);
    const a = connect(room, 'a');
    const b = connect(room, 'b');
    const c = connect(room, 'c');
    for (const client of [a, b, c]) {
      client.take();
      client.writes();
    }

    room.receive(a.session, { type: 'sync-update', update: mapUpdate('fromA', '1') });
    room.receive(b.session, { type: 'sync-update', update: mapUpdate('fromB', '2') });
    expect(c.take()).toEqual([]);
    await nextTurn();

    const toC = c.take();
    expect(toC.map((f) => f.type)).toEqual(['sync-update', 'sync-update']);
    expect(c.writes()).toEqual([2]);
    expect(mapAfter(...updatesIn(toC))).toEqual({ fromA: '1', fromB: '2' });
    // Each origin gets exactly the other's update, never its own.
    const toA = a.take();
    const toB = b.take();
    expect(toA).toHaveLength(1);
    expect(toB).toHaveLength(1);
    expect(mapAfter(...updatesIn(toA))).toEqual({ fromB: '2' });
    expect(mapAfter(...updatesIn(toB))).toEqual({ fromA: '1' });
    // Published as they came, and one group commit with both updates.
    expect(node.published.filter((m) => m.kind === 'update')).toHaveLength(2);
    await node.persistence.flush();
    expect(node.appends.map((batch) => batch.length)).toEqual([2]);
  });

  it('SYNC-3: a crowded turn (8 updates or more) reaches every session, light senders too, as exactly one merged frame', async () => {
    setUp();
    const node = createNode('n1');
    const room = await openRoom(node);
    const writers = Array.from({ length: 8 }, (_, i) => connect(room, `w${i}`));
    const bystander = connect(room, 'bystander');
    for (const client of [...writers, bystander]) client.take();
    writers.forEach((w, i) => {
      room.receive(w.session, { type: 'sync-update', update: mapUpdate(`k${i}`, String(i)) });
    });
    await nextTurn();

    const toBystander = bystander.take();
    expect(toBystander.map((f) => f.type)).toEqual(['sync-update']);
    const everything = Object.fromEntries(writers.map((_, i) => [`k${i}`, String(i)]));
    expect(mapAfter(...updatesIn(toBystander))).toEqual(everything);
    // One merge for the turn, not one per sender: a sender gets its own update back too (Yjs ignores it).
    for (const writer of writers) {
      const toWriter = writer.take();
      expect(toWriter).toHaveLength(1);
      expect(mapAfter(...updatesIn(toWriter))).toEqual(everything);
    }
    expect(node.published.filter((m) => m.kind === 'update')).toHaveLength(1);
  });

  it("SYNC-3: in a crowded turn a heavy sender (over 16 KiB) gets only the others' updates back", async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const heavy = connect(room, 'heavy');
    const light = connect(room, 'light');
    heavy.take();
    light.take();
    for (let i = 0; i < 8; i++) {
      room.receive(heavy.session, { type: 'sync-update', update: mapUpdate(`h${i}`, 'x'.repeat(4096)) });
    }
    room.receive(light.session, { type: 'sync-update', update: mapUpdate('l', 'y') });
    await nextTurn();
    const toHeavy = heavy.take();
    expect(toHeavy).toHaveLength(1);
    expect(mapAfter(...updatesIn(toHeavy))).toEqual({ l: 'y' });
    const toLight = light.take();
    expect(toLight).toHaveLength(1);
    expect(Object.keys(mapAfter(...updatesIn(toLight))).sort()).toEqual(
      ['l', ...Array.from({ length: 8 }, (_, i) => `h${i}`)].sort(),
    );
  });

  it('SYNC-3: a session that sends several updates in one turn gets none of them back', async () => {
    const { room, a, b } = await kit.openPair();
    b.writes();
    room.receive(a.session, { type: 'sync-update', update: mapUpdate('x', '1') });
    room.receive(a.session, { type: 'sync-update', update: mapUpdate('y', '2') });
    await nextTurn();
    expect(a.take()).toEqual([]);
    const toB = b.take();
    expect(toB).toHaveLength(2);
    expect(b.writes()).toEqual([2]);
    expect(mapAfter(...updatesIn(toB))).toEqual({ x: '1', y: '2' });
  });

  it('SYNC-3: a turn whose updates pass 1 MiB is sent early instead of growing one frame', async () => {
    const { room, a, b } = await kit.openPair();
    room.receive(a.session, { type: 'sync-update', update: mapUpdate('big', 'x'.repeat(1024 * 1024 + 1)) });
    // Sent within the same turn.
    const early = b.take();
    expect(early.map((f) => f.type)).toEqual(['sync-update']);
    room.receive(a.session, { type: 'sync-update', update: mapUpdate('small', 'y') });
    expect(b.take()).toEqual([]);
    await nextTurn();
    expect(mapAfter(...updatesIn(b.take()))).toEqual({ small: 'y' });
  });
});
