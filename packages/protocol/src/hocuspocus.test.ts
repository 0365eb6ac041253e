import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { createRng } from './frame-samples.fixture.js';
import {
  decodeHocuspocusFrame,
  documentNameOf,
  type HocuspocusDecodeResult,
  type HocuspocusFrame,
  HocuspocusMessageType,
  hocuspocusEncode,
} from './hocuspocus.js';

/** A message laid out as the provider writes it: the address, the type, then the body. */
function providerMessage(address: string, type: number, body: (e: encoding.Encoder) => void = () => {}): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, address);
  encoding.writeVarUint(encoder, type);
  body(encoder);
  return encoding.toUint8Array(encoder);
}

function frameOf(result: HocuspocusDecodeResult): HocuspocusFrame {
  if (!result.ok) throw new Error(`expected a message, got ${result.error.kind}: ${result.error.message}`);
  return result.frame;
}

describe('decodeHocuspocusFrame', () => {
  it('HP-1: sync, awareness and query-awareness carry the y-websocket frame after the address', () => {
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'x');
    const step1 = frameOf(
      decodeHocuspocusFrame(
        providerMessage('notes', HocuspocusMessageType.sync, (e) => syncProtocol.writeSyncStep1(e, doc)),
      ),
    );
    expect(step1.type).toBe('hocuspocus-document');
    if (step1.type !== 'hocuspocus-document') return;
    expect(step1.address).toBe('notes');
    expect(step1.frame.type).toBe('sync-step1');
    expect(step1.bytes[0]).toBe(0);
    const awareness = new awarenessProtocol.Awareness(doc);
    awareness.setLocalState({ user: 'ada' });
    const update = awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]);
    const aw = frameOf(
      decodeHocuspocusFrame(
        providerMessage('notes', HocuspocusMessageType.awareness, (e) => encoding.writeVarUint8Array(e, update)),
      ),
    );
    expect(aw).toMatchObject({ type: 'hocuspocus-document', frame: { type: 'awareness', update } });
    const query = frameOf(decodeHocuspocusFrame(providerMessage('notes', HocuspocusMessageType.queryAwareness)));
    expect(query).toMatchObject({ type: 'hocuspocus-document', frame: { type: 'query-awareness' } });
    awareness.destroy();
  });

  it('HP-1: a v4 session-aware address names its document before the separator', () => {
    const frame = frameOf(decodeHocuspocusFrame(providerMessage('doc-a\0s1', HocuspocusMessageType.close)));
    expect(frame).toEqual({ type: 'hocuspocus-close', address: 'doc-a\0s1' });
    expect(documentNameOf('doc-a\0s1')).toBe('doc-a');
    expect(documentNameOf('doc-a')).toBe('doc-a');
  });

  it('HP-2: the auth message carries a token, and (v4) the provider version', () => {
    const token = (version: string | null) =>
      providerMessage('d', HocuspocusMessageType.auth, (e) => {
        encoding.writeVarUint(e, 0);
        encoding.writeVarString(e, 'jwt');
        if (version !== null) encoding.writeVarString(e, version);
      });
    expect(frameOf(decodeHocuspocusFrame(token(null)))).toEqual({
      type: 'hocuspocus-auth',
      address: 'd',
      token: 'jwt',
      providerVersion: null,
    });
    expect(frameOf(decodeHocuspocusFrame(token('4.8.0')))).toMatchObject({ providerVersion: '4.8.0' });
  });

  it('HP-8: stateless carries its payload; HP-7: the bare pong is a connection-level message', () => {
    const stateless = providerMessage('d', HocuspocusMessageType.stateless, (e) =>
      encoding.writeVarString(e, '{"a":1}'),
    );
    expect(frameOf(decodeHocuspocusFrame(stateless))).toEqual({
      type: 'hocuspocus-stateless',
      address: 'd',
      payload: '{"a":1}',
    });
    expect(frameOf(decodeHocuspocusFrame(Uint8Array.of(10)))).toEqual({ type: 'hocuspocus-pong' });
  });

  it('HP-9: server-only types, server auth sub-types, trailing bytes and truncation are typed errors', () => {
    for (const type of [4, 6, 8, 9]) {
      const result = decodeHocuspocusFrame(providerMessage('d', type));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatchObject({ kind: 'unknown-type', messageType: type });
    }
    const serverAuth = decodeHocuspocusFrame(
      providerMessage('d', 2, (e) => {
        encoding.writeVarUint(e, 2);
        encoding.writeVarString(e, 'read-write');
      }),
    );
    expect(serverAuth.ok ? null : serverAuth.error.kind).toBe('unknown-subtype');
    const trailing = decodeHocuspocusFrame(providerMessage('d', 7, (e) => encoding.writeVarUint(e, 1)));
    expect(trailing.ok ? null : trailing.error.kind).toBe('trailing-bytes');
    expect(decodeHocuspocusFrame(new Uint8Array(0)).ok).toBe(false);
    const full = providerMessage('document', HocuspocusMessageType.stateless, (e) => encoding.writeVarString(e, 'hi'));
    for (let end = 1; end < full.byteLength; end++) {
      const result = decodeHocuspocusFrame(full.subarray(0, end));
      if (end === 1 && full[0] === 10) continue;
      expect(result.ok ? null : result.error.kind).toBe('truncated');
    }
  });

  it('HP-9: never throws on random bytes', () => {
    const rng = createRng(16);
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from({ length: rng.int(0, 24) }, () => rng.int(0, 255));
      expect(() => decodeHocuspocusFrame(bytes)).not.toThrow();
    }
  });
});

describe('hocuspocusEncode', () => {
  const read = (bytes: Uint8Array) => decoding.createDecoder(bytes);

  it('HP-2: authenticated, permission denied and the token request are auth sub-types 2, 1 and 0', () => {
    const authenticated = read(hocuspocusEncode.addressed('d', hocuspocusEncode.authenticated('readonly')));
    expect([decoding.readVarString(authenticated), decoding.readVarUint(authenticated)]).toEqual(['d', 2]);
    expect([decoding.readVarUint(authenticated), decoding.readVarString(authenticated)]).toEqual([2, 'readonly']);
    const denied = read(hocuspocusEncode.permissionDenied('no'));
    expect([decoding.readVarUint(denied), decoding.readVarUint(denied), decoding.readVarString(denied)]).toEqual([
      2,
      1,
      'no',
    ]);
    expect([...hocuspocusEncode.tokenRequest()]).toEqual([2, 0]);
  });

  it('HP-4/HP-7: sync status, stateless, close and the bare ping', () => {
    expect([...hocuspocusEncode.syncStatus(true)]).toEqual([8, 1]);
    expect([...hocuspocusEncode.syncStatus(false)]).toEqual([8, 0]);
    const stateless = read(hocuspocusEncode.stateless('p'));
    expect([decoding.readVarUint(stateless), decoding.readVarString(stateless)]).toEqual([5, 'p']);
    const close = read(hocuspocusEncode.close('bye'));
    expect([decoding.readVarUint(close), decoding.readVarString(close)]).toEqual([7, 'bye']);
    expect([...hocuspocusEncode.ping()]).toEqual([9]);
  });
});
