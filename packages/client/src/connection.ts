import {
  CloseCode,
  clampTimerDelay,
  decodeFrame,
  encode,
  type Frame,
  type LongTimer,
  setLongTimeout,
  TANDEM_SUBPROTOCOL,
} from '@tandem/protocol';
import { ObservableV2 } from 'lib0/observable';
import { type BackoffPolicy, DEFAULT_BACKOFF, nextRetry } from './backoff.js';
import { closeAction, refusalWords } from './close-policy.js';
import { DEFAULT_LIVENESS, type LivenessPolicy, livenessVerdict } from './liveness.js';
import {
  type Channel,
  InvalidTokenError,
  readToken,
  type TokenSource,
  type WebSocketConstructor,
  type WebSocketLike,
} from './types.js';

/** Where a connection is in its life. */
export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected' | 'failed';

/** A status change; `code` and `reason` say why a connection closed or failed. */
export interface StatusEvent {
  readonly status: ConnectionStatus;
  readonly code?: number;
  readonly reason?: string;
}

/** Options of a {@link TandemConnection}. */
export interface ConnectionOptions {
  /** Full URL: `ws://host/sync/<room>` for one document, `ws://host/sync` for a multiplexed connection. */
  readonly url: string;
  /** One socket for many documents (tandem.v1 `doc` frames). */
  readonly multiplexed: boolean;
  /** 'plain' speaks stock y-websocket (no subprotocol, no acks, no app pings). Default 'tandem'. */
  readonly mode?: 'tandem' | 'plain';
  /**
   * Read on every (re)connect (functions are called each time): sent in an auth-token frame
   * over tandem.v1, as the `token` query parameter in plain mode.
   */
  readonly token?: TokenSource;
  /** WebSocket implementation (default: the global one). */
  readonly WebSocket?: WebSocketConstructor;
  readonly backoff?: Partial<BackoffPolicy>;
  readonly liveness?: Partial<LivenessPolicy>;
  /** Source of randomness for jitter (default Math.random). */
  readonly random?: () => number;
}

type Events = {
  status: (event: StatusEvent) => void;
};

const OPEN = 1;

/**
 * One WebSocket with reconnection (exponential backoff, full jitter), liveness (app-level
 * ping over tandem.v1), and routing of frames to the documents attached to it.
 */
export class TandemConnection extends ObservableV2<Events> {
  readonly url: string;
  readonly multiplexed: boolean;
  readonly mode: 'tandem' | 'plain';
  private readonly options: ConnectionOptions;
  private readonly backoff: BackoffPolicy;
  private readonly liveness: LivenessPolicy;
  private readonly random: () => number;
  private readonly channels = new Map<string, Channel>();
  private socket: WebSocketLike | null = null;
  private statusValue: ConnectionStatus = 'disconnected';
  private wanted = false;
  private attempt = 0;
  private lastToken: string | null = null;
  private lastReceived = 0;
  private lastPing = 0;
  private pingId = 0;
  // Backoff and stability delays come from user options: long timers, so a cap past ~24.8 days
  // (2^31-1 ms) waits as configured instead of firing at once.
  private retryTimer: LongTimer | undefined;
  private stableTimer: LongTimer | undefined;
  private livenessTimer: ReturnType<typeof setInterval> | undefined;
  private readonly docRetryTimers = new Map<string, LongTimer>();
  /** Consecutive failures per multiplexed document; reset as the connection's own count is (CLIENT-12). */
  private readonly docAttempts = new Map<string, number>();
  private readonly docStableTimers = new Map<string, LongTimer>();
  private readonly removeBrowserListeners: () => void;

  constructor(options: ConnectionOptions) {
    super();
    this.options = options;
    this.url = options.url;
    this.multiplexed = options.multiplexed;
    this.mode = options.mode ?? 'tandem';
    if (this.multiplexed && this.mode === 'plain') throw new Error('a multiplexed connection needs tandem.v1');
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.liveness = { ...DEFAULT_LIVENESS, ...options.liveness };
    this.random = options.random ?? Math.random;
    this.removeBrowserListeners = this.listenToBrowser();
  }

  /** The current status. */
  get status(): ConnectionStatus {
    return this.statusValue;
  }

  /** True while the socket is open. */
  get connected(): boolean {
    return this.statusValue === 'connected';
  }

  /** Starts connecting (and reconnecting after failures) until {@link disconnect}. */
  connect(): void {
    this.wanted = true;
    if (this.socket !== null || this.retryTimer !== undefined) return;
    if (this.statusValue === 'failed') this.attempt = 0;
    void this.open();
  }

  /** Closes the socket and stops reconnecting. */
  disconnect(): void {
    this.wanted = false;
    this.clearRetry();
    this.resetDocRetries();
    const socket = this.socket;
    if (socket !== null) {
      this.detachSocket(socket);
      socket.close(CloseCode.normal, 'client disconnected');
      this.handleClosed(CloseCode.normal, 'client disconnected');
    }
  }

  /** Disconnects and releases every listener. */
  override destroy(): void {
    this.disconnect();
    this.channels.clear();
    this.removeBrowserListeners();
    super.destroy();
  }

  /** Attaches a document; it opens now if connected, else on the next connection. */
  attach(channel: Channel): void {
    if (!this.multiplexed && this.channels.size > 0 && !this.channels.has(channel.room)) {
      throw new Error('a single-document connection carries one document; use a multiplexed connection');
    }
    this.channels.set(channel.room, channel);
    if (this.connected) void this.openChannel(channel);
  }

  /** Detaches a document (a multiplexed connection tells the server it left). */
  detach(channel: Channel): void {
    if (this.channels.get(channel.room) !== channel) return;
    this.channels.delete(channel.room);
    this.docRetryTimers.get(channel.room)?.cancel();
    this.docRetryTimers.delete(channel.room);
    this.forgetDocAttempts(channel.room);
    if (this.multiplexed && this.connected) this.sendRaw(encode.closeDoc(channel.room, CloseCode.normal, 'left'));
  }

  /** Reopens one document of a multiplexed connection (after its token was refreshed). */
  reopen(channel: Channel): void {
    if (this.channels.get(channel.room) === channel && this.connected) void this.openChannel(channel);
  }

  /** Tries now instead of waiting out the backoff (browser came online, tab became visible). */
  retryNow(): void {
    if (!this.wanted || this.socket !== null || this.statusValue === 'failed') return;
    this.clearRetry();
    void this.open();
  }

  private async open(): Promise<void> {
    this.setStatus({ status: 'connecting' });
    let token: string | null;
    try {
      token = await readToken(this.options.token);
    } catch (err) {
      // Not a token at all (an HTML page, CLIENT-15): asking again would only get the same page.
      if (err instanceof InvalidTokenError) this.fail(CloseCode.unauthenticated, err.message);
      else this.scheduleRetry(CloseCode.internalError, `token function failed: ${String(err)}`);
      return;
    }
    if (!this.wanted || this.socket !== null) return;
    this.lastToken = token;
    // tandem.v1 authenticates in-band (an auth-token frame first thing), so a refusal arrives as a
    // 4401/4403 close the client can act on; plain y-websocket can only send it in the URL.
    const url = token === null || this.mode === 'tandem' ? this.url : withQuery(this.url, 'token', token);
    const Impl = this.options.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketConstructor | undefined);
    if (Impl === undefined) throw new Error('no WebSocket implementation: pass the `WebSocket` option (e.g. ws)');
    const socket = this.mode === 'plain' ? new Impl(url) : new Impl(url, [TANDEM_SUBPROTOCOL]);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => this.handleOpen();
    socket.onmessage = (event) => this.handleMessage(event.data);
    socket.onclose = (event) => {
      this.detachSocket(socket);
      this.handleClosed(event.code, event.reason);
    };
    socket.onerror = () => {};
  }

  private handleOpen(): void {
    this.lastReceived = Date.now();
    this.setStatus({ status: 'connected' });
    this.stableTimer = setLongTimeout(() => {
      this.attempt = 0;
    }, this.backoff.stableAfterMs);
    this.startLiveness();
    if (this.mode === 'tandem' && this.lastToken !== null) this.sendRaw(encode.authToken(this.lastToken));
    // A new connection opens every document afresh: their earlier failures and pending retries are moot.
    this.resetDocRetries();
    for (const channel of this.channels.values()) void this.openChannel(channel);
  }

  private async openChannel(channel: Channel): Promise<void> {
    if (!this.multiplexed) {
      channel.onOpen((frame) => this.sendRaw(frame));
      return;
    }
    let token: string;
    try {
      token = (await readToken(channel.token)) ?? '';
    } catch (err) {
      if (err instanceof InvalidTokenError && this.channels.get(channel.room) === channel) {
        channel.onClose({ code: CloseCode.unauthenticated, reason: err.message, retrying: false });
      }
      return;
    }
    if (!this.connected || this.channels.get(channel.room) !== channel) return;
    this.sendRaw(encode.open(channel.room, token));
    channel.onOpen((frame) => this.sendRaw(encode.doc(channel.room, frame)));
  }

  private handleMessage(data: unknown): void {
    this.lastReceived = Date.now();
    const bytes = toBytes(data);
    if (bytes === null) return;
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) return;
    const frame = decoded.frame;
    if (frame.type === 'pong') return;
    if (frame.type === 'ping') {
      this.sendRaw(encode.pong(frame.id));
      return;
    }
    if (!this.multiplexed) {
      const [channel] = this.channels.values();
      channel?.onFrame(frame);
      return;
    }
    if (frame.type === 'doc') {
      const channel = this.channels.get(frame.doc);
      if (channel === undefined) return;
      this.docAnswered(frame.doc);
      const inner = decodeFrame(frame.frame);
      if (inner.ok) channel.onFrame(inner.frame);
    } else if (frame.type === 'close-doc') {
      this.handleDocClosed(frame);
    }
  }

  /** A multiplexed document was closed by the server: retry it unless the code says not to. */
  private handleDocClosed(frame: Extract<Frame, { type: 'close-doc' }>): void {
    const channel = this.channels.get(frame.doc);
    if (channel === undefined) return;
    const terminal = closeAction(frame.code, 'document') === 'stop';
    this.docStableTimers.get(frame.doc)?.cancel();
    this.docStableTimers.delete(frame.doc);
    const attempt = this.docAttempts.get(frame.doc) ?? 0;
    const decision = terminal
      ? ({ retry: false, reason: frame.reason } as const)
      : nextRetry(frame.code, attempt, this.backoff, this.random);
    channel.onClose({ code: frame.code, reason: frame.reason, retrying: decision.retry });
    if (!decision.retry) return;
    this.docAttempts.set(frame.doc, attempt + 1);
    this.docRetryTimers.get(frame.doc)?.cancel();
    this.docRetryTimers.set(
      frame.doc,
      setLongTimeout(() => {
        this.docRetryTimers.delete(frame.doc);
        this.reopen(channel);
      }, decision.delayMs),
    );
  }

  /**
   * The server answered a document (its first frame since it was opened): once it has stayed
   * open `stableAfterMs`, its next failure backs off from the base again (CLIENT-12).
   */
  private docAnswered(doc: string): void {
    if (!this.docAttempts.has(doc) || this.docStableTimers.has(doc)) return;
    this.docStableTimers.set(
      doc,
      setLongTimeout(() => {
        this.docStableTimers.delete(doc);
        this.docAttempts.delete(doc);
      }, this.backoff.stableAfterMs),
    );
  }

  private forgetDocAttempts(doc: string): void {
    this.docStableTimers.get(doc)?.cancel();
    this.docStableTimers.delete(doc);
    this.docAttempts.delete(doc);
  }

  private resetDocRetries(): void {
    for (const timer of this.docRetryTimers.values()) timer.cancel();
    this.docRetryTimers.clear();
    this.stopDocStableTimers();
    this.docAttempts.clear();
  }

  private stopDocStableTimers(): void {
    for (const timer of this.docStableTimers.values()) timer.cancel();
    this.docStableTimers.clear();
  }

  private handleClosed(code: number, reason: string): void {
    this.socket = null;
    this.stableTimer?.cancel();
    // A document is not open without its connection: it is not becoming stable either.
    this.stopDocStableTimers();
    clearInterval(this.livenessTimer);
    const wasWanted = this.wanted;
    if (!wasWanted) {
      this.notifyChannels(code, reason, false);
      this.setStatus({ status: 'disconnected', code, reason });
      return;
    }
    if (code === CloseCode.unauthenticated && typeof this.options.token === 'function') {
      void this.retryWithFreshToken(code, reason);
      return;
    }
    // 4401 is retried only with a new token (above); the other refusals cannot be helped by trying again.
    if (closeAction(code, 'connection') === 'stop') {
      this.fail(code, `${refusalWords(code)}: ${reason}`);
      return;
    }
    this.scheduleRetry(code, reason);
  }

  /** 4401: only a token different from the refused one is worth another attempt. */
  private async retryWithFreshToken(code: number, reason: string): Promise<void> {
    const refused = this.lastToken;
    let fresh: string | null = null;
    try {
      fresh = await readToken(this.options.token);
    } catch (err) {
      if (err instanceof InvalidTokenError) {
        this.fail(code, err.message);
        return;
      }
      fresh = null;
    }
    if (fresh === null || fresh === refused) {
      this.fail(code, `authentication failed and the token function returned no new token: ${reason}`);
      return;
    }
    this.notifyChannels(code, reason, true);
    this.setStatus({ status: 'disconnected', code, reason });
    this.retryTimer = setLongTimeout(() => {
      this.retryTimer = undefined;
      void this.open();
    }, 0);
  }

  private scheduleRetry(code: number, reason: string): void {
    const decision = nextRetry(code, this.attempt, this.backoff, this.random);
    if (!decision.retry) {
      this.fail(code, decision.reason);
      return;
    }
    this.notifyChannels(code, reason, true);
    this.setStatus({ status: 'disconnected', code, reason });
    this.attempt++;
    this.retryTimer = setLongTimeout(() => {
      this.retryTimer = undefined;
      if (this.wanted) void this.open();
    }, decision.delayMs);
  }

  private fail(code: number, reason: string): void {
    this.wanted = false;
    this.notifyChannels(code, reason, false);
    this.setStatus({ status: 'failed', code, reason });
  }

  private notifyChannels(code: number, reason: string, retrying: boolean): void {
    for (const channel of this.channels.values()) channel.onClose({ code, reason, retrying });
  }

  private startLiveness(): void {
    clearInterval(this.livenessTimer);
    // Clamped: an interval past 2^31-1 ms would run every millisecond instead.
    const every = clampTimerDelay(
      Math.max(10, Math.min(this.liveness.pingIntervalMs, this.liveness.pongTimeoutMs) / 2),
    );
    this.livenessTimer = setInterval(() => this.checkLiveness(), every);
  }

  private checkLiveness(): void {
    const socket = this.socket;
    if (socket === null || !this.connected) return;
    const now = Date.now();
    const syncing = [...this.channels.values()].some((c) => c.awaitingSync);
    const verdict = livenessVerdict(now - this.lastReceived, this.liveness, { plain: this.mode === 'plain', syncing });
    if (verdict === 'dead') {
      // A half-open socket may never finish a close handshake: stop waiting for it.
      this.detachSocket(socket);
      socket.close(CloseCode.normal, 'liveness timeout');
      this.handleClosed(1006, 'no answer from the server (liveness timeout)');
    } else if (verdict === 'ping' && now - this.lastPing >= this.liveness.pingIntervalMs) {
      this.lastPing = now;
      this.pingId++;
      this.sendRaw(encode.ping(this.pingId));
    }
  }

  private sendRaw(bytes: Uint8Array): void {
    if (this.socket?.readyState === OPEN) this.socket.send(bytes);
  }

  private detachSocket(socket: WebSocketLike): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = () => {};
    if (this.socket === socket) this.socket = null;
  }

  private clearRetry(): void {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
  }

  private setStatus(event: StatusEvent): void {
    this.statusValue = event.status;
    this.emit('status', [event]);
  }

  private listenToBrowser(): () => void {
    const win = globalThis as unknown as {
      addEventListener?: (type: string, fn: () => void) => void;
      removeEventListener?: (type: string, fn: () => void) => void;
      document?: { visibilityState?: string };
    };
    if (typeof win.addEventListener !== 'function' || win.document === undefined) return () => {};
    const onOnline = () => this.retryNow();
    const onVisible = () => {
      if (win.document?.visibilityState === 'visible') this.retryNow();
    };
    win.addEventListener('online', onOnline);
    win.addEventListener('visibilitychange', onVisible);
    return () => {
      win.removeEventListener?.('online', onOnline);
      win.removeEventListener?.('visibilitychange', onVisible);
    };
  }
}

function withQuery(url: string, key: string, value: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${key}=${encodeURIComponent(value)}`;
}

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return data;
  if (Array.isArray(data)) return null;
  return null;
}
