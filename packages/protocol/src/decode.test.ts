import { describe, expect, it } from 'vitest';
import { DECODE_ERROR_KINDS, type DecodeError, type DecodeResult, decodeFrame } from './decode.js';
import { encode, encodeFrame } from './encode.js';
import { describeFrame, sampleFrames } from './frame-samples.fixture.js';
import type { Frame } from './frames.js';

function errorOf(result: DecodeResult): DecodeError {
  if (result.ok) throw new Error(`expected an error, decoded ${describeFrame(result.frame)}`);
  return result.error;
}

function frameOf(result: DecodeResult): Frame {
  if (!result.ok) throw new Error(`expected a frame, got ${result.error.kind}: ${result.error.message}`);
  return result.frame;
}

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('error kinds', () => {
  it('FRAME-2: the documented error kinds', () => {
    expect(DECODE_ERROR_KINDS).toEqual([
      'empty',
      'truncated',
      'unknown-type',
      'unknown-subtype',
      'trailing-bytes',
      'out-of-range',
      'invalid-utf8',
    ]);
  });

  it('FRAME-1: an empty input has no message type', () => {
    const error = errorOf(decodeFrame(new Uint8Array(0)));
    expect(error.kind).toBe('empty');
    expect(error.messageType).toBeUndefined();
  });

  it('FRAME-2: errors carry a human-readable message', () => {
    for (const input of [bytes(), bytes(0), bytes(99), bytes(3, 3)]) {
      expect(errorOf(decodeFrame(input)).message.length).toBeGreaterThan(0);
    }
  });
});

describe('truncated frames', () => {
  it.each([
    ['sync without sub-type', bytes(0), 0],
    ['sync step1 without length', bytes(0, 0), 0],
    ['sync step2 with a short payload', bytes(0, 1, 5, 1, 2), 0],
    ['sync update with a cut length varUint', bytes(0, 2, 0x80), 0],
    ['awareness without length', bytes(1), 1],
    ['auth without sub-type', bytes(2), 2],
    ['auth without reason', bytes(2, 0), 2],
    ['auth with a short reason', bytes(2, 0, 3, 0x61), 2],
    ['ack without number', bytes(64), 64],
    ['ping with a cut varUint', bytes(65, 0xff, 0xff), 65],
    ['pong without id', bytes(66), 66],
    ['notice without code', bytes(67), 67],
    ['notice without message', bytes(67, 1), 67],
    ['notice with a short message', bytes(67, 1, 2, 0x61), 67],
  ])('FRAME-3: %s → truncated', (_name, input, messageType) => {
    const error = errorOf(decodeFrame(input));
    expect(error.kind).toBe('truncated');
    expect(error.messageType).toBe(messageType);
  });

  it('FRAME-3: a message type cut inside its varUint is truncated, without a message type', () => {
    const error = errorOf(decodeFrame(bytes(0x80)));
    expect(error.kind).toBe('truncated');
    expect(error.messageType).toBeUndefined();
  });

  it('FRAME-3: a length far beyond the input is truncated, not allocated', () => {
    // Claims 2^53 - 1 bytes.
    const error = errorOf(decodeFrame(bytes(0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 1)));
    expect(error.kind).toBe('truncated');
  });
});

describe('trailing bytes', () => {
  it('FRAME-4: one extra byte after any complete frame is an error', () => {
    for (const frame of sampleFrames()) {
      const encoded = encodeFrame(frame);
      const padded = new Uint8Array(encoded.byteLength + 1);
      padded.set(encoded);
      const error = errorOf(decodeFrame(padded));
      expect(error.kind, describeFrame(frame)).toBe('trailing-bytes');
      expect(error.messageType).toBe(encoded[0]);
    }
  });

  it('FRAME-4: query-awareness is exactly one byte', () => {
    expect(frameOf(decodeFrame(bytes(3)))).toEqual({ type: 'query-awareness' });
    expect(errorOf(decodeFrame(bytes(3, 0))).kind).toBe('trailing-bytes');
  });

  it('FRAME-4: two frames concatenated are not one frame', () => {
    const two = new Uint8Array([...encode.ping(1), ...encode.ping(2)]);
    expect(errorOf(decodeFrame(two)).kind).toBe('trailing-bytes');
  });
});

describe('unknown types', () => {
  it.each([4, 5, 63, 72, 100, 127, 128, 300, 2 ** 31])('FRAME-5: message type %i is unknown', (type) => {
    const encoded = encode.ping(type); // [65, varUint(type)]: reuse the varUint, drop the ping byte
    const error = errorOf(decodeFrame(encoded.subarray(1)));
    expect(error.kind).toBe('unknown-type');
    expect(error.messageType).toBe(type);
  });

  it.each([
    ['sync sub-type 3', bytes(0, 3, 0), 0],
    ['sync sub-type 3 with nothing after it', bytes(0, 3), 0],
    ['sync sub-type 5 with nothing after it', bytes(0, 5), 0],
    ['sync sub-type 128', bytes(0, 0x80, 0x01, 0), 0],
    ['auth sub-type 1', bytes(2, 1, 0), 2],
    ['auth sub-type 1 with nothing after it', bytes(2, 1), 2],
  ])('FRAME-5: %s → unknown-subtype', (_name, input, messageType) => {
    const error = errorOf(decodeFrame(input));
    expect(error.kind).toBe('unknown-subtype');
    expect(error.messageType).toBe(messageType);
  });
});

describe('integers', () => {
  const maxSafe = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]; // 2^53 - 1
  const twoTo53 = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10];

  it('FRAME-7: 2^53 - 1 decodes; 2^53 is out of range', () => {
    expect(frameOf(decodeFrame(bytes(65, ...maxSafe)))).toEqual({ type: 'ping', id: Number.MAX_SAFE_INTEGER });
    const error = errorOf(decodeFrame(bytes(65, ...twoTo53)));
    expect(error.kind).toBe('out-of-range');
    expect(error.messageType).toBe(65);
  });

  it('FRAME-7: a 10-byte varUint is out of range, not truncated', () => {
    const error = errorOf(decodeFrame(bytes(64, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)));
    expect(error.kind).toBe('out-of-range');
  });

  it('FRAME-7: an out-of-range message type has no message type in the error', () => {
    const error = errorOf(decodeFrame(bytes(...twoTo53)));
    expect(error.kind).toBe('out-of-range');
    expect(error.messageType).toBeUndefined();
  });

  it('FRAME-7: out-of-range lengths and sub-types are reported as such', () => {
    expect(errorOf(decodeFrame(bytes(0, 0, ...twoTo53))).kind).toBe('out-of-range');
    expect(errorOf(decodeFrame(bytes(0, ...twoTo53, 0))).kind).toBe('out-of-range');
    expect(errorOf(decodeFrame(bytes(67, 1, ...twoTo53))).kind).toBe('out-of-range');
  });

  it('FRAME-7: non-minimal varUints decode as lib0 reads them; re-encoding is minimal', () => {
    expect(frameOf(decodeFrame(bytes(65, 0x81, 0x00)))).toEqual({ type: 'ping', id: 1 });
    expect(frameOf(decodeFrame(bytes(0x80, 0x00, 0x80, 0x00, 0x80, 0x00)))).toEqual({
      type: 'sync-step1',
      stateVector: new Uint8Array(0),
    });
    // Long zero padding must not turn into NaN.
    const padded = bytes(66, ...new Array<number>(200).fill(0x80), 0x00);
    const frame = frameOf(decodeFrame(padded));
    expect(frame).toEqual({ type: 'pong', id: 0 });
    expect([...encodeFrame(frame)]).toEqual([66, 0]);
  });

  it('FRAME-7: a non-zero group past 2^53 is out of range, even after zero padding', () => {
    const error = errorOf(decodeFrame(bytes(66, ...new Array<number>(200).fill(0x80), 0x01)));
    expect(error.kind).toBe('out-of-range');
  });
});

describe('strings', () => {
  it.each([
    ['a lone continuation byte', [0x80]],
    ['an invalid byte', [0xff]],
    ['an overlong encoding of NUL', [0xc0, 0x80]],
    ['an encoded UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['a sequence cut short', [0xe6, 0x97]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ])('FRAME-8: %s → invalid-utf8', (_name, utf8) => {
    const notice = errorOf(decodeFrame(bytes(67, 1, utf8.length, ...utf8)));
    expect(notice.kind).toBe('invalid-utf8');
    expect(notice.messageType).toBe(67);
    const auth = errorOf(decodeFrame(bytes(2, 0, utf8.length, ...utf8)));
    expect(auth.kind).toBe('invalid-utf8');
  });
});

describe('input views', () => {
  it('FRAME-9: decodes a view with a non-zero byteOffset (e.g. a pooled Node Buffer)', () => {
    const frame: Frame = { type: 'sync-update', update: Uint8Array.of(10, 20, 30) };
    const encoded = encodeFrame(frame);
    const backing = new Uint8Array(encoded.byteLength + 16).fill(0xee);
    backing.set(encoded, 7);
    const view = backing.subarray(7, 7 + encoded.byteLength);
    expect(frameOf(decodeFrame(view))).toEqual(frame);
    expect(frameOf(decodeFrame(Buffer.from(backing.buffer, 7, encoded.byteLength)))).toEqual(frame);
  });

  it('FRAME-9: payloads are views into the input, not copies', () => {
    const input = encode.syncUpdate(Uint8Array.of(1, 2, 3));
    const frame = frameOf(decodeFrame(input));
    if (frame.type !== 'sync-update') throw new Error('expected sync-update');
    expect(frame.update.buffer).toBe(input.buffer);
    input[input.byteLength - 1] = 99;
    expect([...frame.update]).toEqual([1, 2, 99]);
  });
});
