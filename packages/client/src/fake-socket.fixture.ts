// Test-only: an in-memory WebSocket for unit tests of reconnection and liveness under fake timers.
import type { WebSocketLike } from './types.js';

/** Every FakeSocket created, in order, with the time it was created. */
export interface FakeSocketLog {
  readonly sockets: FakeSocket[];
}

/** A WebSocket stand-in the test drives by hand: open(), receive(), closeFromServer(). */
export class FakeSocket implements WebSocketLike {
  binaryType = 'blob';
  readyState = 0;
  protocol = 'tandem.v1';
  readonly sent: Uint8Array[] = [];
  readonly createdAt = Date.now();
  closedByClient: { code?: number; reason?: string } | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {}

  send(data: Uint8Array): void {
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(bytes: Uint8Array): void {
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
  }

  closeFromServer(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

/** A WebSocket constructor that records every socket it makes into `log`. */
export function fakeSocketClass(log: FakeSocketLog): new (url: string, protocols?: string | string[]) => FakeSocket {
  return class extends FakeSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      log.sockets.push(this);
    }
  };
}
