import { CloseCode, decodeFrame, encodeFrame, type Frame } from '@tandem/protocol';
import type { AccessResult } from '../auth/access.js';
import { JoinError } from '../rooms/room-registry.js';
import type { Session } from './session.js';

/** A room as a joined channel uses it. */
export interface JoinedRoom {
  receive(session: Session, frame: Frame): void;
}

/** Where channels join and leave rooms: the room registry. */
export interface RoomDirectory {
  /** Adds the session to its room, loading the room first if needed; rejects with a JoinError. */
  join(session: Session): Promise<JoinedRoom>;
  leave(session: Session): void;
}

/** Opt-in recording of inbound frames per room (ops/recorder.ts). */
export interface FrameRecorder {
  isRecording(roomId: string): boolean;
  record(roomId: string, sessionId: string, frame: Uint8Array): void;
}

/** The bounds a channel keeps while it waits. */
export interface ChannelLimits {
  /** Bytes a channel may queue while its room loads (1013 past it), and its session's send bound. */
  readonly maxBufferedBytes: number;
  /** Bytes a channel may queue before its session authenticates (4401 past it). */
  readonly maxPreAuthBytes: number;
  /** How long a channel waits for a token (4401 after it). */
  readonly authTimeoutMs: number;
}

/** What a channel needs. */
export interface ChannelDeps {
  readonly registry: RoomDirectory;
  readonly recorder: FrameRecorder;
  readonly limits: ChannelLimits;
}

/**
 * Where a document's session is on its way into the room and out again:
 * - `waiting-for-auth`: no credentials yet (a tandem.v1 client that authenticates in-band);
 * - `authorizing`: credentials given, their access being resolved;
 * - `joining`: access granted, the room loading;
 * - `joined`: frames go straight to the room ({@link DocumentChannel.room}; the state itself is
 *   one shared object, so a joined channel holds no state object of its own);
 * - `left`: the session's transport ended; nothing more is delivered.
 * Frames that arrive before `joined` wait in `queue` (copies: a frame's bytes view the socket's buffer).
 */
type ChannelState =
  | { readonly kind: 'waiting-for-auth'; readonly queue: Frame[]; bytes: number; readonly timer: NodeJS.Timeout }
  | { readonly kind: 'authorizing'; readonly queue: Frame[]; bytes: number }
  | { readonly kind: 'joining'; readonly queue: Frame[]; bytes: number }
  | { readonly kind: 'joined' }
  | { readonly kind: 'left' };

const JOINED: ChannelState = { kind: 'joined' };
const LEFT: ChannelState = { kind: 'left' };

/**
 * One document of one connection: waits for access, queues what arrives meanwhile (bounded), joins
 * the room through the registry, drains the queue into it, records inbound frames, and leaves.
 * Every wire protocol's adapter opens one of these per document it carries.
 */
export class DocumentChannel {
  private state: ChannelState;
  /** The room once joined. */
  private room: JoinedRoom | null = null;

  /** `start`: whether the session still has to send a token, or has given one being resolved. */
  constructor(
    readonly session: Session,
    private readonly deps: ChannelDeps,
    start: 'waiting-for-auth' | 'authorizing',
  ) {
    if (start === 'authorizing') {
      this.state = { kind: 'authorizing', queue: [], bytes: 0 };
      return;
    }
    const timeoutMs = deps.limits.authTimeoutMs;
    const timer = setTimeout(
      () => session.close(CloseCode.unauthenticated, `no token within ${timeoutMs} ms`),
      timeoutMs,
    );
    timer.unref();
    this.state = { kind: 'waiting-for-auth', queue: [], bytes: 0, timer };
  }

  /** True until the session has been granted access (or refused it). */
  get waitingForAuth(): boolean {
    return this.state.kind === 'waiting-for-auth';
  }

  /**
   * Takes the outcome of authorization: a refusal closes the session with its code; granted access
   * goes to the session, which then joins its room. Ignored once access was granted or the channel left.
   */
  admit(access: AccessResult): void {
    const state = this.state;
    switch (state.kind) {
      case 'waiting-for-auth':
      case 'authorizing':
        break;
      case 'joining':
      case 'joined':
      case 'left':
        return;
      default:
        state satisfies never;
    }
    if (!access.ok) {
      this.session.close(access.code, access.reason);
      return;
    }
    if (state.kind === 'waiting-for-auth') clearTimeout(state.timer);
    this.session.grant(access);
    this.state = { kind: 'joining', queue: state.queue, bytes: state.bytes };
    this.deps.registry.join(this.session).then(
      (room) => this.joined(room),
      (err: unknown) => this.fail(err),
    );
  }

  /** Closes the session because authorization or the join failed (a JoinError's code, else 1011). */
  fail(err: unknown): void {
    const code = err instanceof JoinError ? err.closeCode : CloseCode.internalError;
    this.session.close(code, err instanceof Error ? err.message : 'join failed');
  }

  /** One frame for the document; `bytes` is its encoding (recorded as is). */
  receive(frame: Frame, bytes: Uint8Array): void {
    const state = this.state;
    switch (state.kind) {
      case 'joined':
        this.deps.recorder.record(this.session.roomId, this.session.id, bytes);
        this.room?.receive(this.session, frame);
        return;
      case 'waiting-for-auth':
        this.enqueue(state, bytes, this.deps.limits.maxPreAuthBytes, CloseCode.unauthenticated, PRE_AUTH_OVERFLOW);
        return;
      case 'authorizing':
      case 'joining':
        this.enqueue(state, bytes, this.deps.limits.maxBufferedBytes, CloseCode.tryAgainLater, LOADING_OVERFLOW);
        return;
      case 'left':
        return;
      default:
        state satisfies never;
    }
  }

  /** The session's transport ended: stop waiting, end the session and leave the room. */
  leave(): void {
    const state = this.state;
    if (state.kind === 'left') return;
    if (state.kind === 'waiting-for-auth') clearTimeout(state.timer);
    this.state = LEFT;
    this.room = null;
    this.session.handleTransportClosed();
    this.deps.registry.leave(this.session);
  }

  private joined(room: JoinedRoom): void {
    const state = this.state;
    if (state.kind !== 'joining') return; // Left while the room loaded.
    this.state = JOINED;
    this.room = room;
    const { session, deps } = this;
    for (const frame of state.queue) {
      if (!session.isOpen) break;
      if (deps.recorder.isRecording(session.roomId))
        deps.recorder.record(session.roomId, session.id, encodeFrame(frame));
      room.receive(session, frame);
    }
  }

  private enqueue(
    state: { readonly queue: Frame[]; bytes: number },
    bytes: Uint8Array,
    limit: number,
    code: number,
    message: string,
  ): void {
    state.bytes += bytes.byteLength;
    if (state.bytes > limit) {
      this.session.close(code, message);
      return;
    }
    // Decoded payloads view the socket's buffer: keep a copy while waiting.
    const copy = decodeFrame(bytes.slice());
    if (copy.ok) state.queue.push(copy.frame);
  }
}

const PRE_AUTH_OVERFLOW = 'too much data sent before authenticating';
const LOADING_OVERFLOW = 'too much data sent while the document was loading';
