// Byte compatibility with the reference implementation: y-protocols framed the way y-websocket frames it.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import * as authProtocol from 'y-protocols/auth';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { type DecodeResult, decodeFrame } from './decode.js';
import { encode } from './encode.js';
import type { Frame } from './frames.js';
import { MessageType } from './message-types.js';

/** Builds a frame the way y-websocket does: message type, then the y-protocols body. */
function yWebsocketFrame(messageType: number, writeBody: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageType);
  writeBody(encoder);
  return encoding.toUint8Array(encoder);
}

function frameOf(result: DecodeResult): Frame {
  if (!result.ok) throw new Error(`expected a frame, got ${result.error.kind}: ${result.error.message}`);
  return result.frame;
}

const opened: Array<{ destroy(): void }> = [];

/** A Y.Doc with a fixed client ID (Yjs picks a random one) so bytes are reproducible. */
function createDoc(clientID: number, text = ''): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  opened.push(doc);
  if (text) doc.getText('t').insert(0, text);
  return doc;
}

function createAwareness(doc: Y.Doc): awarenessProtocol.Awareness {
  const awareness = new awarenessProtocol.Awareness(doc);
  opened.push(awareness); // destroy() clears its outdated-state interval
  return awareness;
}

afterEach(() => {
  for (const item of opened.splice(0).reverse()) item.destroy();
});

// Long enough that lengths need multi-byte varUints; includes non-ASCII content.
const LONG_TEXT = `${'Tandem ✍️ '.repeat(40)}日本語`;

describe('y-protocols/sync', () => {
  it('FRAME-6: writeSyncStep1 decodes to sync-step1 with the state vector, and our bytes match', () => {
    const doc = createDoc(1, LONG_TEXT);
    const theirs = yWebsocketFrame(MessageType.sync, (e) => syncProtocol.writeSyncStep1(e, doc));
    const stateVector = Y.encodeStateVector(doc);
    expect(frameOf(decodeFrame(theirs))).toEqual({ type: 'sync-step1', stateVector });
    expect(encode.syncStep1(stateVector)).toEqual(theirs);
  });

  it('FRAME-6: writeSyncStep1 of an empty doc round-trips', () => {
    const doc = createDoc(2);
    const theirs = yWebsocketFrame(MessageType.sync, (e) => syncProtocol.writeSyncStep1(e, doc));
    expect(frameOf(decodeFrame(theirs))).toEqual({ type: 'sync-step1', stateVector: Y.encodeStateVector(doc) });
    expect(encode.syncStep1(Y.encodeStateVector(doc))).toEqual(theirs);
  });

  it('FRAME-6: writeSyncStep2 decodes to sync-step2 with the missing update, and our bytes match', () => {
    const server = createDoc(1, LONG_TEXT);
    const client = createDoc(2);
    const clientStateVector = Y.encodeStateVector(client);
    const theirs = yWebsocketFrame(MessageType.sync, (e) => syncProtocol.writeSyncStep2(e, server, clientStateVector));
    const frame = frameOf(decodeFrame(theirs));
    if (frame.type !== 'sync-step2') throw new Error(`expected sync-step2, got ${frame.type}`);
    Y.applyUpdate(client, frame.update);
    expect(client.getText('t').toString()).toBe(LONG_TEXT);
    expect(encode.syncStep2(Y.encodeStateAsUpdate(server, clientStateVector))).toEqual(theirs);
  });

  it('FRAME-6: writeUpdate decodes to sync-update, and our bytes match', () => {
    const doc = createDoc(3);
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    doc.getText('t').insert(0, LONG_TEXT);
    doc.getMap('m').set('ключ', { nested: [1, 2, 3] });
    expect(updates.length).toBe(2);
    const mirror = createDoc(4);
    for (const update of updates) {
      const theirs = yWebsocketFrame(MessageType.sync, (e) => syncProtocol.writeUpdate(e, update));
      const frame = frameOf(decodeFrame(theirs));
      expect(frame).toEqual({ type: 'sync-update', update });
      expect(encode.syncUpdate(update)).toEqual(theirs);
      if (frame.type === 'sync-update') Y.applyUpdate(mirror, frame.update);
    }
    expect(mirror.getText('t').toString()).toBe(LONG_TEXT);
    expect(mirror.getMap('m').get('ключ')).toEqual({ nested: [1, 2, 3] });
  });

  it('FRAME-6: y-protocols readSyncMessage accepts our step1 and answers with a step2 we decode', () => {
    const server = createDoc(1, LONG_TEXT);
    const client = createDoc(2);
    const ours = encode.syncStep1(Y.encodeStateVector(client));
    const decoder = decoding.createDecoder(ours);
    expect(decoding.readVarUint(decoder)).toBe(MessageType.sync);
    const reply = encoding.createEncoder();
    encoding.writeVarUint(reply, MessageType.sync);
    expect(syncProtocol.readSyncMessage(decoder, reply, server, null)).toBe(syncProtocol.messageYjsSyncStep1);
    const answer = frameOf(decodeFrame(encoding.toUint8Array(reply)));
    if (answer.type !== 'sync-step2') throw new Error(`expected sync-step2, got ${answer.type}`);
    Y.applyUpdate(client, answer.update);
    expect(client.getText('t').toString()).toBe(LONG_TEXT);
  });

  it('FRAME-6: y-protocols readSyncMessage applies our step2 and update frames', () => {
    const source = createDoc(1, LONG_TEXT);
    const target = createDoc(2);
    for (const ours of [
      encode.syncStep2(Y.encodeStateAsUpdate(source)),
      encode.syncUpdate(Y.encodeStateAsUpdate(source)),
    ]) {
      const decoder = decoding.createDecoder(ours);
      expect(decoding.readVarUint(decoder)).toBe(MessageType.sync);
      syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), target, null);
      expect(decoding.hasContent(decoder)).toBe(false);
    }
    expect(target.getText('t').toString()).toBe(LONG_TEXT);
  });
});

describe('y-protocols/awareness', () => {
  it('FRAME-6: encodeAwarenessUpdate decodes to awareness, and our bytes match', () => {
    const doc = createDoc(7);
    const awareness = createAwareness(doc);
    awareness.setLocalState({ user: { name: 'Ada Lovelace 🎉', color: '#30bced' }, cursor: { index: 12 } });
    const update = awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]);
    const theirs = yWebsocketFrame(MessageType.awareness, (e) => encoding.writeVarUint8Array(e, update));
    const frame = frameOf(decodeFrame(theirs));
    expect(frame).toEqual({ type: 'awareness', update });
    expect(encode.awareness(update)).toEqual(theirs);

    const remote = createAwareness(createDoc(8));
    if (frame.type === 'awareness') awarenessProtocol.applyAwarenessUpdate(remote, frame.update, 'test');
    expect(remote.getStates().get(7)).toEqual({
      user: { name: 'Ada Lovelace 🎉', color: '#30bced' },
      cursor: { index: 12 },
    });
  });

  it('FRAME-6: an awareness removal (null state) round-trips byte for byte', () => {
    const doc = createDoc(9);
    const awareness = createAwareness(doc);
    awareness.setLocalState({ user: 'x' });
    awareness.setLocalState(null);
    const update = awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]);
    const theirs = yWebsocketFrame(MessageType.awareness, (e) => encoding.writeVarUint8Array(e, update));
    expect(frameOf(decodeFrame(theirs))).toEqual({ type: 'awareness', update });
    expect(encode.awareness(update)).toEqual(theirs);
  });

  it('FRAME-6: an awareness update with many clients (multi-byte length) matches', () => {
    const hub = createAwareness(createDoc(10));
    const clientIds: number[] = [];
    for (let id = 100; id < 140; id++) {
      const peer = createAwareness(createDoc(id));
      peer.setLocalState({ user: { name: `user ${id}` } });
      awarenessProtocol.applyAwarenessUpdate(hub, awarenessProtocol.encodeAwarenessUpdate(peer, [id]), 'peer');
      clientIds.push(id);
    }
    const update = awarenessProtocol.encodeAwarenessUpdate(hub, clientIds);
    expect(update.byteLength).toBeGreaterThan(127);
    const theirs = yWebsocketFrame(MessageType.awareness, (e) => encoding.writeVarUint8Array(e, update));
    expect(frameOf(decodeFrame(theirs))).toEqual({ type: 'awareness', update });
    expect(encode.awareness(update)).toEqual(theirs);
  });
});

describe('y-protocols/auth', () => {
  it.each(['', 'permission denied', 'accès refusé 🔒', '\uFEFFbom', 'r'.repeat(300)])(
    'FRAME-6: writePermissionDenied(%j) decodes to auth-permission-denied, and our bytes match',
    (reason) => {
      const theirs = yWebsocketFrame(MessageType.auth, (e) => authProtocol.writePermissionDenied(e, reason));
      expect(frameOf(decodeFrame(theirs))).toEqual({ type: 'auth-permission-denied', reason });
      expect(encode.authPermissionDenied(reason)).toEqual(theirs);

      // And y-protocols reads ours back.
      const decoder = decoding.createDecoder(encode.authPermissionDenied(reason));
      expect(decoding.readVarUint(decoder)).toBe(MessageType.auth);
      const reasons: string[] = [];
      authProtocol.readAuthMessage(decoder, createDoc(1), (_doc, got) => reasons.push(got));
      expect(reasons).toEqual([reason]);
    },
  );

  it('FRAME-6: a lone surrogate in a reason is written exactly as lib0 writes it', () => {
    const reason = 'bad \uD83D reason';
    const theirs = yWebsocketFrame(MessageType.auth, (e) => authProtocol.writePermissionDenied(e, reason));
    expect(encode.authPermissionDenied(reason)).toEqual(theirs);
  });
});

describe('y-websocket query-awareness', () => {
  it('FRAME-6: the messageQueryAwareness frame [3] decodes to query-awareness, and our bytes match', () => {
    const theirs = yWebsocketFrame(3, () => {});
    expect([...theirs]).toEqual([3]);
    expect(frameOf(decodeFrame(theirs))).toEqual({ type: 'query-awareness' });
    expect(encode.queryAwareness()).toEqual(theirs);
  });
});
