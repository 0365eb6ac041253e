import {
  type AwarenessEntry,
  CloseCode,
  decodeFrame,
  type Frame,
  readAwarenessEntries,
  TANDEM_SUBPROTOCOL,
  writeAwarenessEntries,
} from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Fanout, FanoutMessage } from '../fanout/fanout.js';
import { createMemoryFanoutBus, type MemoryFanoutBus } from '../fanout/memory-fanout.js';
import type { AppendEntry, DocStore } from '../storage/doc-store.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';
import { docFromStored } from '../storage/snapshot.js';
import { type Compactor, createCompactor } from './compactor.js';
import { createPersistenceScheduler, type PersistenceScheduler } from './persistence-scheduler.js';
import { Room } from './room.js';
import { Session, type SessionProtocol, type SessionSocket } from './session.js';
import { DEFAULT_WRITE_POLICY, type WritePolicy } from './write-policy.js';

const logger = pino({ level: 'silent' });
const ROOM = 'notes';

/** Waits for one event-loop turn: the room flushes its coalesced updates in a setImmediate. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One server node: its own scheduler and fan-out connection, over a store shared by the cluster. */
interface TestNode {
  readonly persistence: PersistenceScheduler;
  readonly compactor: Compactor;
  readonly fanout: Fanout;
  /** Every append this node made. */
  readonly appends: AppendEntry[][];
  /** Every message this node published. */
  readonly published: FanoutMessage[];
  readonly failures: Room[];
}

/** A session over an in-memory socket that records what was sent to it. */
interface TestClient {
  readonly session: Session;
  readonly closes: { code: number; reason: string }[];
  /** Decoded frames sent since the last `take()`. */
  take(): Frame[];
  /** How many frames each socket write carried since the last call (frames sent while corked share one). */
  writes(): number[];
}

let bus: MemoryFanoutBus;
let sharedStore: DocStore;
const rooms: Room[] = [];
const fanouts: Fanout[] = [];

function setUp(store: DocStore = createMemoryDocStore()): void {
  bus = createMemoryFanoutBus();
  sharedStore = store;
}

afterEach(async () => {
  for (const room of rooms.splice(0)) room.destroy();
  for (const fanout of fanouts.splice(0)) await fanout.close();
});

function createNode(nodeId: string, store: DocStore = sharedStore): TestNode {
  const appends: AppendEntry[][] = [];
  const published: FanoutMessage[] = [];
  const counting: DocStore = {
    ...store,
    append(entries) {
      appends.push([...entries]);
      return store.append(entries);
    },
  };
  const inner = bus.connect(nodeId);
  fanouts.push(inner);
  const fanout: Fanout = {
    ...inner,
    publish(roomId, message) {
      published.push(message);
      inner.publish(roomId, message);
    },
  };
  // Thresholds no test reaches: compaction is the compactor's concern, not the room's.
  const compactor = createCompactor({
    store,
    logger,
    policy: { afterUpdates: 1_000_000, afterBytes: 1024 * 1024 * 1024 },
  });
  return { persistence: createPersistenceScheduler(counting), compactor, fanout, appends, published, failures: [] };
}

async function openRoom(
  node: TestNode,
  id = ROOM,
  writePolicy?: WritePolicy,
  awarenessTimeoutMs?: number,
): Promise<Room> {
  const stored = await sharedStore.load(id);
  node.compactor.track(id, stored);
  const room = new Room(id, docFromStored(stored), {
    fanout: node.fanout,
    persistence: node.persistence,
    compactor: node.compactor,
    logger,
    onFailed: (failed) => node.failures.push(failed),
    ...(writePolicy === undefined ? {} : { writePolicy }),
    ...(awarenessTimeoutMs === undefined ? {} : { awarenessTimeoutMs }),
  });
  rooms.push(room);
  return room;
}

function connect(room: Room, id: string, protocol: SessionProtocol = 'plain'): TestClient {
  const sent: Uint8Array[] = [];
  const closes: { code: number; reason: string }[] = [];
  const writes: number[] = [];
  let corked = 0;
  let held = 0;
  const socket: SessionSocket = {
    bufferedAmount: 0,
    send: (data) => {
      sent.push(data);
      if (corked > 0) held += 1;
      else writes.push(1);
    },
    close: (code, reason) => closes.push({ code, reason }),
    terminate: () => {},
    ping: () => {},
  };
  const session = new Session({
    id,
    roomId: room.id,
    protocol,
    socket,
    logger,
    maxBufferedBytes: 64 * 1024 * 1024,
    slowCloseGraceMs: 1000,
    stream: {
      cork: () => {
        corked += 1;
      },
      uncork: () => {
        corked -= 1;
        if (corked === 0 && held > 0) writes.push(held);
        if (corked === 0) held = 0;
      },
    },
  });
  room.add(session);
  return {
    session,
    closes,
    writes: () => writes.splice(0),
    take: () =>
      sent.splice(0).map((bytes) => {
        const result = decodeFrame(bytes);
        if (!result.ok) throw new Error(`server sent an undecodable frame: ${result.error.message}`);
        return result.frame;
      }),
  };
}

/** A document update, made by a fresh client, that sets `key` to `value` in the map "m". */
function mapUpdate(key: string, value: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap('m').set(key, value);
  const update = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return update;
}

/** The map "m" after applying `updates` to an empty document. */
function mapAfter(...updates: Uint8Array[]): Record<string, unknown> {
  const doc = new Y.Doc();
  for (const update of updates) Y.applyUpdate(doc, update);
  const json = doc.getMap('m').toJSON();
  doc.destroy();
  return json;
}

function updatesIn(frames: Frame[]): Uint8Array[] {
  return frames.flatMap((f) => (f.type === 'sync-update' ? [f.update] : []));
}

function awarenessIn(frames: Frame[]): AwarenessEntry[][] {
  return frames.flatMap((f) => (f.type === 'awareness' ? [readAwarenessEntries(f.update)] : []));
}

const presence = (clientId: number, clock: number, state: unknown): Uint8Array =>
  writeAwarenessEntries([{ clientId, clock, state: JSON.stringify(state) }]);

/** Authenticates a test session as `userId` (distinct users cannot take over each other's client ids, YJS-5). */
function signIn(client: TestClient, userId: string): TestClient {
  client.session.identity = { userId, name: userId, color: '#123456', rules: [], expiresAt: Number.MAX_SAFE_INTEGER };
  return client;
}

/** A presence state as the room stores it for a session signed in as `userId` (AUTH-7 rewrites `user`). */
const signedState = (state: Record<string, unknown>, userId: string) =>
  JSON.stringify({ ...state, user: { id: userId, name: userId, color: '#123456' } });

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
      const session = new Session({
        id,
        roomId: room.id,
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
    expect((await sharedStore.load(ROOM)).updates).toHaveLength(1);
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
    setUp();
    const room = await openRoom(createNode('n1'));
    const a = connect(room, 'a');
    const b = connect(room, 'b');
    a.take();
    b.take();
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
    setUp();
    const room = await openRoom(createNode('n1'));
    const a = connect(room, 'a');
    const b = connect(room, 'b');
    a.take();
    b.take();
    room.receive(a.session, { type: 'sync-update', update: mapUpdate('big', 'x'.repeat(1024 * 1024 + 1)) });
    // Sent within the same turn.
    const early = b.take();
    expect(early.map((f) => f.type)).toEqual(['sync-update']);
    room.receive(a.session, { type: 'sync-update', update: mapUpdate('small', 'y') });
    expect(b.take()).toEqual([]);
    await nextTurn();
    expect(mapAfter(...updatesIn(b.take()))).toEqual({ small: 'y' });
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

describe('Room: awareness', () => {
  it('AW-1: an awareness update is applied and relayed to the others, not echoed', async () => {
    setUp();
    const room = await openRoom(createNode('n1'));
    const a = connect(room, 'a');
    const b = connect(room, 'b');
    a.take();
    b.take();
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

describe('Room: acks', () => {
  /** A memory store whose appends wait until `release()`. */
  function heldStore() {
    const inner = createMemoryDocStore();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store: DocStore = {
      ...inner,
      async append(entries) {
        await gate;
        return inner.append(entries);
      },
    };
    return { store, release };
  }

  const acksIn = (frames: Frame[]) => frames.flatMap((f) => (f.type === 'ack' ? [f.through] : []));

  it('EXT-3: update frames are acked, cumulatively, only once the store has them', async () => {
    const { store, release } = heldStore();
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
    expect((await sharedStore.load(ROOM)).updates).toHaveLength(2);
  });

  it('EXT-3: a frame that adds nothing is not stored again, and is acked once what came before is durable', async () => {
    const { store, release } = heldStore();
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
    const inner = createMemoryDocStore();
    setUp({
      ...inner,
      append: async () => {
        throw new Error('disk full');
      },
    });
    const node = createNode('n1');
    const room = await openRoom(node);
    const a = connect(room, 'a', TANDEM_SUBPROTOCOL);
    room.receive(a.session, { type: 'sync-update', update: mapUpdate('x', '1') });
    await waitFor(() => node.failures.length > 0, { timeoutMs: 2000, what: 'onFailed' });
    await nextTurn();
    expect(acksIn(a.take())).toEqual([]);
  });
});

describe('Room: across nodes', () => {
  it('SYNC-3: an update reaches the same room on another node, which relays it but does not persist or republish it', async () => {
    setUp();
    const node1 = createNode('n1');
    const node2 = createNode('n2');
    const room1 = await openRoom(node1);
    const room2 = await openRoom(node2);
    const a = connect(room1, 'a');
    const x = connect(room2, 'x');
    a.take();
    x.take();

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
    expect((await sharedStore.load(ROOM)).updates).toHaveLength(1);
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

describe('Room: persistence failure', () => {
  it('reports itself failed, once, when the store refuses its updates', async () => {
    const inner = createMemoryDocStore();
    setUp({
      ...inner,
      append: async () => {
        throw new Error('disk full');
      },
    });
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
