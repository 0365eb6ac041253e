import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { type DecodeError, decodeFrame } from './decode.js';
import { FrameError, readString, readUint } from './frame-reader.js';
import type { AwarenessFrame, QueryAwarenessFrame, SyncStep1Frame, SyncStep2Frame, SyncUpdateFrame } from './frames.js';

/**
 * Message types of the Hocuspocus provider's wire format (@hocuspocus/provider 3.x and 4.x). Every
 * message but the v4 ping and pong starts with a varString address: the document name, or (v4
 * session awareness) `name + "\0" + sessionId`. Types 0, 1 and 3 carry a y-websocket frame after it.
 */
export const HocuspocusMessageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
  /** Server to server only (Hocuspocus' Redis extension); never accepted from a client. */
  syncReply: 4,
  stateless: 5,
  /** Server to server only; never accepted from a client. */
  broadcastStateless: 6,
  close: 7,
  syncStatus: 8,
  ping: 9,
  pong: 10,
} as const;

/** Sub-types of a Hocuspocus auth message (they differ from y-protocols' auth). */
export const HocuspocusAuthType = {
  token: 0,
  permissionDenied: 1,
  authenticated: 2,
} as const;

/** The separator of a v4 session-aware address (`name + "\0" + sessionId`). */
export const HOCUSPOCUS_SESSION_SEPARATOR = '\0';

/** A message from a Hocuspocus provider, decoded. */
export type HocuspocusFrame =
  | HocuspocusDocumentFrame
  | HocuspocusAuthFrame
  | HocuspocusStatelessFrame
  | HocuspocusCloseFrame
  | HocuspocusPongFrame;

/** A sync, awareness or query-awareness message: the y-websocket frame inside it, and that frame's bytes. */
export interface HocuspocusDocumentFrame {
  readonly type: 'hocuspocus-document';
  readonly address: string;
  readonly frame: SyncStep1Frame | SyncStep2Frame | SyncUpdateFrame | AwarenessFrame | QueryAwarenessFrame;
  /** The encoding of `frame` (a view into the message). */
  readonly bytes: Uint8Array;
}

/** The provider's token for a document ('' when it has none); v4 appends its version. */
export interface HocuspocusAuthFrame {
  readonly type: 'hocuspocus-auth';
  readonly address: string;
  readonly token: string;
  readonly providerVersion: string | null;
}

/** A stateless message: an application string for the document's other clients. */
export interface HocuspocusStatelessFrame {
  readonly type: 'hocuspocus-stateless';
  readonly address: string;
  readonly payload: string;
}

/** The provider leaves the document (its provider was destroyed or detached). */
export interface HocuspocusCloseFrame {
  readonly type: 'hocuspocus-close';
  readonly address: string;
}

/** The v4 answer to a server ping: the single byte 10, no address. */
export interface HocuspocusPongFrame {
  readonly type: 'hocuspocus-pong';
}

/** Result of {@link decodeHocuspocusFrame}: a message, or a typed error. Never throws. */
export type HocuspocusDecodeResult =
  | { readonly ok: true; readonly frame: HocuspocusFrame }
  | { readonly ok: false; readonly error: DecodeError };

/** The document name of an address (the part before a v4 session id). */
export function documentNameOf(address: string): string {
  const separator = address.indexOf(HOCUSPOCUS_SESSION_SEPARATOR);
  return separator === -1 ? address : address.slice(0, separator);
}

/**
 * Decodes one message a Hocuspocus provider sent. Server-only types (sync reply, broadcast
 * stateless, sync status, ping) are `unknown-type`; bytes after a complete message are
 * `trailing-bytes`; payloads are views into `bytes`.
 */
export function decodeHocuspocusFrame(bytes: Uint8Array): HocuspocusDecodeResult {
  if (bytes.byteLength === 1 && bytes[0] === HocuspocusMessageType.pong) {
    return { ok: true, frame: { type: 'hocuspocus-pong' } };
  }
  let messageType: number | undefined;
  try {
    if (bytes.byteLength === 0) throw new FrameError('empty', 'empty message');
    const decoder = decoding.createDecoder(bytes);
    const address = readString(decoder);
    const typeAt = decoder.pos;
    messageType = readUint(decoder, 'message type');
    switch (messageType) {
      case HocuspocusMessageType.sync:
      case HocuspocusMessageType.awareness:
      case HocuspocusMessageType.queryAwareness: {
        const inner = bytes.subarray(typeAt);
        const decoded = decodeFrame(inner);
        if (!decoded.ok) return decoded;
        const frame = decoded.frame as HocuspocusDocumentFrame['frame'];
        return { ok: true, frame: { type: 'hocuspocus-document', address, frame, bytes: inner } };
      }
      case HocuspocusMessageType.auth: {
        const authType = readUint(decoder, 'auth type');
        if (authType !== HocuspocusAuthType.token) {
          throw new FrameError('unknown-subtype', `auth sub-type ${authType} is sent by the server only`);
        }
        const token = readString(decoder);
        const providerVersion = decoding.hasContent(decoder) ? readString(decoder) : null;
        return complete(decoder, { type: 'hocuspocus-auth', address, token, providerVersion });
      }
      case HocuspocusMessageType.stateless:
        return complete(decoder, { type: 'hocuspocus-stateless', address, payload: readString(decoder) });
      case HocuspocusMessageType.close:
        return complete(decoder, { type: 'hocuspocus-close', address });
      case HocuspocusMessageType.syncReply:
      case HocuspocusMessageType.broadcastStateless:
      case HocuspocusMessageType.syncStatus:
      case HocuspocusMessageType.ping:
        throw new FrameError('unknown-type', `Hocuspocus message type ${messageType} is sent by servers only`);
      default:
        throw new FrameError('unknown-type', `unknown Hocuspocus message type ${messageType}`);
    }
  } catch (err) {
    const error = err instanceof FrameError ? err : new FrameError('truncated', `malformed message: ${String(err)}`);
    return { ok: false, error: { kind: error.kind, message: error.message, ...withType(messageType) } };
  }
}

function withType(messageType: number | undefined): { messageType?: number } {
  return messageType === undefined ? {} : { messageType };
}

function complete(decoder: decoding.Decoder, frame: HocuspocusFrame): HocuspocusDecodeResult {
  if (decoding.hasContent(decoder)) {
    const extra = decoder.arr.byteLength - decoder.pos;
    throw new FrameError('trailing-bytes', `${extra} trailing byte(s) after a complete Hocuspocus message`);
  }
  return { ok: true, frame };
}

/** The scope an "authenticated" message grants. */
export type HocuspocusScope = 'read-write' | 'readonly';

function message(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

/**
 * Encoders of what a server sends a Hocuspocus provider. `address` prefixes a message body; the
 * bodies (everything but `ping`) are written without it, so a document's transport adds its own.
 */
export const hocuspocusEncode = {
  /** `address` followed by a message body (a y-websocket frame or one of the bodies below). */
  addressed: (address: string, body: Uint8Array) =>
    message((e) => {
      encoding.writeVarString(e, address);
      encoding.writeUint8Array(e, body);
    }),
  authenticated: (scope: HocuspocusScope) =>
    message((e) => {
      encoding.writeVarUint(e, HocuspocusMessageType.auth);
      encoding.writeVarUint(e, HocuspocusAuthType.authenticated);
      encoding.writeVarString(e, scope);
    }),
  permissionDenied: (reason: string) =>
    message((e) => {
      encoding.writeVarUint(e, HocuspocusMessageType.auth);
      encoding.writeVarUint(e, HocuspocusAuthType.permissionDenied);
      encoding.writeVarString(e, reason);
    }),
  /** Asks the provider for its (current) token: it answers with an auth message. */
  tokenRequest: () =>
    message((e) => {
      encoding.writeVarUint(e, HocuspocusMessageType.auth);
      encoding.writeVarUint(e, HocuspocusAuthType.token);
    }),
  /** `applied`: the update was stored (the provider counts its unsynced changes down), or refused. */
  syncStatus: (applied: boolean) => Uint8Array.of(HocuspocusMessageType.syncStatus, applied ? 1 : 0),
  stateless: (payload: string) =>
    message((e) => {
      encoding.writeVarUint(e, HocuspocusMessageType.stateless);
      encoding.writeVarString(e, payload);
    }),
  /** The server closes the document (the socket stays open). */
  close: (reason: string) =>
    message((e) => {
      encoding.writeVarUint(e, HocuspocusMessageType.close);
      encoding.writeVarString(e, reason);
    }),
  /** The v4 connection-level ping: the single byte 9, no address. */
  ping: () => Uint8Array.of(HocuspocusMessageType.ping),
} as const;
