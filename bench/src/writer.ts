import { decodeFrame, encode, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { closeSocket } from './close-socket.js';

/** Waiting for one ack: resolves with the `process.hrtime.bigint()` at which the ack arrived. */
interface AckWaiter {
  readonly through: number;
  readonly resolve: (arrivedAt: bigint) => void;
  readonly reject: (err: Error) => void;
}

/**
 * One tandem.v1 client that only writes: each write pushes a short string into a Y.Array of its
 * own Y.Doc and sends the resulting update as a sync-update frame. Frames other than acks and
 * notices (the server's sync step 1, other writers' updates relayed by the room) are ignored.
 */
export class Writer {
  private readonly ws: WebSocket;
  private readonly doc = new Y.Doc();
  private readonly items = this.doc.getArray<string>('items');
  private captured: Uint8Array | null = null;
  /** Update frames sent on this connection (the server numbers them from 1 the same way). */
  private sent = 0;
  /** Highest frame number the server has acked as durable. */
  private acked = 0;
  private waiter: AckWaiter | null = null;
  private failure: Error | null = null;

  private constructor(
    readonly name: string,
    ws: WebSocket,
  ) {
    this.ws = ws;
    this.doc.on('update', (update: Uint8Array) => {
      this.captured = update;
    });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', (code, reason) => this.fail(new Error(`${name}: socket closed (${code} ${reason.toString()})`)));
    // Without an error listener ws throws on protocol errors; the close that follows rejects any waiter.
    ws.on('error', (err) => this.fail(new Error(`${name}: socket error: ${err.message}`)));
  }

  /**
   * Opens `ws://127.0.0.1:<port>/sync/<room>` with the tandem.v1 subprotocol and resolves once the
   * server has joined the session to its room (its sync step 1 arrived), so writes start the clock
   * on a live room rather than on a room still loading.
   */
  static connect(port: number, room: string, name: string, timeoutMs: number): Promise<Writer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/sync/${encodeURIComponent(room)}`, [TANDEM_SUBPROTOCOL]);
      ws.binaryType = 'nodebuffer';
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`${name}: not joined to ${room} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onEarlyError = (err: Error) => {
        clearTimeout(timer);
        reject(new Error(`${name}: could not connect: ${err.message}`));
      };
      const onEarlyClose = (code: number, reason: Buffer) => {
        clearTimeout(timer);
        reject(new Error(`${name}: closed before joining ${room} (${code} ${reason.toString()})`));
      };
      ws.once('error', onEarlyError);
      ws.once('close', onEarlyClose);
      ws.once('open', () => {
        if (ws.protocol !== TANDEM_SUBPROTOCOL) {
          clearTimeout(timer);
          ws.terminate();
          reject(new Error(`${name}: server did not negotiate ${TANDEM_SUBPROTOCOL} (got "${ws.protocol}")`));
          return;
        }
        ws.once('message', () => {
          clearTimeout(timer);
          ws.off('error', onEarlyError);
          ws.off('close', onEarlyClose);
          resolve(new Writer(name, ws));
        });
      });
    });
  }

  /**
   * Sends one update and waits for the ack that covers it. Resolves with the latency in
   * nanoseconds (send call to ack arrival); rejects on timeout, notice, close or error.
   */
  write(timeoutMs: number): Promise<bigint> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.waiter !== null) return Promise.reject(new Error(`${this.name}: a write is already in flight`));
    this.captured = null;
    this.items.push([`${this.name}:${this.sent + 1}`]);
    const update = this.captured as Uint8Array | null;
    if (update === null) return Promise.reject(new Error(`${this.name}: the push produced no update`));
    const frame = encode.syncUpdate(update);
    this.sent += 1;
    const through = this.sent;
    return new Promise<bigint>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`${this.name}: no ack for frame ${through} within ${timeoutMs} ms (acked ${this.acked})`));
      }, timeoutMs);
      const startedAt = process.hrtime.bigint();
      this.waiter = {
        through,
        resolve: (arrivedAt) => {
          clearTimeout(timer);
          resolve(arrivedAt - startedAt);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.ws.send(frame);
    });
  }

  /** Closes the connection normally (the server drains and forgets the session). */
  close(): Promise<void> {
    this.failure ??= new Error(`${this.name}: closed`);
    return closeSocket(this.ws, 'bench done');
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (!isBinary) return;
    const arrivedAt = process.hrtime.bigint();
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      this.fail(new Error(`${this.name}: undecodable frame from the server: ${decoded.error.message}`));
      return;
    }
    const frame = decoded.frame;
    if (frame.type === 'notice') {
      this.fail(new Error(`${this.name}: server notice ${frame.code}: ${frame.message}`));
      return;
    }
    if (frame.type !== 'ack') return;
    if (frame.through > this.acked) this.acked = frame.through;
    const waiter = this.waiter;
    if (waiter !== null && this.acked >= waiter.through) {
      this.waiter = null;
      waiter.resolve(arrivedAt);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(this.failure);
  }
}
