// Seeded fuzzing of decodeFrame: bounded iteration counts, reproducible from the seeds below.
import { describe, expect, it } from 'vitest';
import { DECODE_ERROR_KINDS, type DecodeResult, decodeFrame } from './decode.js';
import { encodeFrame } from './encode.js';
import { createRng, describeFrame, framesEqual, sampleFrames } from './frame-samples.fixture.js';
import { MessageType } from './message-types.js';

const KNOWN_TYPES: readonly number[] = Object.values(MessageType);
const KINDS: ReadonlySet<string> = new Set(DECODE_ERROR_KINDS);

/** Frames up to this size are mutated at every position; larger ones at sampled positions. */
const FULL_MUTATION_LIMIT = 64;

/** Small valid frames plus one large payload, so mutations also hit multi-byte lengths. */
const corpus = sampleFrames()
  .filter((frame) => encodeFrame(frame).byteLength <= 20_000)
  .map((frame) => ({ name: describeFrame(frame), bytes: encodeFrame(frame) }));

/**
 * Decodes `input` and returns a description of what went wrong, or undefined when the decoder
 * behaved: it did not throw, and it returned a frame that survives re-encoding, or a documented error kind.
 */
function misbehaviour(input: Uint8Array): string | undefined {
  let result: DecodeResult;
  try {
    result = decodeFrame(input);
  } catch (err) {
    return `threw ${String(err)}`;
  }
  if (result.ok) {
    // Any frame the decoder accepts must be one the encoder can write and read back unchanged.
    let again: DecodeResult;
    try {
      again = decodeFrame(encodeFrame(result.frame));
    } catch (err) {
      return `accepted a frame that does not re-encode: ${String(err)}`;
    }
    if (!again.ok) return `accepted a frame whose re-encoding fails: ${again.error.kind}`;
    return framesEqual(again.frame, result.frame) ? undefined : 'accepted a frame that changes when re-encoded';
  }
  const { kind, message, messageType } = result.error;
  if (!KINDS.has(kind)) return `undocumented error kind ${JSON.stringify(kind)}`;
  if (typeof message !== 'string' || message.length === 0) return 'error without a message';
  if (messageType !== undefined && !Number.isSafeInteger(messageType)) return `bad messageType ${messageType}`;
  return undefined;
}

function hex(bytes: Uint8Array): string {
  const shown = [...bytes.subarray(0, 24)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.byteLength > 24 ? `${shown} … (${bytes.byteLength} bytes)` : shown;
}

function collect(inputs: Iterable<Uint8Array>): { count: number; problems: string[] } {
  const problems: string[] = [];
  let count = 0;
  for (const input of inputs) {
    count++;
    const problem = misbehaviour(input);
    if (problem !== undefined && problems.length < 20) problems.push(`${hex(input)}: ${problem}`);
  }
  return { count, problems };
}

describe('decodeFrame under fuzzing', () => {
  it('FRAME-2: 20,000 random byte strings never throw and give a frame or a documented error', () => {
    const rng = createRng(0x7a4d3e01);
    function* inputs(): Generator<Uint8Array> {
      for (let i = 0; i < 20_000; i++) {
        const length = rng.int(0, 40);
        const input = Uint8Array.from({ length }, () => rng.int(0, 255));
        // Half the time start with a known message type (and a plausible sub-type) to get past the first check.
        if (length > 0 && rng.next() < 0.5) input[0] = KNOWN_TYPES[rng.int(0, KNOWN_TYPES.length - 1)] as number;
        if (length > 1 && rng.next() < 0.5) input[1] = rng.int(0, 3);
        if (length > 2 && rng.next() < 0.5) input[2] = rng.int(0, length);
        yield input;
      }
    }
    const { count, problems } = collect(inputs());
    expect(count).toBe(20_000);
    expect(problems).toEqual([]);
  });

  it('FRAME-3: every strict prefix of every valid frame is empty or truncated', () => {
    const problems: string[] = [];
    let count = 0;
    for (const { name, bytes } of corpus) {
      for (let end = 0; end < bytes.byteLength; end++) {
        count++;
        const prefix = bytes.subarray(0, end);
        const result = decodeFrame(prefix);
        const expected = end === 0 ? 'empty' : 'truncated';
        if (result.ok) problems.push(`${name}[0..${end}) decoded as ${result.frame.type}`);
        else if (result.error.kind !== expected) problems.push(`${name}[0..${end}): ${result.error.kind}`);
        if (problems.length >= 20) break;
      }
    }
    expect(count).toBeGreaterThan(50_000);
    expect(problems).toEqual([]);
  });

  it('FRAME-2: single-byte mutations of valid frames never throw and give a frame or a documented error', () => {
    const rng = createRng(0x51f15eed);
    function* inputs(): Generator<Uint8Array> {
      for (const { bytes } of corpus) {
        const positions =
          bytes.byteLength <= FULL_MUTATION_LIMIT
            ? Array.from({ length: bytes.byteLength }, (_, i) => i)
            : Array.from({ length: FULL_MUTATION_LIMIT }, () => rng.int(0, bytes.byteLength - 1));
        for (const position of positions) {
          const original = bytes[position] as number;
          // Every single-bit flip, a few random values, and the extremes.
          const values = [0x00, 0x7f, 0x80, 0xff, rng.int(0, 255), rng.int(0, 255)];
          for (let bit = 0; bit < 8; bit++) values.push(original ^ (1 << bit));
          for (const value of values) {
            if (value === original) continue;
            const mutated = bytes.slice();
            mutated[position] = value;
            yield mutated;
          }
          // Deleting and inserting a byte shift everything after it.
          const deleted = new Uint8Array(bytes.byteLength - 1);
          deleted.set(bytes.subarray(0, position));
          deleted.set(bytes.subarray(position + 1), position);
          yield deleted;
          const inserted = new Uint8Array(bytes.byteLength + 1);
          inserted.set(bytes.subarray(0, position));
          inserted[position] = rng.int(0, 255);
          inserted.set(bytes.subarray(position), position + 1);
          yield inserted;
        }
      }
    }
    const { count, problems } = collect(inputs());
    expect(count).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
  });

  it('FRAME-2: pathological varUints (overflow, long padding, all 0xff) give typed errors', () => {
    const inputs = [
      new Uint8Array(1_000).fill(0xff),
      new Uint8Array(1_000).fill(0x80),
      Uint8Array.from([0x00, 0x02, ...new Array<number>(1_000).fill(0x80)]),
      Uint8Array.from([0x41, ...new Array<number>(10).fill(0xff), 0x01]),
      Uint8Array.from([0x43, 0x01, ...new Array<number>(9).fill(0xff), 0x01]),
    ];
    for (const input of inputs) {
      const result = decodeFrame(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(['truncated', 'out-of-range']).toContain(result.error.kind);
    }
  });
});
