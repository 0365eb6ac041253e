// Test-only fixtures shared by the protocol tests (excluded from the build).
import type { Frame, FrameType } from './frames.js';

/** A seeded PRNG (mulberry32), so fuzz runs are reproducible without Date or Math.random. */
export function createRng(seed: number): { next(): number; int(min: number, max: number): number } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

/** Deterministic filler bytes of a given length. */
export function filler(length: number, seed = 1): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from({ length }, () => rng.int(0, 255));
}

/** Integers at every varUint length boundary, from 0 up to Number.MAX_SAFE_INTEGER. */
export const EDGE_UINTS: readonly number[] = [
  0,
  1,
  127,
  128,
  16_383,
  16_384,
  2_097_151,
  2_097_152,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 49 - 1,
  2 ** 49,
  Number.MAX_SAFE_INTEGER - 1,
  Number.MAX_SAFE_INTEGER,
];

/** Strings that exercise UTF-8: empty, ASCII, 2/3/4-byte sequences, a leading BOM, NUL, long. */
export const EDGE_STRINGS: readonly string[] = [
  '',
  'read-only',
  'héllo wörld',
  '日本語のテキスト',
  'emoji 🎉👩‍💻 and astral 𝄞',
  '\uFEFFstarts with a byte-order mark',
  'nul \u0000 inside',
  'x'.repeat(200),
  'ü'.repeat(5_000),
];

/** Byte payloads: empty, one byte, every length-prefix boundary up to a 3-byte length. */
export const EDGE_PAYLOADS: readonly Uint8Array[] = [
  new Uint8Array(0),
  new Uint8Array([0]),
  filler(127, 2),
  filler(128, 3),
  filler(16_383, 4),
  filler(16_384, 5),
];

/** Marks every frame type, so adding one to the union fails to compile until the samples cover it. */
export const ALL_FRAME_TYPES: Readonly<Record<FrameType, true>> = {
  'sync-step1': true,
  'sync-step2': true,
  'sync-update': true,
  awareness: true,
  'auth-permission-denied': true,
  'query-awareness': true,
  ack: true,
  ping: true,
  pong: true,
  notice: true,
  doc: true,
  open: true,
  'close-doc': true,
  'auth-token': true,
};

/** One or more valid frames of every type, with edge values. */
export function sampleFrames(): Frame[] {
  const frames: Frame[] = [];
  for (const payload of EDGE_PAYLOADS) {
    frames.push({ type: 'sync-step1', stateVector: payload });
    frames.push({ type: 'sync-step2', update: payload });
    frames.push({ type: 'sync-update', update: payload });
    frames.push({ type: 'awareness', update: payload });
  }
  for (const text of EDGE_STRINGS) {
    frames.push({ type: 'auth-permission-denied', reason: text });
    frames.push({ type: 'notice', code: 1, message: text });
  }
  frames.push({ type: 'query-awareness' });
  for (const text of EDGE_STRINGS) {
    frames.push({ type: 'open', doc: text, token: text });
    frames.push({ type: 'close-doc', doc: text, code: 4403, reason: text });
    frames.push({ type: 'auth-token', token: text });
  }
  for (const payload of EDGE_PAYLOADS) frames.push({ type: 'doc', doc: 'notes/a', frame: payload });
  for (const n of EDGE_UINTS) {
    frames.push({ type: 'ack', through: n });
    frames.push({ type: 'ping', id: n });
    frames.push({ type: 'pong', id: n });
    frames.push({ type: 'notice', code: n, message: 'code edge' });
  }
  return frames;
}

/** A short label for a frame in test output. */
export function describeFrame(frame: Frame): string {
  const fields = Object.entries(frame)
    .filter(([key]) => key !== 'type')
    .map(([key, value]) => {
      if (value instanceof Uint8Array) return `${key}=<${value.byteLength} bytes>`;
      if (typeof value === 'string') return `${key}=<${value.length} chars>`;
      return `${key}=${String(value)}`;
    });
  return `${frame.type}(${fields.join(', ')})`;
}

/** Field-by-field frame equality; much faster than a deep `toEqual` on large payloads. */
export function framesEqual(a: Frame, b: Frame): boolean {
  const aFields = Object.entries(a);
  if (aFields.length !== Object.keys(b).length) return false;
  const bRecord = b as unknown as Record<string, unknown>;
  return aFields.every(([key, value]) => {
    const other = bRecord[key];
    if (value instanceof Uint8Array) {
      return other instanceof Uint8Array && Buffer.compare(value, other) === 0;
    }
    return Object.is(value, other);
  });
}
