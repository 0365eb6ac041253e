// Room: acks for what members write, and updates that wait for missing history.
import { CloseCode, type Frame, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { holdAppends } from '../../test/helpers/store-wrappers.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';
import { connect, mapUpdate, nextTurn, ROOM, refusingStore, roomKit } from './room.fixture.js';
import { DEFAULT_WRITE_POLICY } from './write-policy.js';

const kit = roomKit();
const { setUp, createNode, openRoom } = kit;

describe('Room: acks', () => {
  const acksIn = (frames: Frame[]) => frames.flatMap((f) => (f.type === 'ack' ? [f.through] : []));

  it('EXT-3: update frames are acked, cumulatively, only once the store has them', async () => {
    const { store, release } = holdAppends(createMemoryDocStore());
    setUp(store);
    const node = createNode('n1');
    const room = await openRoom(node);
    const a = connect(room, 'a', TANDEM_SUBPROTOCOL);
    a.take();
    room.receive(a.session, { type: 'sync-step2', update: mapUpdate('x', '1') });
    room.receive(a.session, { type: 'sync-update', update: mapUpdate('y', '2') });
    await nextTurn();
    await nextTurn();
    expect(acksIn(a.take())).toEqual([]);

    release();
    const acks: number[] = [];
    await waitFor(
      () => {
        acks.push(...acksIn(a.take()));
        return acks.length > 0;
      },
      { timeoutMs: 2000, what: 'an ack' },
    );
    await nextTurn();
    acks.push(...acksIn(a.take()));
    expect(acks).toEqual([2]);
    expect((await kit.sharedStore.load(ROOM)).updates).toHaveLength(2);
  });

  it('EXT-3: a frame that adds nothing is not stored again, and is acked once what came before is durable', async () => {
    const { store, release } = holdAppends(createMemoryDocStore());
    setUp(store);
    const node = createNode('n1');
    const room = await openRoom(node);
    const a = connect(room, 'a', TANDEM_SUBPROTOCOL);
    const b = connect(room, 'b', TANDEM_SUBPROTOCOL);
    a.take();
    b.take();
    const update = mapUpdate('x', '1');
    room.receive(a.session, { type: 'sync-update', update });
    // b sends the same content (e.g. its step 2 after syncing through another path): nothing new.
    room.receive(b.session, { type: 'sync-step2', update });
    await nextTurn();
    await nextTurn();
    expect(acksIn(b.take())).toEqual([]);

    release();
    await waitFor(() => acksIn(b.take()).includes(1), { timeoutMs: 2000, what: "b's ack" });
    await node.persistence.flush();
    expect(node.appends.flat()).toHaveLength(1);

    // With nothing outstanding, a no-op frame is acked at once.
    room.receive(b.session, { type: 'sync-update', update });
    await nextTurn();
    expect(acksIn(b.take())).toEqual([2]);
    expect(node.appends.flat()).toHaveLength(1);
  });

  it('EXT-3: an update the store refuses is never acked', async () => {
    setUp(refusingStore());
    const node = createNode('n1');
    const room = await openRoom(node);
    const a = connect(room, 'a', TANDEM_SUBPROTOCOL);
    room.receive(a.session, { type: 'sync-update', update: mapUpdate('x', '1') });
    await waitFor(() => node.failures.length > 0, { timeoutMs: 2000, what: 'onFailed' });
    await nextTurn();
    expect(acksIn(a.take())).toEqual([]);
  });
});

describe('Room: updates that wait for missing history', () => {
  it('YJS-3: an update whose history arrives in time is integrated; one whose history never comes is dropped and its sender closed', async () => {
    setUp();
    const room = await openRoom(createNode('n1'), ROOM, { ...DEFAULT_WRITE_POLICY, pendingDeadlineMs: 50 });
    const author = new Y.Doc();
    const updates: Uint8Array[] = [];
    author.on('update', (u: Uint8Array) => updates.push(u));
    author.getText('t').insert(0, 'abc');
    author.getText('t').insert(3, 'def');
    author.getText('t').insert(6, 'ghi');
    const [first, second, third] = updates as [Uint8Array, Uint8Array, Uint8Array];

    // Arrives out of order (the reconnect race): held, then completed by its history.
    const patient = connect(room, 'patient');
    room.receive(patient.session, { type: 'sync-update', update: second });
    expect(room.doc.store.pendingStructs).not.toBeNull();
    room.receive(patient.session, { type: 'sync-update', update: first });
    expect(room.doc.getText('t').toString()).toBe('abcdef');

    // The history of this one never arrives.
    const stranded = connect(room, 'stranded');
    const lost = new Y.Doc();
    lost.clientID = 999;
    const lostUpdates: Uint8Array[] = [];
    lost.on('update', (u: Uint8Array) => lostUpdates.push(u));
    lost.getText('t').insert(0, 'never');
    lost.getText('t').insert(5, ' seen');
    room.receive(stranded.session, { type: 'sync-update', update: lostUpdates[1] as Uint8Array });
    await waitFor(() => stranded.closes.length > 0, { timeoutMs: 2000, what: 'the deadline' });
    expect(stranded.closes[0]?.code).toBe(CloseCode.policyViolation);
    expect(room.doc.store.pendingStructs).toBeNull();
    expect(patient.closes).toEqual([]);
    room.receive(patient.session, { type: 'sync-update', update: third });
    expect(room.doc.getText('t').toString()).toBe('abcdefghi');
  });
});
