/** A decoded frame: the discriminated union every consumer switches on exhaustively. */
export type Frame =
  | SyncStep1Frame
  | SyncStep2Frame
  | SyncUpdateFrame
  | AwarenessFrame
  | AuthPermissionDeniedFrame
  | QueryAwarenessFrame
  | AckFrame
  | PingFrame
  | PongFrame
  | NoticeFrame
  | DocFrame
  | OpenFrame
  | CloseDocFrame
  | AuthTokenFrame;

/** Sync step 1: the sender's state vector (encoded by Yjs). */
export interface SyncStep1Frame {
  readonly type: 'sync-step1';
  readonly stateVector: Uint8Array;
}

/** Sync step 2: the update the receiver is missing, in reply to a step 1. */
export interface SyncStep2Frame {
  readonly type: 'sync-step2';
  readonly update: Uint8Array;
}

/** Sync update: an incremental document update. */
export interface SyncUpdateFrame {
  readonly type: 'sync-update';
  readonly update: Uint8Array;
}

/** Awareness: an encoded awareness update (y-protocols/awareness). */
export interface AwarenessFrame {
  readonly type: 'awareness';
  readonly update: Uint8Array;
}

/** Auth: permission denied, with a human-readable reason (server → client). */
export interface AuthPermissionDeniedFrame {
  readonly type: 'auth-permission-denied';
  readonly reason: string;
}

/** Query-awareness: asks the peer to send all awareness states it knows. */
export interface QueryAwarenessFrame {
  readonly type: 'query-awareness';
}

/** tandem.v1 ack: every update frame this session sent, up to and including number `through`, is durable. */
export interface AckFrame {
  readonly type: 'ack';
  readonly through: number;
}

/** tandem.v1 application-level ping. */
export interface PingFrame {
  readonly type: 'ping';
  readonly id: number;
}

/** tandem.v1 application-level pong, echoing the ping's id. */
export interface PongFrame {
  readonly type: 'pong';
  readonly id: number;
}

/** tandem.v1 notice: a structured notice or error (see NoticeCode). */
export interface NoticeFrame {
  readonly type: 'notice';
  readonly code: number;
  readonly message: string;
}

/** tandem.v1 multiplexing: `frame` (the encoded bytes of any other frame) belongs to document `doc`. */
export interface DocFrame {
  readonly type: 'doc';
  readonly doc: string;
  readonly frame: Uint8Array;
}

/** tandem.v1 multiplexing: the client joins `doc`, optionally with a per-document token ('' for none). */
export interface OpenFrame {
  readonly type: 'open';
  readonly doc: string;
  readonly token: string;
}

/** tandem.v1 multiplexing: the client leaves `doc`, or the server closes it with a close code and reason. */
export interface CloseDocFrame {
  readonly type: 'close-doc';
  readonly doc: string;
  readonly code: number;
  readonly reason: string;
}

/** tandem.v1: a token for this connection (or, inside a doc frame, for that document); also a refresh. */
export interface AuthTokenFrame {
  readonly type: 'auth-token';
  readonly token: string;
}

/** The `type` tag of a frame. */
export type FrameType = Frame['type'];

/** Frame types that carry a document update a server must apply (and persist). */
export function isUpdateFrame(frame: Frame): frame is SyncStep2Frame | SyncUpdateFrame {
  return frame.type === 'sync-step2' || frame.type === 'sync-update';
}

/** Frame types that belong to the tandem.v1 extension. */
export function isExtensionFrame(
  frame: Frame,
): frame is AckFrame | PingFrame | PongFrame | NoticeFrame | DocFrame | OpenFrame | CloseDocFrame | AuthTokenFrame {
  return !(
    frame.type === 'sync-step1' ||
    frame.type === 'sync-step2' ||
    frame.type === 'sync-update' ||
    frame.type === 'awareness' ||
    frame.type === 'auth-permission-denied' ||
    frame.type === 'query-awareness'
  );
}

/** Frame types that only travel on a multiplexed connection (the `/sync` endpoint without a room). */
export function isMuxFrame(frame: Frame): frame is DocFrame | OpenFrame | CloseDocFrame {
  return frame.type === 'doc' || frame.type === 'open' || frame.type === 'close-doc';
}
