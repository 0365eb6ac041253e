/** Top-level message type numbers (the first varUint of every frame). */
export const MessageType = {
  /** y-websocket: sync (sub-types step1 / step2 / update). */
  sync: 0,
  /** y-websocket: awareness update. */
  awareness: 1,
  /** y-websocket: auth (server → client permission denied). */
  auth: 2,
  /** y-websocket: query-awareness (client asks for all awareness states). */
  queryAwareness: 3,
  /** tandem.v1: "persisted through N" acknowledgement. */
  ack: 64,
  /** tandem.v1: application-level ping. */
  ping: 65,
  /** tandem.v1: application-level pong (echoes the ping's id). */
  pong: 66,
  /** tandem.v1: structured notice or error (code + message). */
  notice: 67,
  /** tandem.v1 multiplexed connection: a frame for one document. */
  doc: 68,
  /** tandem.v1 multiplexed connection: client asks to join a document. */
  open: 69,
  /** tandem.v1 multiplexed connection: leave a document (client) or close it with a code (server). */
  closeDoc: 70,
  /** tandem.v1: the client authenticates (or refreshes its token) on an open connection. */
  authToken: 71,
} as const;

/** Sync sub-types, as in y-protocols/sync. */
export const SyncType = {
  step1: 0,
  step2: 1,
  update: 2,
} as const;

/** Auth sub-types, as in y-protocols/auth. */
export const AuthType = {
  permissionDenied: 0,
} as const;

/** The only extension version this build speaks. */
export const TANDEM_SUBPROTOCOL = 'tandem.v1';

/** Prefix shared by every tandem extension version (`tandem.vN`). */
export const TANDEM_SUBPROTOCOL_PREFIX = 'tandem.';

/** Message types that only sessions which negotiated `tandem.v1` may send or receive. */
export const EXTENSION_MESSAGE_TYPES: ReadonlySet<number> = new Set([
  MessageType.ack,
  MessageType.ping,
  MessageType.pong,
  MessageType.notice,
  MessageType.doc,
  MessageType.open,
  MessageType.closeDoc,
  MessageType.authToken,
]);
