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
  | NoticeFrame;

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

/** The `type` tag of a frame. */
export type FrameType = Frame['type'];

/** Frame types that carry a document update a server must apply (and persist). */
export function isUpdateFrame(frame: Frame): frame is SyncStep2Frame | SyncUpdateFrame {
  return frame.type === 'sync-step2' || frame.type === 'sync-update';
}

/** Frame types that belong to the tandem.v1 extension. */
export function isExtensionFrame(frame: Frame): frame is AckFrame | PingFrame | PongFrame | NoticeFrame {
  return frame.type === 'ack' || frame.type === 'ping' || frame.type === 'pong' || frame.type === 'notice';
}
