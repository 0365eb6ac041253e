import { CloseCode, encodeFrame, type Frame, setLongTimeout, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import type { Logger } from 'pino';
import type { Access } from '../auth/access.js';
import type { DocumentId, Identity, SessionId } from '../identity.js';
import { Connection, type ConnectionOptions, newConnectionId } from './connection.js';

/** Which protocol a session speaks: stock y-websocket, y-websocket plus tandem.v1, or the Hocuspocus provider's. */
export type SessionProtocol = 'plain' | typeof TANDEM_SUBPROTOCOL | 'hocuspocus';

/**
 * How a session's protocol says what y-websocket cannot: extension frames (notices, pongs) and
 * acknowledgements. tandem.v1 sends its own frames; plain y-websocket has no way to say either.
 */
export interface SessionDialect {
  /** The protocol it is the dialect of. */
  readonly protocol: SessionProtocol;
  /** Whether the client is told when its updates are durable (else acknowledge() does nothing). */
  readonly acknowledges: boolean;
  /** The bytes that tell the client `frame`, or null when its protocol has no way to say it. */
  extension(frame: Frame): Uint8Array | null;
  /** What tells the client that its update frames `from + 1` … `through` are durable. */
  acks(from: number, through: number): readonly Uint8Array[];
}

const TANDEM_DIALECT: SessionDialect = {
  protocol: TANDEM_SUBPROTOCOL,
  acknowledges: true,
  extension: (frame) => encodeFrame(frame),
  acks: (_from, through) => [encodeFrame({ type: 'ack', through })],
};

const PLAIN_DIALECT: SessionDialect = { protocol: 'plain', acknowledges: false, extension: () => null, acks: () => [] };

/** A fresh session id. */
export function newSessionId(): SessionId {
  return newConnectionId() as SessionId;
}

/** Construction parameters of a {@link Session}. */
export interface SessionOptions {
  readonly id: SessionId;
  readonly roomId: DocumentId;
  readonly protocol: SessionProtocol;
  /** The transport the session's frames travel on (its own; one per session); acks are counted in its metrics. */
  readonly connection: Connection;
  /** How extension frames and acks are said (default: by `protocol`, tandem.v1's or none); of `protocol`. */
  readonly dialect?: SessionDialect;
}

/** A session and its own connection, over one socket (a WebSocket, a multiplexed document's, a test's). */
export interface SocketSessionOptions extends Omit<ConnectionOptions, 'id' | 'notices'> {
  readonly id: SessionId;
  readonly roomId: DocumentId;
  readonly protocol: SessionProtocol;
  readonly dialect?: SessionDialect;
}

/** Opens a session over `options.socket`; its connection takes notices when it speaks tandem.v1. */
export function createSession(options: SocketSessionOptions): Session {
  const { roomId, protocol, dialect, ...transport } = options;
  const connection = new Connection({ ...transport, notices: protocol === TANDEM_SUBPROTOCOL });
  return new Session({ id: options.id, roomId, protocol, connection, ...(dialect === undefined ? {} : { dialect }) });
}

/**
 * One client's presence in one room: who it is (identity, access and when that expires), what it
 * has sent (update-frame numbering, EXT-3) and what is durable (acks). Its frames travel on its
 * {@link Connection}, which owns backpressure, closing and liveness; the methods below that send or
 * close delegate there, so the room sees one object.
 */
export class Session {
  readonly id: SessionId;
  readonly roomId: DocumentId;
  readonly connection: Connection;
  /** Who the session authenticated as; null in open mode or before authentication. */
  identity: Identity | null = null;
  /** Whether the session may change the document (read-only sessions still receive it). */
  canWrite = true;
  /** How the session's protocol says extension frames and acks; it names the protocol too. */
  private readonly dialect: SessionDialect;
  /** Closes the session at its token's expiry (AUTH-5); replaced by each grant. */
  private expiry: { cancel(): void } | null = null;
  /** Update-carrying frames received (EXT-3 numbering, 1-based). */
  private updateFrames = 0;
  /** Highest frame number known durable, and the highest already sent in an ack. */
  private ackTarget = 0;
  private ackSent = 0;
  private ackScheduled = false;

  constructor(options: SessionOptions) {
    this.id = options.id;
    this.roomId = options.roomId;
    this.connection = options.connection;
    this.dialect = options.dialect ?? (options.protocol === TANDEM_SUBPROTOCOL ? TANDEM_DIALECT : PLAIN_DIALECT);
    if (this.dialect.protocol !== options.protocol) {
      throw new Error(`a ${this.dialect.protocol} dialect for a ${options.protocol} session`);
    }
  }

  /** Which protocol the session speaks. */
  get protocol(): SessionProtocol {
    return this.dialect.protocol;
  }

  /** The session's logger (room and session in every line). */
  get log(): Logger {
    return this.connection.log;
  }

  /** True until the session starts closing. */
  get isOpen(): boolean {
    return this.connection.isOpen;
  }

  /** True when the session negotiated the tandem.v1 extension. */
  get isTandem(): boolean {
    return this.protocol === TANDEM_SUBPROTOCOL;
  }

  /** Whether its protocol tells it when its updates are durable (tandem.v1 acks, Hocuspocus sync statuses). */
  get acknowledges(): boolean {
    return this.dialect.acknowledges;
  }

  /** Resolves once the transport has closed (whoever closed it). */
  get closed(): Promise<void> {
    return this.connection.closed;
  }

  /** Bytes queued on the transport and not yet written to the network. */
  get bufferedAmount(): number {
    return this.connection.bufferedAmount;
  }

  /**
   * Takes granted access: identity and write permission, and a close with 4401 at the token's
   * expiry unless a later grant (a refreshed token) has replaced it by then (AUTH-5).
   */
  grant(access: Access): void {
    this.identity = access.identity;
    this.canWrite = access.canWrite;
    if (access.identity === null) return;
    this.expiry?.cancel();
    // A plain setTimeout fires at once for expiries past 2^31-1 ms (~24.8 days): service tokens.
    this.expiry = setLongTimeout(
      () => this.close(CloseCode.unauthenticated, 'token expired'),
      access.identity.expiresAt - Date.now(),
      { unref: true },
    );
  }

  /** Sends a frame on the session's connection (which closes a slow consumer with 1013, CONN-2). */
  send(bytes: Uint8Array): boolean {
    return this.connection.send(bytes);
  }

  /** Sends several frames, in order, in one write when the transport allows it. */
  sendAll(frames: readonly Uint8Array[]): void {
    this.connection.sendAll(frames);
  }

  /** Sends an extension frame as the session's dialect says it; plain sessions never receive one. */
  sendExtension(frame: Frame): boolean {
    const bytes = this.dialect.extension(frame);
    return bytes === null ? false : this.connection.send(bytes);
  }

  /** Closes the session with a documented code (tandem.v1 sessions get the full message in a notice first). */
  close(code: number, message: string): void {
    this.connection.close(code, message);
  }

  /** Destroys the transport at once (dead peer). */
  terminate(why: string): void {
    this.connection.terminate(why);
  }

  /** Called when the session's transport has ended: nothing more is sent, the expiry timer stops. */
  handleTransportClosed(): void {
    this.expiry?.cancel();
    this.expiry = null;
    this.connection.handleTransportClosed();
  }

  /** Numbers the next update-carrying frame (sync step 2 or update) this session sent. */
  nextUpdateFrame(): number {
    this.updateFrames += 1;
    return this.updateFrames;
  }

  /**
   * Marks frame `n` (and so every earlier one) durable. tandem.v1 sessions get one
   * "persisted through N" ack for all that became durable in the same microtask run (EXT-3);
   * Hocuspocus sessions one sync status per frame (HP-4).
   */
  acknowledge(n: number): void {
    if (!this.dialect.acknowledges || n <= this.ackTarget) return;
    this.ackTarget = n;
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    queueMicrotask(() => {
      this.ackScheduled = false;
      if (this.ackTarget <= this.ackSent) return;
      const acks = this.dialect.acks(this.ackSent, this.ackTarget);
      this.ackSent = this.ackTarget;
      for (const ack of acks) if (this.connection.send(ack)) this.connection.metrics.acked();
    });
  }

  /** Records a pong (WS-level or tandem.v1). */
  markAlive(): void {
    this.connection.markAlive();
  }

  /** One heartbeat tick of the session's connection (CONN-1); false when it was terminated. */
  heartbeat(): boolean {
    return this.connection.heartbeat();
  }
}
