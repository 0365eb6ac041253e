import * as encoding from 'lib0/encoding';
import type { Frame } from './frames.js';
import { AuthType, MessageType, SyncType } from './message-types.js';

/**
 * Encodes any frame to its wire bytes.
 * @throws RangeError when an integer field (ack `through`, ping/pong `id`, notice `code`) is not a
 * safe non-negative integer: lib0 would otherwise write bytes that decode to a different number.
 */
export function encodeFrame(frame: Frame): Uint8Array {
  // The frames relayed most are a fixed head and one length-prefixed payload: one exact allocation.
  switch (frame.type) {
    case 'sync-step1':
      return headAndPayload(MessageType.sync, SyncType.step1, frame.stateVector);
    case 'sync-step2':
      return headAndPayload(MessageType.sync, SyncType.step2, frame.update);
    case 'sync-update':
      return headAndPayload(MessageType.sync, SyncType.update, frame.update);
    case 'awareness':
      return headAndPayload(MessageType.awareness, null, frame.update);
    default:
      return encodeOther(frame);
  }
}

/** `type`, then `subType` unless null (both below 128, so one byte each), then lib0's varUint8Array of `payload`. */
function headAndPayload(type: number, subType: number | null, payload: Uint8Array): Uint8Array {
  const head = subType === null ? 1 : 2;
  let lengthBytes = 1;
  for (let n = payload.byteLength; n > 0x7f; n = Math.floor(n / 128)) lengthBytes++;
  const out = new Uint8Array(head + lengthBytes + payload.byteLength);
  out[0] = type;
  if (subType !== null) out[1] = subType;
  let pos = head;
  let n = payload.byteLength;
  for (; n > 0x7f; n = Math.floor(n / 128)) out[pos++] = 0x80 | (n & 0x7f);
  out[pos++] = n;
  out.set(payload, pos);
  return out;
}

type OtherFrame = Exclude<Frame, { type: 'sync-step1' | 'sync-step2' | 'sync-update' | 'awareness' }>;

function encodeOther(frame: OtherFrame): Uint8Array {
  const encoder = encoding.createEncoder();
  switch (frame.type) {
    case 'auth-permission-denied':
      encoding.writeVarUint(encoder, MessageType.auth);
      encoding.writeVarUint(encoder, AuthType.permissionDenied);
      encoding.writeVarString(encoder, frame.reason);
      break;
    case 'query-awareness':
      encoding.writeVarUint(encoder, MessageType.queryAwareness);
      break;
    case 'ack':
      encoding.writeVarUint(encoder, MessageType.ack);
      writeUint(encoder, frame.through, 'ack through');
      break;
    case 'ping':
      encoding.writeVarUint(encoder, MessageType.ping);
      writeUint(encoder, frame.id, 'ping id');
      break;
    case 'pong':
      encoding.writeVarUint(encoder, MessageType.pong);
      writeUint(encoder, frame.id, 'pong id');
      break;
    case 'notice':
      encoding.writeVarUint(encoder, MessageType.notice);
      writeUint(encoder, frame.code, 'notice code');
      encoding.writeVarString(encoder, frame.message);
      break;
    case 'doc':
      encoding.writeVarUint(encoder, MessageType.doc);
      encoding.writeVarString(encoder, frame.doc);
      encoding.writeVarUint8Array(encoder, frame.frame);
      break;
    case 'open':
      encoding.writeVarUint(encoder, MessageType.open);
      encoding.writeVarString(encoder, frame.doc);
      encoding.writeVarString(encoder, frame.token);
      break;
    case 'close-doc':
      encoding.writeVarUint(encoder, MessageType.closeDoc);
      encoding.writeVarString(encoder, frame.doc);
      writeUint(encoder, frame.code, 'close-doc code');
      encoding.writeVarString(encoder, frame.reason);
      break;
    case 'auth-token':
      encoding.writeVarUint(encoder, MessageType.authToken);
      encoding.writeVarString(encoder, frame.token);
      break;
    default:
      return assertNever(frame);
  }
  return encoding.toUint8Array(encoder);
}

function writeUint(encoder: encoding.Encoder, value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a safe non-negative integer, got ${value}`);
  }
  encoding.writeVarUint(encoder, value);
}

function assertNever(value: never): never {
  throw new TypeError(`unknown frame ${JSON.stringify(value)}`);
}

/** Shorthand encoders for the frames a server or client sends most. */
export const encode = {
  syncStep1: (stateVector: Uint8Array) => encodeFrame({ type: 'sync-step1', stateVector }),
  syncStep2: (update: Uint8Array) => encodeFrame({ type: 'sync-step2', update }),
  syncUpdate: (update: Uint8Array) => encodeFrame({ type: 'sync-update', update }),
  awareness: (update: Uint8Array) => encodeFrame({ type: 'awareness', update }),
  queryAwareness: () => encodeFrame({ type: 'query-awareness' }),
  authPermissionDenied: (reason: string) => encodeFrame({ type: 'auth-permission-denied', reason }),
  ack: (through: number) => encodeFrame({ type: 'ack', through }),
  ping: (id: number) => encodeFrame({ type: 'ping', id }),
  pong: (id: number) => encodeFrame({ type: 'pong', id }),
  notice: (code: number, message: string) => encodeFrame({ type: 'notice', code, message }),
  doc: (doc: string, frame: Uint8Array) => encodeFrame({ type: 'doc', doc, frame }),
  open: (doc: string, token = '') => encodeFrame({ type: 'open', doc, token }),
  closeDoc: (doc: string, code: number, reason: string) => encodeFrame({ type: 'close-doc', doc, code, reason }),
  authToken: (token: string) => encodeFrame({ type: 'auth-token', token }),
} as const;
