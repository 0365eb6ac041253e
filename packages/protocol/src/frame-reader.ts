import * as decoding from 'lib0/decoding';
import type { DecodeErrorKind } from './decode.js';

/** Largest integer a varUint field may carry (JavaScript's safe integer range). */
const MAX_UINT = Number.MAX_SAFE_INTEGER;

// Same settings as lib0: reject malformed UTF-8, and keep a leading U+FEFF as part of the string.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Thrown inside the decoder and always caught in decodeFrame. Deliberately not an Error: capturing a
// stack trace for every malformed frame a hostile peer sends would cost more than the decode itself.
export class FrameError {
  constructor(
    readonly kind: DecodeErrorKind,
    readonly message: string,
  ) {}
}

/**
 * Reads a lib0 varUint (7 bits per byte, least significant group first, high bit = more follows).
 * Accepts what lib0 accepts, but reports running off the end as `truncated` and values above
 * 2^53 - 1 as `out-of-range` instead of throwing lib0's untyped errors.
 */
export function readUint(decoder: decoding.Decoder, what: string): number {
  const arr = decoder.arr;
  if (decoder.pos >= arr.length) throw new FrameError('truncated', `frame ends before its ${what}`);
  let value = 0;
  let multiplier = 1;
  while (decoder.pos < arr.length) {
    const byte = arr[decoder.pos++] as number;
    const bits = byte & 0x7f;
    // Skipping zero groups keeps long zero padding from turning 0 * Infinity into NaN.
    if (bits !== 0) {
      value += bits * multiplier;
      if (value > MAX_UINT) throw new FrameError('out-of-range', `${what} is out of range`);
    }
    if (byte < 0x80) return value;
    multiplier *= 128;
  }
  throw new FrameError('truncated', `frame ends inside its ${what}`);
}

export function readBytes(decoder: decoding.Decoder): Uint8Array {
  const length = readUint(decoder, 'payload length');
  const remaining = decoder.arr.byteLength - decoder.pos;
  if (length > remaining) {
    throw new FrameError('truncated', `payload claims ${length} byte(s) but only ${remaining} remain`);
  }
  return decoding.readUint8Array(decoder, length);
}

export function readString(decoder: decoding.Decoder): string {
  const length = readUint(decoder, 'string length');
  const remaining = decoder.arr.byteLength - decoder.pos;
  if (length > remaining) {
    throw new FrameError('truncated', `string claims ${length} byte(s) but only ${remaining} remain`);
  }
  const bytes = decoding.readUint8Array(decoder, length);
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new FrameError('invalid-utf8', 'string is not valid UTF-8');
  }
}
