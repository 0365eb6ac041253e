import * as decoding from 'lib0/decoding';
import type { Frame } from './frames.js';
import { AuthType, MessageType, SyncType } from './message-types.js';

/** Every kind of decode failure, in the order PROTOCOL.md documents them. */
export const DECODE_ERROR_KINDS = [
  'empty',
  'truncated',
  'unknown-type',
  'unknown-subtype',
  'trailing-bytes',
  'out-of-range',
  'invalid-utf8',
] as const;

/** Why a frame could not be decoded. */
export type DecodeErrorKind = (typeof DECODE_ERROR_KINDS)[number];

/** A typed decode failure; the decoder returns it instead of throwing. */
export interface DecodeError {
  readonly kind: DecodeErrorKind;
  readonly message: string;
  /** The top-level message type, when it could be read. */
  readonly messageType?: number;
}

/** Result of {@link decodeFrame}: a frame, or a typed error. Never throws. */
export type DecodeResult =
  | { readonly ok: true; readonly frame: Frame }
  | { readonly ok: false; readonly error: DecodeError };

/** Largest integer a varUint field may carry (JavaScript's safe integer range). */
const MAX_UINT = Number.MAX_SAFE_INTEGER;

// Same settings as lib0: reject malformed UTF-8, and keep a leading U+FEFF as part of the string.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Thrown inside the decoder and always caught in decodeFrame. Deliberately not an Error: capturing a
// stack trace for every malformed frame a hostile peer sends would cost more than the decode itself.
class FrameError {
  constructor(
    readonly kind: DecodeErrorKind,
    readonly message: string,
  ) {}
}

/**
 * Decodes one frame. Malformed input (empty, truncated, unknown type, trailing bytes,
 * out-of-range integers, invalid UTF-8) yields `{ ok: false, error }`; no exception escapes.
 * Byte payloads in the result are views into `bytes` (no copy); copy them to keep them
 * beyond the input's lifetime.
 */
export function decodeFrame(bytes: Uint8Array): DecodeResult {
  let messageType: number | undefined;
  try {
    if (bytes.byteLength === 0) return failure('empty', 'empty frame');
    const decoder = decoding.createDecoder(bytes);
    messageType = readUint(decoder, 'message type');
    const frame = readBody(decoder, messageType);
    if (decoding.hasContent(decoder)) {
      const extra = bytes.byteLength - decoder.pos;
      throw new FrameError('trailing-bytes', `${extra} trailing byte(s) after a complete frame of type ${messageType}`);
    }
    return { ok: true, frame };
  } catch (err) {
    if (err instanceof FrameError) return failure(err.kind, err.message, messageType);
    // Unreachable with a Uint8Array input: every read is bounds-checked above. Kept so that
    // no exception escapes even when an untyped caller passes something else.
    const detail = err instanceof Error ? err.message : String(err);
    return failure('truncated', `malformed frame: ${detail}`, messageType);
  }
}

function readBody(decoder: decoding.Decoder, messageType: number): Frame {
  switch (messageType) {
    case MessageType.sync: {
      const syncType = readUint(decoder, 'sync type');
      // Check the sub-type before reading on, so an unknown sub-type is reported as such
      // even when the rest of the frame is missing.
      if (syncType === SyncType.step1) return { type: 'sync-step1', stateVector: readBytes(decoder) };
      if (syncType === SyncType.step2) return { type: 'sync-step2', update: readBytes(decoder) };
      if (syncType === SyncType.update) return { type: 'sync-update', update: readBytes(decoder) };
      throw new FrameError('unknown-subtype', `unknown sync sub-type ${syncType}`);
    }
    case MessageType.awareness:
      return { type: 'awareness', update: readBytes(decoder) };
    case MessageType.auth: {
      const authType = readUint(decoder, 'auth type');
      if (authType !== AuthType.permissionDenied) {
        throw new FrameError('unknown-subtype', `unknown auth sub-type ${authType}`);
      }
      return { type: 'auth-permission-denied', reason: readString(decoder) };
    }
    case MessageType.queryAwareness:
      return { type: 'query-awareness' };
    case MessageType.ack:
      return { type: 'ack', through: readUint(decoder, 'ack through') };
    case MessageType.ping:
      return { type: 'ping', id: readUint(decoder, 'ping id') };
    case MessageType.pong:
      return { type: 'pong', id: readUint(decoder, 'pong id') };
    case MessageType.notice: {
      const code = readUint(decoder, 'notice code');
      return { type: 'notice', code, message: readString(decoder) };
    }
    case MessageType.doc: {
      const doc = readString(decoder);
      return { type: 'doc', doc, frame: readBytes(decoder) };
    }
    case MessageType.open: {
      const doc = readString(decoder);
      return { type: 'open', doc, token: readString(decoder) };
    }
    case MessageType.closeDoc: {
      const doc = readString(decoder);
      const code = readUint(decoder, 'close-doc code');
      return { type: 'close-doc', doc, code, reason: readString(decoder) };
    }
    case MessageType.authToken:
      return { type: 'auth-token', token: readString(decoder) };
    default:
      throw new FrameError('unknown-type', `unknown message type ${messageType}`);
  }
}

/**
 * Reads a lib0 varUint (7 bits per byte, least significant group first, high bit = more follows).
 * Accepts what lib0 accepts, but reports running off the end as `truncated` and values above
 * 2^53 - 1 as `out-of-range` instead of throwing lib0's untyped errors.
 */
function readUint(decoder: decoding.Decoder, what: string): number {
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

function readBytes(decoder: decoding.Decoder): Uint8Array {
  const length = readUint(decoder, 'payload length');
  const remaining = decoder.arr.byteLength - decoder.pos;
  if (length > remaining) {
    throw new FrameError('truncated', `payload claims ${length} byte(s) but only ${remaining} remain`);
  }
  return decoding.readUint8Array(decoder, length);
}

function readString(decoder: decoding.Decoder): string {
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

function failure(kind: DecodeErrorKind, message: string, messageType?: number): DecodeResult {
  return { ok: false, error: messageType === undefined ? { kind, message } : { kind, message, messageType } };
}
