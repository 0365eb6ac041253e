import { CloseCode, encode, encodeFrame, type Frame, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import type { Logger } from 'pino';
import type { Identity } from '../identity.js';
import { NO_TELEMETRY, type Telemetry } from '../ops/telemetry.js';

/** The least a transport must offer a session; ws's WebSocket fits it, and so does an in-memory pair. */
export interface SessionSocket {
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
  terminate(): void;
  ping(): void;
  readonly bufferedAmount: number;
}

/** The byte stream under a session's socket, when it can hold writes back and send them as one (net.Socket can). */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Which protocol a session speaks: stock y-websocket, or y-websocket plus the tandem.v1 extension. */
export type SessionProtocol = 'plain' | typeof TANDEM_SUBPROTOCOL;

/** Construction parameters of a {@link Session}. */
export interface SessionOptions {
  readonly id: string;
  readonly roomId: string;
  readonly protocol: SessionProtocol;
  readonly socket: SessionSocket;
  readonly logger: Logger;
  /** Outgoing bytes the socket may hold before the session is closed with 1013. */
  readonly maxBufferedBytes: number;
  /** How long a closed slow consumer's socket lives before it is destroyed. */
  readonly slowCloseGraceMs: number;
  /** Where sends, closes and acks are counted (default: nowhere). */
  readonly telemetry?: Telemetry;
  /** The TCP socket under `socket`: several frames sent together then leave in one write. */
  readonly stream?: Corkable;
}

/** Reason strings travel in a close frame, which allows 123 bytes. */
const MAX_REASON_BYTES = 123;

/** One client connection to one room: sending with backpressure, closing with a code, liveness. */
export class Session {
  readonly id: string;
  readonly roomId: string;
  readonly protocol: SessionProtocol;
  readonly log: Logger;
  /** Who the session authenticated as; null in open mode or before authentication. */
  identity: Identity | null = null;
  /** Whether the session may change the document (read-only sessions still receive it). */
  canWrite = true;
  /** Resolves once the transport has closed (whoever closed it). */
  readonly closed: Promise<void>;
  private readonly socket: SessionSocket;
  private readonly stream: Corkable | null;
  private readonly maxBufferedBytes: number;
  private readonly slowCloseGraceMs: number;
  private readonly telemetry: Telemetry;
  private closing = false;
  private ended = false;
  private alive = true;
  private terminateTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;
  /** Update-carrying frames received (EXT-3 numbering, 1-based). */
  private updateFrames = 0;
  /** Highest frame number known durable, and the highest already sent in an ack. */
  private ackTarget = 0;
  private ackSent = 0;
  private ackScheduled = false;

  constructor(options: SessionOptions) {
    this.id = options.id;
    this.roomId = options.roomId;
    this.protocol = options.protocol;
    this.socket = options.socket;
    this.stream = options.stream ?? null;
    this.log = options.logger;
    this.maxBufferedBytes = options.maxBufferedBytes;
    this.slowCloseGraceMs = options.slowCloseGraceMs;
    this.telemetry = options.telemetry ?? NO_TELEMETRY;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /** True until the session starts closing. */
  get isOpen(): boolean {
    return !this.closing && !this.ended;
  }

  /** True when the session negotiated the tandem.v1 extension. */
  get isTandem(): boolean {
    return this.protocol === TANDEM_SUBPROTOCOL;
  }

  /** Bytes queued on the socket and not yet written to the network. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /**
   * Sends a frame unless the session is closing. A reader that has fallen behind by more
   * than the bound is closed with 1013 instead, so its backlog cannot grow without limit.
   */
  send(bytes: Uint8Array): boolean {
    if (!this.isOpen) return false;
    const buffered = this.socket.bufferedAmount;
    // An empty buffer always takes one frame, so a single large frame (a big initial sync) still goes out.
    if (buffered > 0 && buffered + bytes.byteLength > this.maxBufferedBytes) {
      this.closeSlowConsumer();
      return false;
    }
    this.socket.send(bytes);
    this.telemetry.frameOut(bytes.byteLength);
    return true;
  }

  /** Sends several frames, in order, in one write when the transport allows it; same bound as {@link send}. */
  sendAll(frames: readonly Uint8Array[]): void {
    if (frames.length === 0) return;
    if (frames.length === 1) {
      this.send(frames[0] as Uint8Array);
      return;
    }
    this.stream?.cork();
    try {
      for (const frame of frames) if (!this.send(frame)) break;
    } finally {
      this.stream?.uncork();
    }
  }

  /** Sends a tandem.v1 extension frame; plain sessions never receive one. */
  sendExtension(frame: Frame): boolean {
    return this.isTandem ? this.send(encodeFrame(frame)) : false;
  }

  /**
   * Closes the session with a documented code. tandem.v1 sessions first get a notice frame
   * carrying the full message (a close reason is limited to 123 bytes).
   */
  close(code: number, message: string): void {
    if (!this.isOpen) return;
    this.closing = true;
    this.telemetry.closed(code);
    this.log.info({ code, reason: message }, 'closing session');
    if (code !== CloseCode.normal && this.isTandem) {
      const notice = encodeFrame({ type: 'notice', code, message });
      // Straight to the socket (send() refuses once closing), and only if it fits the bound.
      if (this.socket.bufferedAmount + notice.byteLength <= this.maxBufferedBytes) this.socket.send(notice);
    }
    this.socket.close(code, truncateUtf8(message, MAX_REASON_BYTES));
  }

  /** Destroys the transport at once (dead peer). */
  terminate(why: string): void {
    if (this.ended) return;
    this.log.info({ reason: why }, 'terminating session');
    this.closing = true;
    this.socket.terminate();
  }

  /** Called by the transport when the connection has ended. */
  handleTransportClosed(): void {
    if (this.ended) return;
    this.ended = true;
    this.closing = true;
    clearTimeout(this.terminateTimer);
    this.resolveClosed();
  }

  /** Numbers the next update-carrying frame (sync step 2 or update) this session sent. */
  nextUpdateFrame(): number {
    this.updateFrames += 1;
    return this.updateFrames;
  }

  /**
   * Marks frame `n` (and so every earlier one) durable. tandem.v1 sessions get one
   * "persisted through N" ack for all that became durable in the same microtask run (EXT-3).
   */
  acknowledge(n: number): void {
    if (!this.isTandem || n <= this.ackTarget) return;
    this.ackTarget = n;
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    queueMicrotask(() => {
      this.ackScheduled = false;
      if (this.ackTarget <= this.ackSent) return;
      this.ackSent = this.ackTarget;
      if (this.sendExtension({ type: 'ack', through: this.ackSent })) this.telemetry.acked();
    });
  }

  /** Records a pong (WS-level or tandem.v1). */
  markAlive(): void {
    this.alive = true;
  }

  /**
   * One heartbeat tick: a session that has not answered since the previous tick is terminated,
   * otherwise it is pinged. Returns false when the session was terminated.
   */
  heartbeat(): boolean {
    if (this.ended) return false;
    if (!this.alive) {
      this.terminate('heartbeat missed');
      return false;
    }
    this.alive = false;
    this.socket.ping();
    return true;
  }

  private closeSlowConsumer(): void {
    this.log.warn({ bufferedBytes: this.socket.bufferedAmount, limit: this.maxBufferedBytes }, 'slow consumer');
    this.close(CloseCode.tryAgainLater, 'slow consumer: outgoing buffer over the limit');
    // A stalled reader will not read the close frame either: free its backlog soon.
    this.terminateTimer = setTimeout(() => this.terminate('slow consumer did not close'), this.slowCloseGraceMs);
    this.terminateTimer.unref();
  }
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.byteLength <= maxBytes) return text;
  let end = maxBytes;
  // Step back over UTF-8 continuation bytes so no character is cut in half.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** Encodes the frames a server sends often; re-exported so rooms need one import. */
export { encode };
