import { describe, expect, it } from 'vitest';
import { decodeFrame } from './decode.js';
import { encode, encodeFrame } from './encode.js';
import { ALL_FRAME_TYPES, describeFrame, EDGE_UINTS, framesEqual, sampleFrames } from './frame-samples.fixture.js';
import type { Frame } from './frames.js';
import { MessageType } from './message-types.js';

const samples = sampleFrames();

function roundTrip(frame: Frame): Frame {
  const result = decodeFrame(encodeFrame(frame));
  if (!result.ok) throw new Error(`decode failed: ${result.error.kind}: ${result.error.message}`);
  return result.frame;
}

describe('round-trip: encode → decode gives the same frame', () => {
  it('FRAME-1: the samples cover every frame type', () => {
    const covered = new Set(samples.map((frame) => frame.type));
    expect([...covered].sort()).toEqual(Object.keys(ALL_FRAME_TYPES).sort());
  });

  it.each(samples.map((frame) => [describeFrame(frame), frame] as const))('FRAME-1: round-trips %s', (_name, frame) => {
    const decoded = roundTrip(frame);
    // framesEqual is exact and fast on large payloads; toEqual gives a readable diff for small ones.
    expect(framesEqual(decoded, frame)).toBe(true);
    if (encodeFrame(frame).byteLength < 1_000) expect(decoded).toEqual(frame);
  });

  it('FRAME-1: a frame decodes to a value that re-encodes to the same bytes', () => {
    for (const frame of samples) {
      const bytes = encodeFrame(frame);
      expect(Buffer.compare(encodeFrame(roundTrip(frame)), bytes), describeFrame(frame)).toBe(0);
    }
  });
});

describe('wire bytes', () => {
  it('FRAME-1: every frame starts with the varUint message type of its kind', () => {
    const expected: Record<Frame['type'], number> = {
      'sync-step1': MessageType.sync,
      'sync-step2': MessageType.sync,
      'sync-update': MessageType.sync,
      awareness: MessageType.awareness,
      'auth-permission-denied': MessageType.auth,
      'query-awareness': MessageType.queryAwareness,
      ack: MessageType.ack,
      ping: MessageType.ping,
      pong: MessageType.pong,
      notice: MessageType.notice,
      doc: MessageType.doc,
      open: MessageType.open,
      'close-doc': MessageType.closeDoc,
      'auth-token': MessageType.authToken,
    };
    for (const frame of samples) expect(encodeFrame(frame)[0]).toBe(expected[frame.type]);
  });

  it('FRAME-1: message type numbers are 0-3 (y-websocket) and 64-71 (tandem.v1)', () => {
    expect(MessageType).toEqual({
      sync: 0,
      awareness: 1,
      auth: 2,
      queryAwareness: 3,
      ack: 64,
      ping: 65,
      pong: 66,
      notice: 67,
      doc: 68,
      open: 69,
      closeDoc: 70,
      authToken: 71,
    });
  });

  // The same examples appear in PROTOCOL.md.
  it.each([
    ['sync step1', encode.syncStep1(Uint8Array.of(1, 2)), [0, 0, 2, 1, 2]],
    ['sync step2 (empty)', encode.syncStep2(new Uint8Array(0)), [0, 1, 0]],
    ['sync update', encode.syncUpdate(Uint8Array.of(9)), [0, 2, 1, 9]],
    ['awareness', encode.awareness(Uint8Array.of(7, 7)), [1, 2, 7, 7]],
    ['auth permission denied', encode.authPermissionDenied('no'), [2, 0, 2, 0x6e, 0x6f]],
    ['query awareness', encode.queryAwareness(), [3]],
    ['ack 300', encode.ack(300), [64, 0xac, 0x02]],
    ['ping 0', encode.ping(0), [65, 0]],
    ['pong 128', encode.pong(128), [66, 0x80, 0x01]],
    ['notice 4403 "é"', encode.notice(4403, 'é'), [67, 0xb3, 0x22, 2, 0xc3, 0xa9]],
  ] as const)('FRAME-1: %s has the documented bytes', (_name, bytes, expected) => {
    expect([...bytes]).toEqual(expected);
  });

  it('FRAME-1: the encode.* shorthands match encodeFrame', () => {
    const payload = Uint8Array.of(1, 2, 3);
    expect(encode.syncStep1(payload)).toEqual(encodeFrame({ type: 'sync-step1', stateVector: payload }));
    expect(encode.syncStep2(payload)).toEqual(encodeFrame({ type: 'sync-step2', update: payload }));
    expect(encode.syncUpdate(payload)).toEqual(encodeFrame({ type: 'sync-update', update: payload }));
    expect(encode.awareness(payload)).toEqual(encodeFrame({ type: 'awareness', update: payload }));
    expect(encode.authPermissionDenied('r')).toEqual(encodeFrame({ type: 'auth-permission-denied', reason: 'r' }));
    expect(encode.queryAwareness()).toEqual(encodeFrame({ type: 'query-awareness' }));
    expect(encode.ack(5)).toEqual(encodeFrame({ type: 'ack', through: 5 }));
    expect(encode.ping(6)).toEqual(encodeFrame({ type: 'ping', id: 6 }));
    expect(encode.pong(7)).toEqual(encodeFrame({ type: 'pong', id: 7 }));
    expect(encode.notice(8, 'm')).toEqual(encodeFrame({ type: 'notice', code: 8, message: 'm' }));
  });
});

describe('integers', () => {
  it('FRAME-7: varUints use the minimal number of bytes (7 bits per byte)', () => {
    for (const n of EDGE_UINTS) {
      const bits = n.toString(2).length;
      const expectedLength = 1 + Math.ceil(bits / 7);
      expect(encode.ping(n).byteLength, `ping ${n}`).toBe(expectedLength);
    }
    expect(encode.ping(Number.MAX_SAFE_INTEGER).byteLength).toBe(1 + 8);
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['above MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER + 1],
    ['2^64', 2 ** 64],
  ])('FRAME-7: the encoder refuses a %s integer field instead of writing wrong bytes', (_name, n) => {
    expect(() => encode.ack(n)).toThrow(RangeError);
    expect(() => encode.ping(n)).toThrow(RangeError);
    expect(() => encode.pong(n)).toThrow(RangeError);
    expect(() => encode.notice(n, 'x')).toThrow(RangeError);
  });
});

describe('strings', () => {
  it('FRAME-8: a leading byte-order mark is kept as part of the string', () => {
    expect(roundTrip({ type: 'notice', code: 1, message: '\uFEFF' })).toEqual({
      type: 'notice',
      code: 1,
      message: '\uFEFF',
    });
    expect(roundTrip({ type: 'auth-permission-denied', reason: '\uFEFFx' })).toEqual({
      type: 'auth-permission-denied',
      reason: '\uFEFFx',
    });
  });

  it('FRAME-8: a lone surrogate is encoded as U+FFFD, like lib0', () => {
    expect(roundTrip({ type: 'notice', code: 1, message: 'a\uD800b' })).toEqual({
      type: 'notice',
      code: 1,
      message: 'a\uFFFDb',
    });
  });

  it('FRAME-8: string length prefixes count UTF-8 bytes, not UTF-16 code units', () => {
    // '🎉' is 2 UTF-16 code units and 4 UTF-8 bytes.
    expect([...encode.notice(0, '🎉')]).toEqual([67, 0, 4, 0xf0, 0x9f, 0x8e, 0x89]);
  });
});
