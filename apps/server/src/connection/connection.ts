import { randomUUID } from 'node:crypto';
import { CloseCode, encodeFrame } from '@tandem/protocol';
import type { Bindings, Logger } from 'pino';
import type { ConnectionMetrics } from './connection-metrics.js';
import { NO_CONNECTION_METRICS } from './connection-metrics.js';

/** The least a transport must offer a connection; ws's WebSocket fits it, and so does an in-memory pair. */
export interface ConnectionSocket {
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
  terminate(): void;
  ping(): void;
  readonly bufferedAmount: number;
}

/**
 * The byte stream under a connection's socket (net.Socket fits): it can hold writes back and send
 * them as one, and it counts the bytes read from the peer.
 */
export interface TransportStream {
  cork(): void;
  uncork(): void;
  /** Bytes read from the peer so far. Any read since a ping answers it (a pong is some), CONN-1. */
  readonly bytesRead: number;
}

/** Construction parameters of a {@link Connection}. */
export interface ConnectionOptions {
  /** Logged and shown as the session's id for a one-document connection, the connection's own otherwise. */
  readonly id: string;
  readonly socket: ConnectionSocket;
  /** The connection's logger, or its parent when {@link logBindings} are given. */
  readonly logger: Logger;
  /**
   * Bindings of the connection's child of `logger` (room, session, address…), created on its first
   * use: a session that never logs holds no child logger (pino serializes a child's bindings into
   * a string at once, about half a KB per connection).
   */
  readonly logBindings?: Bindings;
  /** Whether the peer negotiated tandem.v1, and so takes a notice frame before a close (EXT-4). */
  readonly notices: boolean;
  /** Outgoing bytes the socket may hold before the connection is closed with 1013. */
  readonly maxBufferedBytes: number;
  /** How long a closed slow consumer's socket lives before it is destroyed. */
  readonly slowCloseGraceMs: number;
  /** Where sends and closes are counted (default: nowhere). */
  readonly metrics?: ConnectionMetrics;
  /**
   * The TCP socket under `socket`: several frames sent together then leave in one write, and bytes
   * read from it since a ping count as its answer (CONN-1), so no 'pong' listener is needed.
   */
  readonly stream?: TransportStream;
}

/**
 * Where a connection is in its life. `closing`: the server closed it (or terminated it) and waits
 * for the transport to end; a slow consumer's `terminateTimer` destroys it after the grace.
 */
type ConnectionState =
  | { readonly kind: 'open' }
  | { readonly kind: 'closing'; terminateTimer: NodeJS.Timeout | undefined }
  | { readonly kind: 'closed' };

const OPEN: ConnectionState = { kind: 'open' };
/** {@link Connection}'s readAtPing when its last ping was answered (no byte count is negative). */
const ANSWERED = -1;
const CLOSED: ConnectionState = { kind: 'closed' };

/**
 * A fresh random id (a UUID) held as one flat string. `randomUUID()` builds its result by
 * concatenation, which V8 keeps as a tree of about twenty pieces (about 490 B of heap, measured);
 * a connection keeps its id for its whole life, so the id is copied once into a flat string
 * (about 65 B).
 */
export function newConnectionId(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}

/** Reason strings travel in a close frame, which allows 123 bytes. */
const MAX_REASON_BYTES = 123;

/**
 * One transport endpoint: sending with backpressure (CONN-2), corked batches, closing with a code
 * (and a tandem.v1 notice), liveness (CONN-1). It knows nothing of rooms; a {@link Session} binds
 * one to a document. A multiplexed socket is one of these, and so is each document on it (over a
 * socket that wraps frames in `doc` frames).
 */
export class Connection {
  readonly id: string;
  private readonly socket: ConnectionSocket;
  private readonly stream: TransportStream | null;
  private readonly notices: boolean;
  private readonly maxBufferedBytes: number;
  private readonly slowCloseGraceMs: number;
  /** Where sends, closes and acks are counted. */
  readonly metrics: ConnectionMetrics;
  private state: ConnectionState = OPEN;
  /**
   * The stream's bytesRead when the last ping was sent (0 without a stream), or {@link ANSWERED}:
   * the last ping was answered (or none was sent yet).
   */
  private readAtPing = ANSWERED;
  // `closed`, made when first asked for (at shutdown): an open connection holds no promise for it.
  private closedWaiter: { readonly promise: Promise<void>; readonly resolve: () => void } | null = null;
  private logger: Logger;
  private logBindings: Bindings | null;

  constructor(options: ConnectionOptions) {
    this.id = options.id;
    this.socket = options.socket;
    this.stream = options.stream ?? null;
    this.logger = options.logger;
    this.logBindings = options.logBindings ?? null;
    this.notices = options.notices;
    this.maxBufferedBytes = options.maxBufferedBytes;
    this.slowCloseGraceMs = options.slowCloseGraceMs;
    this.metrics = options.metrics ?? NO_CONNECTION_METRICS;
  }

  /** Resolves once the transport has closed (whoever closed it). */
  get closed(): Promise<void> {
    if (this.closedWaiter === null) {
      if (this.state.kind === 'closed') return Promise.resolve();
      let resolve = () => {};
      const promise = new Promise<void>((settle) => {
        resolve = settle;
      });
      this.closedWaiter = { promise, resolve };
    }
    return this.closedWaiter.promise;
  }

  /** The connection's logger (its bindings in every line), created on first use. */
  get log(): Logger {
    if (this.logBindings !== null) {
      this.logger = this.logger.child(this.logBindings);
      this.logBindings = null;
    }
    return this.logger;
  }

  /** True until the connection starts closing. */
  get isOpen(): boolean {
    return this.state.kind === 'open';
  }

  /** Bytes queued on the socket and not yet written to the network. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /**
   * Sends a frame unless the connection is closing. A reader that has fallen behind by more
   * than the bound is closed with 1013 instead, so its backlog cannot grow without limit.
   */
  send(bytes: Uint8Array): boolean {
    if (this.state.kind !== 'open') return false;
    const buffered = this.socket.bufferedAmount;
    // An empty buffer always takes one frame, so a single large frame (a big initial sync) still goes out.
    if (buffered > 0 && buffered + bytes.byteLength > this.maxBufferedBytes) {
      this.closeSlowConsumer();
      return false;
    }
    this.socket.send(bytes);
    this.metrics.frameOut(bytes.byteLength);
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

  /**
   * Closes the connection with a documented code. tandem.v1 peers first get a notice frame
   * carrying the full message (a close reason is limited to 123 bytes).
   */
  close(code: number, message: string): void {
    if (this.state.kind !== 'open') return;
    this.state = { kind: 'closing', terminateTimer: undefined };
    this.metrics.closed(code);
    this.log.info({ code, reason: message }, 'closing session');
    if (code !== CloseCode.normal && this.notices) {
      const notice = encodeFrame({ type: 'notice', code, message });
      // Straight to the socket (send() refuses once closing), and only if it fits the bound.
      if (this.socket.bufferedAmount + notice.byteLength <= this.maxBufferedBytes) this.socket.send(notice);
    }
    this.socket.close(code, truncateUtf8(message, MAX_REASON_BYTES));
  }

  /** Destroys the transport at once (dead peer). */
  terminate(why: string): void {
    switch (this.state.kind) {
      case 'closed':
        return;
      case 'open':
        this.state = { kind: 'closing', terminateTimer: undefined };
        break;
      case 'closing':
        break;
      default:
        this.state satisfies never;
    }
    this.log.info({ reason: why }, 'terminating session');
    this.socket.terminate();
  }

  /** Called by the transport when the connection has ended. */
  handleTransportClosed(): void {
    const state = this.state;
    switch (state.kind) {
      case 'closed':
        return;
      case 'closing':
        clearTimeout(state.terminateTimer);
        break;
      case 'open':
        break;
      default:
        state satisfies never;
    }
    this.state = CLOSED;
    this.closedWaiter?.resolve();
  }

  /** Records a pong (WS-level or tandem.v1). */
  markAlive(): void {
    this.readAtPing = ANSWERED;
  }

  /**
   * One heartbeat tick: a connection that has not answered since the previous tick is terminated,
   * otherwise it is pinged. An answer is a pong ({@link markAlive}) or, over a stream, any bytes read
   * since the ping. Returns false when the connection was terminated.
   */
  heartbeat(): boolean {
    if (this.state.kind === 'closed') return false;
    const read = this.stream?.bytesRead ?? 0;
    if (read === this.readAtPing) {
      this.terminate('heartbeat missed');
      return false;
    }
    this.readAtPing = read;
    this.socket.ping();
    return true;
  }

  /** Whether bytes read from the stream answer pings (no 'pong' listener needed). */
  get readsAnswerPings(): boolean {
    return this.stream !== null;
  }

  private closeSlowConsumer(): void {
    this.log.warn({ bufferedBytes: this.socket.bufferedAmount, limit: this.maxBufferedBytes }, 'slow consumer');
    this.close(CloseCode.tryAgainLater, 'slow consumer: outgoing buffer over the limit');
    // A stalled reader will not read the close frame either: free its backlog soon. (A transport that
    // closed synchronously inside close(), as a multiplexed document's does, needs no timer.)
    const state = this.state;
    if (state.kind !== 'closing') return;
    state.terminateTimer = setTimeout(() => this.terminate('slow consumer did not close'), this.slowCloseGraceMs);
    state.terminateTimer.unref();
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
