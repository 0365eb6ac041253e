import * as decoding from 'lib0/decoding';
import { FrameError, readBytes, readString, readUint } from './frame-reader.js';
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

function failure(kind: DecodeErrorKind, message: string, messageType?: number): DecodeResult {
  return { ok: false, error: messageType === undefined ? { kind, message } : { kind, message, messageType } };
}
