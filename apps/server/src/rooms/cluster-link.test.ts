import { writeAwarenessEntries } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Fanout, FanoutHandler, FanoutMessage } from '../fanout/fanout.js';
import { ClusterLink, type ClusterPresence, FROM_CLUSTER } from './cluster-link.js';
import { subscribeEarly } from './early-subscription.js';
import { logger, mapUpdate, ROOM } from './room.fixture.js';
import { RoomDocument } from './room-document.js';

/** A fan-out that records what is published and lets the test deliver messages by hand. */
function manualFanout() {
  const published: FanoutMessage[] = [];
  const handlers = new Set<FanoutHandler>();
  const fanout: Fanout = {
    publish: (_roomId, message) => published.push(message),
    subscribe(_roomId, handler) {
      handlers.add(handler);
      return { ready: Promise.resolve(), close: () => handlers.delete(handler) };
    },
    onResync: () => () => {},
    check: async () => {},
    close: async () => {},
  };
  const deliver = (message: FanoutMessage) => {
    for (const handler of handlers) handler(message);
  };
  return { fanout, published, deliver, handlers };
}

function presenceStub(local: Uint8Array | null = null) {
  const remote: Uint8Array[] = [];
  const presence: ClusterPresence = { applyRemote: (u) => remote.push(u), localUpdate: () => local };
  return { presence, remote };
}

/** The room's way with a remote update when its document is a Y.Doc: applied with the cluster origin. */
const applyTo = (doc: Y.Doc) => (update: Uint8Array) => Y.applyUpdate(doc, update, FROM_CLUSTER);

function linkOver(doc: Y.Doc, fanout: Fanout) {
  return new ClusterLink({ roomId: ROOM, document: RoomDocument.of(doc), applyRemote: applyTo(doc), fanout, logger });
}

describe('ClusterLink', () => {
  it("CLUSTER-2: applies another node's update with the cluster origin and remembers that remote content arrived", () => {
    const doc = new Y.Doc();
    const { fanout, deliver } = manualFanout();
    const link = linkOver(doc, fanout);
    link.start(presenceStub().presence);
    const origins: unknown[] = [];
    doc.on('update', (_u: Uint8Array, origin: unknown) => origins.push(origin));
    expect(link.hasRemoteContent).toBe(false);
    deliver({ kind: 'update', payload: mapUpdate('k', 'v') });
    expect(doc.getMap('m').get('k')).toBe('v');
    expect(origins).toEqual([FROM_CLUSTER]);
    expect(link.hasRemoteContent).toBe(true);
  });

  it('hands awareness from other nodes to presence', () => {
    const { fanout, deliver } = manualFanout();
    const link = linkOver(new Y.Doc(), fanout);
    const { presence, remote } = presenceStub();
    link.start(presence);
    const update = writeAwarenessEntries([{ clientId: 1, clock: 1, state: '{}' }]);
    deliver({ kind: 'awareness', payload: update });
    expect(remote).toEqual([update]);
  });

  it('CLUSTER-3: catching up asks for what this node lacks and re-announces local presence', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, mapUpdate('k', 'v'));
    const { fanout, published } = manualFanout();
    const link = linkOver(doc, fanout);
    const own = writeAwarenessEntries([{ clientId: 3, clock: 1, state: '{}' }]);
    link.start(presenceStub(own).presence);
    link.catchUp();
    expect(published).toEqual([
      { kind: 'sync-request', payload: Y.encodeStateVector(doc) },
      { kind: 'awareness', payload: own },
    ]);
  });

  it('CLUSTER-3: a sync request is answered with what the asker lacks, this state vector and local presence; a sync state only with what it lacks', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, mapUpdate('k', 'v'));
    const { fanout, published, deliver } = manualFanout();
    const link = linkOver(doc, fanout);
    link.start(presenceStub().presence);
    const empty = Y.encodeStateVector(new Y.Doc());
    deliver({ kind: 'sync-request', payload: empty });
    expect(published.map((m) => m.kind)).toEqual(['update', 'sync-state']);
    expect(published[1]?.payload).toEqual(Y.encodeStateVector(doc));
    published.length = 0;
    deliver({ kind: 'sync-state', payload: Y.encodeStateVector(doc) });
    expect(published).toEqual([]);
    deliver({ kind: 'sync-state', payload: empty });
    expect(published.map((m) => m.kind)).toEqual(['update']);
  });

  it('drops an undecodable message and keeps receiving', () => {
    const doc = new Y.Doc();
    const { fanout, deliver } = manualFanout();
    const link = linkOver(doc, fanout);
    link.start(presenceStub().presence);
    deliver({ kind: 'update', payload: new Uint8Array([0xff, 0xff, 0xff]) });
    deliver({ kind: 'update', payload: mapUpdate('k', 'v') });
    expect(doc.getMap('m').get('k')).toBe('v');
  });

  it('CLUSTER-3: replays what an early subscription held, and stops receiving once closed', () => {
    const doc = new Y.Doc();
    const { fanout, deliver, handlers } = manualFanout();
    const early = subscribeEarly(fanout, ROOM);
    deliver({ kind: 'update', payload: mapUpdate('early', '1') });
    const link = new ClusterLink({
      roomId: ROOM,
      document: RoomDocument.of(doc),
      applyRemote: applyTo(doc),
      fanout,
      logger,
      subscription: early,
    });
    link.start(presenceStub().presence);
    expect(doc.getMap('m').get('early')).toBe('1');
    link.close();
    expect(handlers.size).toBe(0);
    deliver({ kind: 'update', payload: mapUpdate('late', '2') });
    expect(doc.getMap('m').get('late')).toBeUndefined();
  });

  it('applies state read from the shared store with the cluster origin, in one transaction', () => {
    const doc = new Y.Doc();
    const { fanout } = manualFanout();
    const link = linkOver(doc, fanout);
    const origins: unknown[] = [];
    doc.on('afterTransaction', (tr: Y.Transaction) => origins.push(tr.origin));
    link.applyStored({ snapshot: mapUpdate('a', '1'), updates: [{ seq: 1, update: mapUpdate('b', '2') }] });
    expect(doc.getMap('m').toJSON()).toEqual({ a: '1', b: '2' });
    expect(origins).toEqual([FROM_CLUSTER]);
  });
});
