// Room: joining, the sync handshake, frame dispatch and failure.
import { CloseCode, decodeFrame, type Frame, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createSession } from '../connection/session.js';
import type { DocumentId, SessionId } from '../identity.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';
import {
  awarenessIn,
  connect,
  logger,
  mapAfter,
  mapUpdate,
  nextTurn,
  presence,
  ROOM,
  refusingStore,
  roomKit,
} from './room.fixture.js';

const { setUp, createNode, openRoom } = roomKit();

describe('Room: joining', () => {
  it('SYNC-1: a joining session gets sync step 1 with the room state vector, and no awareness when none is known', async () => {
    const store = createMemoryDocStore();
    await store.append([{ docId: ROOM, update: mapUpdate('k', 'stored') }]);
    setUp(store);
    const room = await openRoom(createNode('n1'));
    const a = connect(room, 'a');
    const frames = a.take();
    expect(frames).toHaveLength(1);
    expect(frames[0]).toEqual({ type: 'sync-step1', stateVector: Y.encodeStateVector(room.doc) });
    expect(room.doc.getMap('m').get('k')).toBe('stored');
  });

  it('SYNC-1: when awareness states are known, the step 1 is followed by one awareness frame with all of them', async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const a = connect(room, 'a');
    const b = connect(room, 'b');
    room.receive(a.session, { type: 'awareness', update: presence(1, 1, { name: 'A' }) });
    room.receive(b.session, { type: 'awareness', update: presence(2, 1, { name: 'B' }) });
    const c = connect(room, 'c');
    const frames = c.take();
    expect(frames.map((f) => f.type)).toEqual(['sync-step1', 'awareness']);
    expect(
      awarenessIn(frames)[0]
        ?.map((e) => e.clientId)
        .sort(),
    ).toEqual([1, 2]);
  });

  it('does not persist or republish the state it loaded from the store', async () => {
    const store = createMemoryDocStore();
    await store.append([{ docId: ROOM, update: mapUpdate('k', 'stored') }]);
    setUp(store);
    const node = createNode('n1');
    const room = await openRoom(node);
    const a = connect(room, 'a');
    a.take();
    await nextTurn();
    await node.persistence.flush();
    expect(node.appends).toEqual([]);
    expect(node.published).toEqual([]);
    expect(a.take()).toEqual([]);
  });
});

describe('Room: document sync', () => {
  it('SYNC-2: sync step 1 is answered with a step 2 holding what the sender is missing', async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const a = connect(room, 'a');
    room.receive(a.session, { type: 'sync-update', update: mapUpdate('k', 'v') });
    const b = connect(room, 'b');
    b.take();
    room.receive(b.session, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) });
    const [reply, ...rest] = b.take();
    expect(rest).toEqual([]);
    if (reply?.type !== 'sync-step2') throw new Error(`expected sync-step2, got ${reply?.type}`);
    expect(mapAfter(reply.update)).toEqual({ k: 'v' });

    // A sender that is up to date gets a step 2 that adds nothing.
    room.receive(b.session, { type: 'sync-step1', stateVector: Y.encodeStateVector(room.doc) });
    const [upToDate] = b.take();
    if (upToDate?.type !== 'sync-step2') throw new Error(`expected sync-step2, got ${upToDate?.type}`);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(room.doc));
    const before = Y.encodeStateVector(doc);
    Y.applyUpdate(doc, upToDate.update);
    expect(Y.encodeStateVector(doc)).toEqual(before);
  });

  it('SYNC-2: joiners with an empty state vector share one encoded step 2 until the document changes, pending updates included', async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const writer = connect(room, 'writer');
    room.receive(writer.session, { type: 'sync-update', update: mapUpdate('k', 'v') });
    const raw: Uint8Array[][] = [];
    const join = (id: string): Uint8Array => {
      const sent: Uint8Array[] = [];
      raw.push(sent);
      const session = createSession({
        id: id as SessionId,
        roomId: room.id as DocumentId,
        protocol: 'plain',
        socket: { bufferedAmount: 0, send: (d) => sent.push(d), close: () => {}, terminate: () => {}, ping: () => {} },
        logger,
        maxBufferedBytes: 64 * 1024 * 1024,
        slowCloseGraceMs: 1000,
      });
      room.add(session);
      sent.splice(0);
      room.receive(session, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) });
      const [reply] = sent.splice(0);
      if (reply === undefined) throw new Error(`${id} got no step 2`);
      return reply;
    };
    const first = join('first');
    expect(join('second')).toBe(first);
    const stateOf = (frame: Uint8Array) => {
      const decoded = decodeFrame(frame);
      if (!decoded.ok || decoded.frame.type !== 'sync-step2') throw new Error('expected a sync step 2');
      return mapAfter(decoded.frame.update);
    };
    expect(stateOf(first)).toEqual({ k: 'v' });

    room.receive(writer.session, { type: 'sync-update', update: mapUpdate('k2', 'v2') });
    const third = join('third');
    expect(third).not.toBe(first);
    expect(stateOf(third)).toEqual({ k: 'v', k2: 'v2' });

    // An update Yjs holds pending (its history is missing) changes the answer too: it is part of the state.
    const other = new Y.Doc();
    other.getMap('m').set('a', 1);
    const history = Y.encodeStateAsUpdate(other);
    const before = Y.encodeStateVector(other);
    other.getMap('m').set('b', 2);
    const pendingOnly = Y.encodeStateAsUpdate(other, before);
    room.receive(writer.session, { type: 'sync-update', update: pendingOnly });
    const fourth = join('fourth');
    expect(fourth).not.toBe(third);
    room.receive(writer.session, { type: 'sync-update', update: history });
    expect(stateOf(join('fifth'))).toMatchObject({ k: 'v', k2: 'v2', a: 1, b: 2 });
  });

  it('SYNC-4: an update that fails to apply closes its sender with 1007; the room carries on', async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const a = connect(room, 'a');
    const b = connect(room, 'b');
    b.take();
    room.receive(a.session, { type: 'sync-update', update: new Uint8Array([0xff, 0xff, 0xff]) });
    expect(a.closes.map((c) => c.code)).toEqual([CloseCode.undecodable]);
    expect(b.closes).toEqual([]);
    room.receive(b.session, { type: 'sync-update', update: mapUpdate('ok', 'yes') });
    expect(room.doc.getMap('m').get('ok')).toBe('yes');
  });
});

describe('Room: tandem.v1 frames', () => {
  it('EXT-2: a ping from a tandem session is answered with a pong carrying its id', async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const a = connect(room, 'a', TANDEM_SUBPROTOCOL);
    a.take();
    room.receive(a.session, { type: 'ping', id: 42 });
    expect(a.take()).toEqual([{ type: 'pong', id: 42 }]);
    // It also counted as a sign of life: two heartbeats in a row do not terminate.
    expect(a.session.heartbeat()).toBe(true);
    room.receive(a.session, { type: 'pong', id: 1 });
    expect(a.session.heartbeat()).toBe(true);
  });

  it('EXT-1: a plain session that sends an extension frame is closed with 1008', async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const a = connect(room, 'a');
    a.take();
    room.receive(a.session, { type: 'ping', id: 1 });
    expect(a.closes.map((c) => c.code)).toEqual([CloseCode.policyViolation]);
    expect(a.take()).toEqual([]);
  });

  it.each([
    { type: 'ack', through: 1 },
    { type: 'notice', code: 1, message: 'hi' },
    { type: 'auth-permission-denied', reason: 'no' },
  ] satisfies Frame[])('EXT-5: a client that sends a server-only $type frame is closed with 1008', async (frame) => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const a = connect(room, 'a', TANDEM_SUBPROTOCOL);
    room.receive(a.session, frame);
    expect(a.closes.map((c) => c.code)).toEqual([CloseCode.policyViolation]);
  });
});

describe('Room: persistence failure', () => {
  it('reports itself failed, once, when the store refuses its updates', async () => {
    setUp(refusingStore());
    const node = createNode('n1');
    const room = await openRoom(node);
    const a = connect(room, 'a');
    room.receive(a.session, { type: 'sync-update', update: mapUpdate('x', '1') });
    await waitFor(() => node.failures.length > 0, { timeoutMs: 2000, what: 'onFailed' });
    room.receive(a.session, { type: 'sync-update', update: mapUpdate('y', '2') });
    await node.persistence.flush();
    expect(node.failures).toEqual([room]);
  });

  it('OPS-6: an import the store refuses rejects and reports the room failed (its state is ahead of the store)', async () => {
    setUp({ ...createMemoryDocStore(), append: () => Promise.reject(new Error('disk full')) });
    const node = createNode('n1');
    const room = await openRoom(node);
    await expect(room.importUpdate(mapUpdate('x', '1'))).rejects.toThrow('disk full');
    expect(node.failures).toEqual([room]);
  });
});
