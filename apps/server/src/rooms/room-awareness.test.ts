// Room: presence on one node (room presence, through a room).
import { CloseCode, writeAwarenessEntries } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { awarenessIn, connect, presence, roomKit, signedState, signIn } from './room.fixture.js';

const kit = roomKit();
const { setUp, createNode, openRoom } = kit;

describe('Room: awareness', () => {
  it('AW-1: an awareness update is applied and relayed to the others, not echoed', async () => {
    const { room, a, b } = await kit.openPair();
    room.receive(a.session, { type: 'awareness', update: presence(7, 1, { name: 'Ada' }) });
    expect(room.presence.states().get(7)).toEqual({ name: 'Ada' });
    expect(awarenessIn(b.take())).toEqual([[{ clientId: 7, clock: 1, state: '{"name":"Ada"}' }]]);
    expect(a.take()).toEqual([]);
  });

  it("AW-2: entries for another user's client ids are dropped; the rest of the update applies", async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const a = signIn(connect(room, 'a'), 'ada');
    const b = signIn(connect(room, 'b'), 'bob');
    const c = signIn(connect(room, 'c'), 'cy');
    room.receive(a.session, { type: 'awareness', update: presence(1, 1, { name: 'A' }) });
    for (const client of [a, b, c]) client.take();

    const forged = writeAwarenessEntries([
      { clientId: 1, clock: 5, state: JSON.stringify({ name: 'hijacked' }) },
      { clientId: 2, clock: 1, state: JSON.stringify({ name: 'B' }) },
    ]);
    room.receive(b.session, { type: 'awareness', update: forged });
    expect(room.presence.states().get(1)).toMatchObject({ name: 'A', user: { id: 'ada' } });
    expect(room.presence.states().get(2)).toMatchObject({ name: 'B', user: { id: 'bob' } });
    expect(awarenessIn(c.take())).toEqual([[{ clientId: 2, clock: 1, state: signedState({ name: 'B' }, 'bob') }]]);

    // Nor can it remove the other session's state.
    room.receive(b.session, { type: 'awareness', update: presence(1, 6, null) });
    expect(room.presence.states().get(1)).toMatchObject({ name: 'A' });
    expect(c.take()).toEqual([]);
    expect(b.closes).toEqual([]);
    expect(a.closes).toEqual([]);
  });

  it('AW-2/YJS-5: in open mode a newer state from another session takes the id over (the same client reconnected); an echo does not', async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const old = connect(room, 'old');
    const observer = connect(room, 'observer');
    room.receive(old.session, { type: 'awareness', update: presence(1, 3, { name: 'A' }) });
    // Stock clients echo every presence they receive: the same clock changes nothing and claims nothing.
    room.receive(observer.session, { type: 'awareness', update: presence(1, 3, { name: 'A' }) });
    expect(old.closes).toEqual([]);
    const back = connect(room, 'back');
    observer.take();
    room.receive(back.session, { type: 'awareness', update: presence(1, 4, { name: 'A', cursor: 7 }) });
    expect(old.closes.map((c) => c.code)).toEqual([CloseCode.clientIdTakenOver]);
    expect(room.sessionCount).toBe(2);
    expect(room.presence.states().get(1)).toEqual({ name: 'A', cursor: 7 });
    // The older session's end removes nothing (AW-6).
    room.remove(old.session);
    expect(awarenessIn(observer.take())).toEqual([[{ clientId: 1, clock: 4, state: '{"name":"A","cursor":7}' }]]);
    expect(room.presence.states().has(1)).toBe(true);
  });

  it('AW-6: a reconnected reader announcing its unchanged presence inherits it when the stale session ends; an echo does not', async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const stale = connect(room, 'stale');
    const gone = connect(room, 'gone');
    room.receive(stale.session, { type: 'awareness', update: presence(1, 3, { name: 'reader' }) });
    room.receive(gone.session, { type: 'awareness', update: presence(2, 1, { name: 'leaves' }) });
    const observer = connect(room, 'observer');
    room.receive(observer.session, { type: 'awareness', update: presence(9, 1, { name: 'observer' }) });
    // The observer echoes both states back (not its first frame): it inherits neither.
    room.receive(observer.session, {
      type: 'awareness',
      update: writeAwarenessEntries([
        { clientId: 1, clock: 3, state: '{"name":"reader"}' },
        { clientId: 2, clock: 1, state: '{"name":"leaves"}' },
      ]),
    });
    // The reader reconnects and announces its unchanged state first thing: same clock, nothing claimed yet.
    const back = connect(room, 'back');
    room.receive(back.session, { type: 'awareness', update: presence(1, 3, { name: 'reader' }) });
    expect(stale.closes).toEqual([]);
    observer.take();
    room.remove(stale.session);
    room.remove(gone.session);
    // The stale session's end removes nothing the reader announced; the departed client is removed.
    expect(awarenessIn(observer.take())).toEqual([[{ clientId: 2, clock: 2, state: 'null' }]]);
    expect(room.presence.states().get(1)).toEqual({ name: 'reader' });
    room.receive(back.session, { type: 'awareness', update: presence(1, 4, { name: 'reader', moved: true }) });
    expect(room.presence.states().get(1)).toEqual({ name: 'reader', moved: true });
    room.remove(back.session);
    expect(room.presence.states().has(1)).toBe(false);
  });

  it('AW-7: a presence state the room removed at the same clock or later is answered with the removal; its own client then re-announces and is shown again', async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const gone = signIn(connect(room, 'gone'), 'ada');
    const watcher = connect(room, 'watcher');
    room.receive(gone.session, { type: 'awareness', update: presence(5, 1, { cursor: 1 }) });
    watcher.take();
    room.remove(gone.session);
    expect(awarenessIn(watcher.take())).toEqual([[{ clientId: 5, clock: 2, state: 'null' }]]);
    // The client was away while its session was reaped; it comes back with its state as it was.
    const back = signIn(connect(room, 'back'), 'ada');
    back.take();
    room.receive(back.session, { type: 'awareness', update: presence(5, 1, { cursor: 1 }) });
    expect(awarenessIn(back.take())).toEqual([[{ clientId: 5, clock: 2, state: 'null' }]]);
    expect(awarenessIn(watcher.take())).toEqual([]);
    // y-protocols answers a removal of its own live state with the state at the next clock.
    room.receive(back.session, { type: 'awareness', update: presence(5, 3, { cursor: 1 }) });
    expect(room.presence.states().get(5)).toMatchObject({ cursor: 1 });
    expect(awarenessIn(watcher.take()).flat()).toMatchObject([{ clientId: 5, clock: 3 }]);
    // A removal, or a state newer than the removal, is not answered.
    const other = connect(room, 'other');
    other.take();
    room.receive(other.session, { type: 'awareness', update: presence(6, 1, { cursor: 9 }) });
    room.receive(other.session, {
      type: 'awareness',
      update: writeAwarenessEntries([{ clientId: 6, clock: 2, state: 'null' }]),
    });
    expect(awarenessIn(other.take())).toEqual([]);
  });

  it('YJS-5/AW-6: writing structs under a client id takes over its presence from an older session of the same user', async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const doc = new Y.Doc();
    doc.getMap('m').set('k', 'v1');
    const old = signIn(connect(room, 'old'), 'ada');
    room.receive(old.session, { type: 'awareness', update: presence(doc.clientID, 1, { name: 'A' }) });
    room.receive(old.session, { type: 'sync-update', update: Y.encodeStateAsUpdate(doc) });
    const observer = connect(room, 'observer');
    const squatter = signIn(connect(room, 'squatter'), 'mallory');
    const sv = Y.encodeStateVector(doc);
    doc.getMap('m').set('k', 'v2');
    room.receive(squatter.session, { type: 'sync-update', update: Y.encodeStateAsUpdate(doc, sv) });
    expect(squatter.closes.map((c) => c.code)).toEqual([CloseCode.policyViolation]);
    expect(room.doc.getMap('m').get('k')).toBe('v1');
    const back = signIn(connect(room, 'back'), 'ada');
    observer.take();
    room.receive(back.session, { type: 'sync-step2', update: Y.encodeStateAsUpdate(doc, sv) });
    expect(room.doc.getMap('m').get('k')).toBe('v2');
    expect(old.closes.map((c) => c.code)).toEqual([CloseCode.clientIdTakenOver]);
    room.remove(old.session);
    expect(awarenessIn(observer.take())).toEqual([]);
    expect(room.presence.states().has(doc.clientID)).toBe(true);
    doc.destroy();
  });

  it('AW-2: the owner may update and remove its own state', async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const a = connect(room, 'a');
    room.receive(a.session, { type: 'awareness', update: presence(1, 1, { v: 1 }) });
    room.receive(a.session, { type: 'awareness', update: presence(1, 2, { v: 2 }) });
    expect(room.presence.states().get(1)).toEqual({ v: 2 });
    room.receive(a.session, { type: 'awareness', update: presence(1, 3, null) });
    expect(room.presence.states().has(1)).toBe(false);
  });

  it('AW-3: removing a session removes the states it owned, for every remaining session', async () => {
    setUp();
    const node = createNode('n1');
    const room = await openRoom(node);
    const a = connect(room, 'a');
    const b = connect(room, 'b');
    room.receive(a.session, {
      type: 'awareness',
      update: writeAwarenessEntries([
        { clientId: 1, clock: 1, state: '{"tab":1}' },
        { clientId: 11, clock: 1, state: '{"tab":2}' },
      ]),
    });
    room.receive(b.session, { type: 'awareness', update: presence(2, 1, { name: 'B' }) });
    a.take();
    b.take();
    node.published.length = 0;

    room.remove(a.session);
    expect([...room.presence.states().keys()]).toEqual([2]);
    const removals = awarenessIn(b.take());
    expect(removals).toHaveLength(1);
    expect(removals[0]?.map((e) => [e.clientId, e.state]).sort()).toEqual([
      [1, 'null'],
      [11, 'null'],
    ]);
    expect(node.published.map((m) => m.kind)).toEqual(['awareness']);
    expect(room.sessionCount).toBe(1);

    // Removing it again changes nothing; removing the last owner empties the room's awareness.
    room.remove(a.session);
    expect(b.take()).toEqual([]);
    expect([...room.presence.states().keys()]).toEqual([2]);
    room.remove(b.session);
    expect(room.presence.states().size).toBe(0);
  });

  it('AW-4: query-awareness is answered with every known state, and with nothing when none is known', async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const a = connect(room, 'a');
    const b = connect(room, 'b');
    room.receive(b.session, { type: 'query-awareness' });
    expect(b.take().filter((f) => f.type === 'awareness')).toEqual([]);
    room.receive(a.session, { type: 'awareness', update: presence(1, 1, { name: 'A' }) });
    b.take();
    room.receive(b.session, { type: 'query-awareness' });
    expect(awarenessIn(b.take())).toEqual([[{ clientId: 1, clock: 1, state: '{"name":"A"}' }]]);
  });
});
