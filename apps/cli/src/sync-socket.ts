import {
  CLOSE_CODE_TABLE,
  clampTimerDelay,
  decodeFrame,
  encodeFrame,
  type Frame,
  isCloseCode,
  setLongTimeout,
  TANDEM_SUBPROTOCOL,
} from '@tandem/protocol';
import WebSocket from 'ws';
import { CommandError, UsageError } from './args.js';

/** How to reach a room: the WebSocket URL and the room name from its `/sync/<room>` path. */
export interface RoomUrl {
  readonly url: string;
  readonly room: string;
}

/** Checks `ws(s)://host/…/sync/<room>` (http(s) is accepted and turned into ws(s)). */
export function parseRoomUrl(raw: string): RoomUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`not a URL: ${JSON.stringify(raw)} (expected ws://HOST:PORT/sync/<room>)`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new UsageError(`unsupported scheme ${url.protocol} (expected ws:// or wss://)`);
  }
  const match = /\/sync\/(.+)$/.exec(url.pathname);
  if (match?.[1] === undefined) throw new UsageError(`the URL path must end in /sync/<room>: ${raw}`);
  let room: string;
  try {
    room = decodeURIComponent(match[1]);
  } catch {
    throw new UsageError(`the room name in ${raw} is not valid percent-encoding`);
  }
  return { url: url.toString(), room };
}

/** Options for {@link SyncSocket.open}. */
export interface SyncSocketOptions {
  /** Sent as `Authorization: Bearer …` (never in the URL, so it stays out of proxy logs). */
  readonly token?: string | undefined;
  /** Offer the tandem.v1 subprotocol. */
  readonly tandem?: boolean;
  /** Bound on connecting (ms). */
  readonly timeoutMs?: number;
}

/** Describes a close code with its meaning from the protocol's table. */
export function describeClose(code: number, reason: string): string {
  const meaning = isCloseCode(code) ? CLOSE_CODE_TABLE[code].meaning : 'no documented meaning';
  return `${code} (${meaning})${reason === '' ? '' : `: ${reason}`}`;
}

/** A client WebSocket speaking the sync protocol: raw bytes in and out, frames decoded. */
export class SyncSocket {
  /** Resolves once the socket has closed, with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly listeners = new Set<(bytes: Uint8Array, frame: Frame | null) => void>();

  private constructor(private readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
    });
    ws.on('message', (data) => {
      const bytes = toBytes(data);
      const decoded = decodeFrame(bytes);
      for (const listener of this.listeners) listener(bytes, decoded.ok ? decoded.frame : null);
    });
  }

  /** Connects to `url`; rejects with a CommandError naming the cause (refused, HTTP status, timeout). */
  static open(url: string, options: SyncSocketOptions = {}): Promise<SyncSocket> {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const ws = new WebSocket(url, options.tandem === true ? [TANDEM_SUBPROTOCOL] : [], {
      headers,
      // ws arms a plain setTimeout with it: past 2^31-1 ms it would abort the handshake at once.
      handshakeTimeout: clampTimerDelay(options.timeoutMs ?? 10_000),
    });
    ws.binaryType = 'nodebuffer';
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.removeAllListeners('error');
        // An error after the handshake is followed by 'close'; the close carries the story.
        ws.on('error', () => {});
        resolve(new SyncSocket(ws));
      });
      ws.once('unexpected-response', (_req, res) => {
        const status = `${res.statusCode} ${res.statusMessage ?? ''}`.trim();
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8').slice(0, 300);
          reject(new CommandError(`${url}: the server refused the upgrade: HTTP ${status}${body ? ` ${body}` : ''}`));
        });
        ws.on('error', () => {});
        ws.terminate();
      });
      ws.once('error', (err: NodeJS.ErrnoException) => {
        reject(new CommandError(`cannot connect to ${url}: ${err.code ?? err.message}`));
      });
    });
  }

  /** The negotiated subprotocol ('' for plain y-websocket). */
  get protocol(): string {
    return this.ws.protocol;
  }

  /** Calls `listener` with every received frame's bytes and decoded frame (null if undecodable). */
  onFrame(listener: (bytes: Uint8Array, frame: Frame | null) => void): void {
    this.listeners.add(listener);
  }

  /** Sends a frame; returns its encoded bytes. */
  send(frame: Frame): Uint8Array {
    const bytes = encodeFrame(frame);
    this.ws.send(bytes);
    return bytes;
  }

  /** Closes normally and waits for the close handshake (bounded: terminated after 2 s). */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000, 'done');
    const timer = setTimeout(() => this.ws.terminate(), 2_000);
    await this.closed;
    clearTimeout(timer);
  }

  /**
   * Resolves with the first value `pick` returns for a received frame; rejects when the socket
   * closes first or `timeoutMs` passes. `what` names the awaited thing in errors.
   */
  waitFor<T>(pick: (frame: Frame) => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      // --timeout is user input: a long timer waits it out even past 2^31-1 ms.
      const timer = setLongTimeout(() => {
        this.listeners.delete(listener);
        reject(new CommandError(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const listener = (_bytes: Uint8Array, frame: Frame | null) => {
        const value = frame === null ? undefined : pick(frame);
        if (value === undefined) return;
        timer.cancel();
        this.listeners.delete(listener);
        resolve(value);
      };
      this.listeners.add(listener);
      void this.closed.then(({ code, reason }) => {
        if (!this.listeners.has(listener)) return;
        this.listeners.delete(listener);
        timer.cancel();
        reject(new CommandError(`the server closed the connection before ${what}: ${describeClose(code, reason)}`));
      });
    });
  }
}

function toBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
