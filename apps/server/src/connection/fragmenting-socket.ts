import type { ConnectionSocket } from './connection.js';

/** The WebSocket under a {@link FragmentingSocket}: ws's WebSocket fits it. */
export interface FragmentableSocket extends ConnectionSocket {
  /** Sends one fragment of a message (`fin`: its last); `written` runs once the bytes left for the kernel. */
  send(
    data: Uint8Array,
    options: { readonly binary: true; readonly fin: boolean },
    written: (err?: Error) => void,
  ): void;
  send(data: Uint8Array): void;
}

/** Yields to the event loop before the next fragment (setImmediate; a test may pass its own). */
export type YieldFn = (next: () => void) => void;

const yieldToLoop: YieldFn = (next) => {
  setImmediate(next);
};

/** Fragment size of large messages by default (a write of 256 KiB takes about 60 µs on loopback). */
export const DEFAULT_FRAGMENT_BYTES = 256 * 1024;

/**
 * A WebSocket whose large messages leave in fragments, one per event-loop turn (CONN-6). Sent
 * whole, a 10 MiB sync step 2 is one write call that the kernel serves in about 2 ms on loopback,
 * and every other room on the node waits for it; in fragments, other sockets' frames go between
 * them. Messages sent while a large one is on its way wait behind it, in order: a WebSocket
 * message's fragments cannot be interleaved with another message (RFC 6455 §5.4; pings can).
 *
 * {@link bufferedAmount} is the socket's own plus the messages waiting: the rest of the message
 * under way is not counted (it is not a backlog; it was admitted whole into an empty buffer).
 * A close sends everything accepted first, at once, so a close never cuts a message short.
 */
export class FragmentingSocket implements ConnectionSocket {
  private current: Uint8Array | null = null;
  private offset = 0;
  private waiting: Uint8Array[] | null = null;
  private waitingBytes = 0;

  constructor(
    private readonly socket: FragmentableSocket,
    private readonly fragmentBytes: number = DEFAULT_FRAGMENT_BYTES,
    private readonly yieldFn: YieldFn = yieldToLoop,
  ) {}

  get bufferedAmount(): number {
    return this.socket.bufferedAmount + this.waitingBytes;
  }

  send(data: Uint8Array): void {
    if (this.current !== null) {
      if (this.waiting === null) this.waiting = [data];
      else this.waiting.push(data);
      this.waitingBytes += data.byteLength;
    } else if (data.byteLength <= this.fragmentBytes) {
      this.socket.send(data);
    } else {
      this.current = data;
      this.offset = 0;
      this.nextFragment();
    }
  }

  close(code: number, reason: string): void {
    this.flush();
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.drop();
    this.socket.terminate();
  }

  ping(): void {
    this.socket.ping();
  }

  private nextFragment(): void {
    const message = this.current;
    if (message === null) return;
    const end = Math.min(this.offset + this.fragmentBytes, message.byteLength);
    const fin = end === message.byteLength;
    const fragment = message.subarray(this.offset, end);
    this.offset = end;
    if (fin) {
      this.current = null;
      this.socket.send(fragment, { binary: true, fin: true }, ignoreWritten);
      this.sendWaiting();
      return;
    }
    this.socket.send(fragment, { binary: true, fin: false }, (err) => {
      // A failed write means the socket is going away: what waits is dropped with it.
      if (err !== undefined && err !== null) this.drop();
      // Only this message's own chain goes on (after a flush, a later message has a chain of its own).
      else
        this.yieldFn(() => {
          if (this.current === message) this.nextFragment();
        });
    });
  }

  /** Sends the messages that waited behind a large one, until the next large one starts. */
  private sendWaiting(): void {
    const waiting = this.waiting;
    if (waiting === null) return;
    this.waiting = null;
    this.waitingBytes = 0;
    for (let i = 0; i < waiting.length; i++) {
      if (this.current !== null) {
        const rest = waiting.slice(i);
        this.waiting = rest;
        for (const m of rest) this.waitingBytes += m.byteLength;
        return;
      }
      this.send(waiting[i] as Uint8Array);
    }
  }

  /** Sends the rest of the message under way and everything waiting, with no pause. */
  private flush(): void {
    const message = this.current;
    if (message === null) return;
    this.current = null;
    this.socket.send(message.subarray(this.offset), { binary: true, fin: true }, ignoreWritten);
    const waiting = this.waiting ?? [];
    this.waiting = null;
    this.waitingBytes = 0;
    for (const m of waiting) this.socket.send(m);
  }

  private drop(): void {
    this.current = null;
    this.waiting = null;
    this.waitingBytes = 0;
  }
}

function ignoreWritten(): void {}
