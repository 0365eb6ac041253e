export { type AwarenessEntry, readAwarenessEntries, writeAwarenessEntries } from './awareness-entries.js';
export { backoffCeiling, equalJitter, fullJitter } from './backoff.js';
export { CLOSE_CODE_TABLE, CloseCode, type CloseCodeValue, isCloseCode } from './close-codes.js';
export {
  DECODE_ERROR_KINDS,
  type DecodeError,
  type DecodeErrorKind,
  type DecodeResult,
  decodeFrame,
} from './decode.js';
export { encode, encodeFrame } from './encode.js';
export * from './frames.js';
export {
  decodeHocuspocusFrame,
  documentNameOf,
  HOCUSPOCUS_SESSION_SEPARATOR,
  type HocuspocusAuthFrame,
  HocuspocusAuthType,
  type HocuspocusCloseFrame,
  type HocuspocusDecodeResult,
  type HocuspocusDocumentFrame,
  type HocuspocusFrame,
  HocuspocusMessageType,
  type HocuspocusPongFrame,
  type HocuspocusScope,
  type HocuspocusStatelessFrame,
  hocuspocusEncode,
} from './hocuspocus.js';
export {
  clampTimerDelay,
  type LongTimer,
  type LongTimerOptions,
  MAX_TIMER_DELAY_MS,
  setLongTimeout,
} from './long-timer.js';
export {
  AuthType,
  EXTENSION_MESSAGE_TYPES,
  MessageType,
  SyncType,
  TANDEM_SUBPROTOCOL,
  TANDEM_SUBPROTOCOL_PREFIX,
} from './message-types.js';
export { type NegotiatedProtocol, negotiateSubprotocol } from './negotiate.js';
export { NoticeCode } from './notice-codes.js';
