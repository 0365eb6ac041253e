import type { ConnectionSocket } from './connection.js';

/** An in-memory transport that records what a connection did to it (unit tests). */
export interface FakeSocket extends ConnectionSocket {
  bufferedAmount: number;
  readonly sent: Uint8Array[];
  readonly closes: { code: number; reason: string }[];
  terminations: number;
  pings: number;
}

/** A fresh {@link FakeSocket} with an empty buffer. */
export function fakeSocket(): FakeSocket {
  return {
    bufferedAmount: 0,
    sent: [],
    closes: [],
    terminations: 0,
    pings: 0,
    send(data) {
      this.sent.push(data);
    },
    close(code, reason) {
      this.closes.push({ code, reason });
    },
    terminate() {
      this.terminations++;
    },
    ping() {
      this.pings++;
    },
  };
}
