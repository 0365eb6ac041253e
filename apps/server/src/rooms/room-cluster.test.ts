// Room: the same room on several nodes (the cluster link and presence leases, through rooms).
import { CloseCode, type Frame, readAwarenessEntries, writeAwarenessEntries } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { describe, expect, it } from 'vitest';
import {
  awarenessIn,
  connect,
  mapAfter,
  mapUpdate,
  nextTurn,
  presence,
  ROOM,
  roomKit,
  signedState,
  signIn,
  updatesIn,
} from './room.fixture.js';

const kit = roomKit();
const { setUp, createNode, openRoom } = kit;

/** The room on two nodes, with a member on each (`a` on the first, `x` on the second), their greetings taken. */
async function twoNodes() {
  setUp();
  const node1 = createNode('n1');
  const node2 = createNode('n2');
  const room1 = await openRoom(node1);
  const room2 = await openRoom(node2);
  const a = connect(room1, 'a');
  const x = connect(room2, 'x');
  a.take();
  x.take();
  return { node1, node2, room1, room2, a, x };
}

describe('Room: across nodes', () => {
  it('SYNC-3: an update reaches the same room on another node, which relays it but does not persist or republish it', async () => {
    const { node1, node2, room1, room2, a, x } = await twoNodes();

    room1.receive(a.session, { type: 'sync-update', update: mapUpdate('k', 'v') });
    const received: Frame[] = [];
    await waitFor(
      () => {
        received.push(...x.take());
        return received.length > 0;
      },
      { timeoutMs: 2000, what: 'the update at node 2' },
    );
    expect(mapAfter(...updatesIn(received))).toEqual({ k: 'v' });
    expect(room2.doc.getMap('m').get('k')).toBe('v');

    await node1.persistence.flush();
    await node2.persistence.flush();
    expect(node1.appends).toHaveLength(1);
    expect(node2.appends).toEqual([]);
    expect(node2.published).toEqual([]);
    expect((await kit.sharedStore.load(ROOM)).updates).toHaveLength(1);
  });

  it("SYNC-3/CLUSTER-3: another node's updates and the state exchange are served from the bytes: neither node builds a Y.Doc", async () => {
    const { node2, room1, room2, a, x } = await twoNodes();
    room1.receive(a.session, { type: 'sync-update', update: mapUpdate('k', 'v') });
    room1.receive(a.session, { type: 'sync-update', update: mapUpdate('k2', 'v2') });
    const received: Frame[] = [];
    await waitFor(
      () => {
        received.push(...x.take());
        return updatesIn(received).length >= 2;
      },
      { timeoutMs: 2000, what: 'both updates at node 2' },
    );
    expect(mapAfter(...updatesIn(received))).toEqual({ k: 'v', k2: 'v2' });
    // Relayed here, not stored or published again.
    await node2.persistence.flush();
    expect(node2.appends).toEqual([]);
    expect(node2.published).toEqual([]);
    // A joiner at node 2 gets both from the bytes.
    const y = connect(room2, 'y');
    y.take();
    room2.receive(y.session, { type: 'sync-step1', stateVector: Uint8Array.of(0) });
    const answer = y.take().flatMap((f) => (f.type === 'sync-step2' ? [f.update] : []));
    expect(mapAfter(...answer)).toEqual({ k: 'v', k2: 'v2' });
    // A node that has none of it asks (CLUSTER-3): both nodes answer from their bytes.
    const asker = createNode('n3');
    const answers: Uint8Array[] = [];
    const subscription = asker.fanout.subscribe(ROOM, (m) => {
      if (m.kind === 'update') answers.push(m.payload);
    });
    await subscription.ready;
    asker.fanout.publish(ROOM, { kind: 'sync-request', payload: Uint8Array.of(0) });
    await waitFor(() => answers.length >= 2, { timeoutMs: 2000, what: 'the answers to the sync request' });
    subscription.close();
    expect(mapAfter(...answers)).toEqual({ k: 'v', k2: 'v2' });
    expect(room1.docBuilt).toBe(false);
    expect(room2.docBuilt).toBe(false);
  });

  it('AW-3: awareness states, and their removal when the owner leaves, reach the other node', async () => {
    setUp();
    const room1 = await openRoom(createNode('n1'));
    const room2 = await openRoom(createNode('n2'));
    const a = connect(room1, 'a');
    room1.receive(a.session, { type: 'awareness', update: presence(9, 1, { name: 'A' }) });
    await waitFor(() => room2.presence.states().has(9), { timeoutMs: 2000, what: 'presence at node 2' });
    room1.remove(a.session);
    await waitFor(() => !room2.presence.states().has(9), { timeoutMs: 2000, what: 'removal at node 2' });
  });

  it("AW-2: a session of another user on another node cannot overwrite or remove a state this node's session owns", async () => {
    setUp();
    const room1 = await openRoom(createNode('n1'));
    const room2 = await openRoom(createNode('n2'));
    const owner = signIn(connect(room1, 'owner'), 'ada');
    const intruder = signIn(connect(room2, 'intruder'), 'mallory');
    room1.receive(owner.session, { type: 'awareness', update: presence(1, 1, { name: 'Owner' }) });
    await waitFor(() => room2.presence.states().has(1), { timeoutMs: 2000, what: 'presence at node 2' });
    room2.receive(intruder.session, { type: 'awareness', update: presence(1, 50, { name: 'Hijacked' }) });
    room2.receive(intruder.session, { type: 'awareness', update: presence(77, 1, { name: 'Intruder' }) });
    await waitFor(() => room1.presence.states().has(77), { timeoutMs: 2000, what: "intruder's own presence" });
    expect(room1.presence.states().get(1)).toMatchObject({ name: 'Owner', user: { id: 'ada' } });
    expect(room2.presence.states().get(1)).toMatchObject({ name: 'Owner', user: { id: 'ada' } });
    expect(owner.closes).toEqual([]);
    room2.remove(intruder.session);
    await waitFor(() => !room1.presence.states().has(77), { timeoutMs: 2000, what: "intruder's presence removed" });
    expect(room1.presence.states().get(1)).toMatchObject({ name: 'Owner' });
  });

  it('CLUSTER-6/AW-6: the same user reconnecting to another node takes its presence over at once; the old node hands it over without a removal', async () => {
    setUp();
    const room1 = await openRoom(createNode('n1'));
    const room2 = await openRoom(createNode('n2'));
    const stale = signIn(connect(room1, 'stale'), 'ada');
    const watcher = connect(room1, 'watcher');
    room1.receive(stale.session, { type: 'awareness', update: presence(5, 1, { cursor: 1 }) });
    await waitFor(() => room2.presence.states().has(5), { timeoutMs: 2000, what: 'presence at node 2' });
    const back = signIn(connect(room2, 'back'), 'ada');
    room2.receive(back.session, { type: 'awareness', update: presence(5, 2, { cursor: 2 }) });
    expect(room2.presence.states().get(5)).toMatchObject({ cursor: 2 });
    await waitFor(() => stale.closes.length > 0, { timeoutMs: 2000, what: 'stale session retired at node 1' });
    expect(stale.closes.map((c) => c.code)).toEqual([CloseCode.clientIdTakenOver]);
    expect(room1.presence.states().get(5)).toMatchObject({ cursor: 2 });
    watcher.take();
    room1.remove(stale.session);
    expect(awarenessIn(watcher.take())).toEqual([]);
    expect(room1.presence.states().has(5)).toBe(true);
  });

  it("YJS-5/AW-6: a stale node's renewal that crosses a claim never closes the live session; the same state there only passes the id on", async () => {
    setUp();
    const nodeA = createNode('n1');
    const room1 = await openRoom(nodeA);
    const nodeB = createNode('n2');
    const room2 = await openRoom(nodeB);
    const live = signIn(connect(room1, 'live'), 'ada');
    const watcher = connect(room1, 'watcher');
    room1.receive(live.session, { type: 'awareness', update: presence(5, 2, { cursor: 2 }) });
    // Node 2 still renews the client's stale session with the state from before the claim.
    const stale = signedState({ cursor: 1 }, 'ada');
    nodeB.fanout.publish(ROOM, {
      kind: 'awareness',
      payload: writeAwarenessEntries([{ clientId: 5, clock: 1, state: stale }]),
    });
    await waitFor(() => room2.presence.states().has(5), { timeoutMs: 2000, what: 'presence at node 2' });
    await nextTurn();
    expect(live.closes).toEqual([]);
    expect(room1.presence.states().get(5)).toMatchObject({ cursor: 2 });
    // The same state announced there (the client went there) does not close it either…
    const same = signedState({ cursor: 2 }, 'ada');
    nodeB.fanout.publish(ROOM, {
      kind: 'awareness',
      payload: writeAwarenessEntries([{ clientId: 5, clock: 2, state: same }]),
    });
    await waitFor(() => nodeB.published.length >= 2, { what: 'both announcements published' });
    await nextTurn();
    await nextTurn();
    expect(live.closes).toEqual([]);
    // …but when this session ends the id passes there: no removal.
    watcher.take();
    room1.remove(live.session);
    expect(awarenessIn(watcher.take())).toEqual([]);
    expect(room1.presence.states().get(5)).toMatchObject({ cursor: 2 });
  });

  it('AW-6/CLUSTER-6: a reader that moved to another node with its unchanged presence is never removed: the old node passes the id there, and the new node holds it once the old one stops renewing', async () => {
    setUp();
    const nodeA = createNode('n1');
    const nodeB = createNode('n2');
    const leaseMs = 300;
    const room1 = await openRoom(nodeA, ROOM, undefined, leaseMs);
    const room2 = await openRoom(nodeB, ROOM, undefined, leaseMs);
    const stale = signIn(connect(room1, 'stale'), 'ada');
    const watcher1 = connect(room1, 'watcher1');
    const watcher2 = connect(room2, 'watcher2');
    room1.receive(stale.session, { type: 'awareness', update: presence(5, 1, { cursor: 1 }) });
    await waitFor(() => room2.presence.states().has(5), { timeoutMs: 2000, what: 'presence at node 2' });
    // The reader reconnects to node 2 and announces its state as it was: the same clock.
    const moved = signIn(connect(room2, 'moved'), 'ada');
    const publishedBefore = nodeB.published.length;
    room2.receive(moved.session, { type: 'awareness', update: presence(5, 1, { cursor: 1 }) });
    await waitFor(() => nodeB.published.length > publishedBefore, { what: 'the announcement published' });
    await nextTurn();
    expect(stale.closes).toEqual([]);
    watcher1.take();
    watcher2.take();
    // Node 1 reaps its stale session: the id passes to node 2, no removal anywhere.
    room1.remove(stale.session);
    // Node 2 stops getting renewals from node 1 and holds the id itself, renewing it from then on.
    const renewalsOf5 = () =>
      nodeB.published
        .slice(publishedBefore + 1)
        .filter((m) => m.kind === 'awareness' && readAwarenessEntries(m.payload).some((e) => e.clientId === 5)).length;
    await waitFor(() => renewalsOf5() >= 3, { timeoutMs: 5 * leaseMs, what: 'node 2 renewing the id' });
    // Node 1's lease on it is renewed by node 2: it outlives several lease periods without a removal.
    expect(
      awarenessIn(watcher1.take())
        .flat()
        .filter((e) => e.clientId === 5 && e.state === 'null'),
    ).toEqual([]);
    expect(
      awarenessIn(watcher2.take())
        .flat()
        .filter((e) => e.clientId === 5 && e.state === 'null'),
    ).toEqual([]);
    expect(room1.presence.states().get(5)).toMatchObject({ cursor: 1 });
    expect(room2.presence.states().get(5)).toMatchObject({ cursor: 1 });
    // The client leaving node 2 for good removes it everywhere (AW-3).
    room2.remove(moved.session);
    await waitFor(() => !room1.presence.states().has(5), { timeoutMs: 2000, what: 'removal at node 1' });
    expect(room2.presence.states().has(5)).toBe(false);
  });

  it('CLUSTER-6/AW-7: a renewal from another node that crosses a removal here claims nothing: the client coming back here is shown again', async () => {
    setUp();
    const nodeA = createNode('n1');
    const room2 = await openRoom(createNode('n2'));
    await openRoom(nodeA);
    const watcher = connect(room2, 'watcher');
    const gone = signIn(connect(room2, 'gone'), 'ada');
    room2.receive(gone.session, { type: 'awareness', update: presence(5, 1, { cursor: 1 }) });
    room2.remove(gone.session);
    // Node 1 still renews the state it had (clock 1) after node 2 removed it (clock 2); node 2 must not
    // take that for node 1 holding the id, as for either clock a removal wins.
    for (const clock of [1, 2]) {
      nodeA.fanout.publish(ROOM, {
        kind: 'awareness',
        payload: writeAwarenessEntries([{ clientId: 5, clock, state: signedState({ cursor: 1 }, 'ada') }]),
      });
    }
    await waitFor(() => nodeA.published.length >= 2, { what: 'the renewals published' });
    await nextTurn();
    await nextTurn();
    expect(room2.presence.states().has(5)).toBe(false);
    watcher.take();
    const back = signIn(connect(room2, 'back'), 'ada');
    room2.receive(back.session, { type: 'awareness', update: presence(5, 3, { cursor: 1 }) });
    expect(room2.presence.states().get(5)).toMatchObject({ cursor: 1 });
    expect(awarenessIn(watcher.take()).flat()).toMatchObject([{ clientId: 5, clock: 3 }]);
  });

  it('stops applying fan-out messages once destroyed, and closes its sessions with 1001', async () => {
    setUp();
    const room1 = await openRoom(createNode('n1'));
    const room2 = await openRoom(createNode('n2'));
    const a = connect(room1, 'a');
    const x = connect(room2, 'x');
    room2.destroy();
    expect(x.closes.map((c) => c.code)).toEqual([CloseCode.goingAway]);
    room1.receive(a.session, { type: 'sync-update', update: mapUpdate('k', 'v') });
    await nextTurn();
    await nextTurn();
    expect(room2.doc.getMap('m').get('k')).toBeUndefined();
  });
});
