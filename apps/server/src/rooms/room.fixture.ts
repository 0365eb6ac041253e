/**
 * Shared by the Room test files: one cluster of nodes over an in-memory fan-out bus and one store,
 * and members over in-memory sockets that record what the room sent them.
 */
import {
  type AwarenessEntry,
  decodeFrame,
  type Frame,
  readAwarenessEntries,
  TANDEM_SUBPROTOCOL,
  writeAwarenessEntries,
} from '@tandem/protocol';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import * as Y from 'yjs';
import type { ConnectionSocket as SessionSocket } from '../connection/connection.js';
import { createSession, type Session, type SessionProtocol } from '../connection/session.js';
import type { Fanout, FanoutMessage } from '../fanout/fanout.js';
import { createMemoryFanoutBus, type MemoryFanoutBus } from '../fanout/memory-fanout.js';
import type { DocumentId, Identity, SessionId } from '../identity.js';
import type { AppendEntry, DocStore } from '../storage/doc-store.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';
import { mergedOf } from '../storage/snapshot.js';
import { type Compactor, createCompactor, storedLogOf } from './compactor.js';
import type { RoomMember } from './member.js';
import { createPersistenceScheduler, type PersistenceScheduler } from './persistence-scheduler.js';
import { Room } from './room.js';
import { RoomDocument } from './room-document.js';
import type { WritePolicy } from './write-policy.js';

export const logger = pino({ level: 'silent' });
export const ROOM = 'notes';

/** Waits for one event-loop turn: the room flushes its coalesced updates in a setImmediate. */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One server node: its own scheduler and fan-out connection, over a store shared by the cluster. */
export interface TestNode {
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
export interface TestClient {
  readonly session: Session;
  readonly closes: { code: number; reason: string }[];
  /** Decoded frames sent since the last `take()`. */
  take(): Frame[];
  /** How many frames each socket write carried since the last call (frames sent while corked share one). */
  writes(): number[];
}

/** A test file's cluster: `setUp` before each test; rooms and fan-outs are closed after each. */
export interface RoomKit {
  /** Starts a fresh cluster over `store` (default: an empty memory store). */
  setUp(store?: DocStore): void;
  /** The store the cluster shares. */
  readonly sharedStore: DocStore;
  createNode(nodeId: string, store?: DocStore): TestNode;
  openRoom(node: TestNode, id?: string, writePolicy?: WritePolicy, awarenessTimeoutMs?: number): Promise<Room>;
  /** A fresh cluster with one node and its room, joined by members `a` and `b` whose join frames are taken. */
  openPair(): Promise<{ node: TestNode; room: Room; a: TestClient; b: TestClient }>;
}

/** Creates a test file's cluster and registers its clean-up (call once, at the top of the file). */
export function roomKit(): RoomKit {
  let bus: MemoryFanoutBus = createMemoryFanoutBus();
  let sharedStore: DocStore = createMemoryDocStore();
  const rooms: Room[] = [];
  const fanouts: Fanout[] = [];

  afterEach(async () => {
    for (const room of rooms.splice(0)) room.destroy();
    for (const fanout of fanouts.splice(0)) await fanout.close();
  });

  return {
    setUp(store = createMemoryDocStore()) {
      bus = createMemoryFanoutBus();
      sharedStore = store;
    },
    get sharedStore() {
      return sharedStore;
    },
    createNode(nodeId, store = sharedStore) {
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
    },
    async openRoom(node, id = ROOM, writePolicy, awarenessTimeoutMs) {
      const stored = await sharedStore.load(id);
      node.compactor.track(id, storedLogOf(stored));
      // As the loader makes it: the stored document merged, kept as bytes until a Y.Doc is needed.
      const room = new Room(id, RoomDocument.fromMerged(id, mergedOf(stored, id)), {
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
    },
    async openPair() {
      this.setUp();
      const node = this.createNode('n1');
      const room = await this.openRoom(node);
      const a = connect(room, 'a');
      const b = connect(room, 'b');
      a.take();
      b.take();
      return { node, room, a, b };
    },
  };
}

/** A memory store that refuses every append (a full disk). */
export function refusingStore(): DocStore {
  return {
    ...createMemoryDocStore(),
    append: async () => {
      throw new Error('disk full');
    },
  };
}

export function connect(room: Room, id: string, protocol: SessionProtocol = 'plain'): TestClient {
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
  const session = createSession({
    id: id as SessionId,
    roomId: room.id as DocumentId,
    protocol,
    socket,
    logger,
    maxBufferedBytes: 64 * 1024 * 1024,
    slowCloseGraceMs: 1000,
    stream: {
      // Nothing is read from a fixture's peer: only pongs (markAlive) answer its pings.
      bytesRead: 0,
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
export function mapUpdate(key: string, value: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap('m').set(key, value);
  const update = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return update;
}

/** The map "m" after applying `updates` to an empty document. */
export function mapAfter(...updates: Uint8Array[]): Record<string, unknown> {
  const doc = new Y.Doc();
  for (const update of updates) Y.applyUpdate(doc, update);
  const json = doc.getMap('m').toJSON();
  doc.destroy();
  return json;
}

/** The updates of the sync-update frames among `frames`. */
export function updatesIn(frames: Frame[]): Uint8Array[] {
  return frames.flatMap((f) => (f.type === 'sync-update' ? [f.update] : []));
}

/** The entries of each awareness frame among `frames`. */
export function awarenessIn(frames: Frame[]): AwarenessEntry[][] {
  return frames.flatMap((f) => (f.type === 'awareness' ? [readAwarenessEntries(f.update)] : []));
}

/** An awareness update with one entry. */
export const presence = (clientId: number, clock: number, state: unknown): Uint8Array =>
  writeAwarenessEntries([{ clientId, clock, state: JSON.stringify(state) }]);

/** Authenticates a test session as `userId` (distinct users cannot take over each other's client ids, YJS-5). */
export function signIn(client: TestClient, userId: string): TestClient {
  client.session.identity = { userId, name: userId, color: '#123456', rules: [], expiresAt: Number.MAX_SAFE_INTEGER };
  return client;
}

/** A presence state as the room stores it for a session signed in as `userId` (AUTH-7 rewrites `user`). */
export const signedState = (state: Record<string, unknown>, userId: string) =>
  JSON.stringify({ ...state, user: { id: userId, name: userId, color: '#123456' } });

/** A {@link RoomMember} without a transport, recording what it was sent (for the policy objects' unit tests). */
export interface FakeMember extends RoomMember {
  identity: Identity | null;
  canWrite: boolean;
  /** Every write: the frames of one `send` or `sendAll` call, decoded. */
  readonly writes: Frame[][];
  /** Extension frames it was sent (tandem.v1 only). */
  readonly extensions: Frame[];
  readonly closes: { code: number; reason: string }[];
  readonly acks: number[];
}

/** A member named `id`; `tandem` members take extension frames. */
export function fakeMember(id: string, options: { tandem?: boolean; identity?: Identity | null } = {}): FakeMember {
  const decoded = (bytes: Uint8Array): Frame => {
    const result = decodeFrame(bytes);
    if (!result.ok) throw new Error(`sent an undecodable frame: ${result.error.message}`);
    return result.frame;
  };
  let frames = 0;
  const member: FakeMember = {
    id,
    roomId: ROOM,
    protocol: options.tandem === true ? TANDEM_SUBPROTOCOL : 'plain',
    identity: options.identity ?? null,
    canWrite: true,
    isTandem: options.tandem === true,
    acknowledges: options.tandem === true,
    get isOpen() {
      return member.closes.length === 0;
    },
    bufferedAmount: 0,
    closed: Promise.resolve(),
    log: logger,
    writes: [],
    extensions: [],
    closes: [],
    acks: [],
    send(bytes) {
      if (!member.isOpen) return false;
      member.writes.push([decoded(bytes)]);
      return true;
    },
    sendAll(list) {
      if (member.isOpen && list.length > 0) member.writes.push(list.map(decoded));
    },
    sendExtension(frame) {
      if (!member.isTandem || !member.isOpen) return false;
      member.extensions.push(frame);
      return true;
    },
    close(code, reason) {
      if (member.isOpen) member.closes.push({ code, reason });
    },
    terminate() {},
    nextUpdateFrame: () => ++frames,
    acknowledge(n) {
      member.acks.push(n);
    },
    markAlive() {},
    grant(access) {
      member.identity = access.identity;
      member.canWrite = access.canWrite;
    },
  };
  return member;
}
