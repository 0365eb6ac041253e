import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { FragmentingSocket } from './fragmenting-socket.js';

const FRAGMENT = 64 * 1024;

/** One WebSocket frame as it crossed the wire. */
interface WireFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/** A TCP client that upgrades by hand and records every frame the server sends, fragments included. */
class WireClient {
  readonly frames: WireFrame[] = [];
  private buffer = Buffer.alloc(0);
  private upgraded = false;

  constructor(readonly socket: Socket) {
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.read(chunk));
  }

  static async open(port: number): Promise<WireClient> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const client = new WireClient(socket);
    socket.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await waitFor(() => client.upgraded, { what: 'the upgrade' });
    return client;
  }

  /** The data messages, reassembled from their fragments. */
  messages(): Buffer[] {
    const out: Buffer[] = [];
    let parts: Buffer[] = [];
    for (const frame of this.frames) {
      if (frame.opcode >= 8) continue;
      parts.push(frame.payload);
      if (frame.fin) {
        out.push(Buffer.concat(parts));
        parts = [];
      }
    }
    return out;
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (!this.upgraded) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.upgraded = this.buffer.subarray(0, 12).toString('latin1') === 'HTTP/1.1 101';
      this.buffer = this.buffer.subarray(end + 4);
    }
    for (;;) {
      if (this.buffer.length < 2) return;
      const b0 = this.buffer[0] as number;
      const b1 = (this.buffer[1] as number) & 0x7f;
      let offset = 2;
      let length = b1;
      if (b1 === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (b1 === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) return;
      this.frames.push({
        fin: (b0 & 0x80) !== 0,
        opcode: b0 & 0x0f,
        payload: Buffer.from(this.buffer.subarray(offset, offset + length)),
      });
      this.buffer = this.buffer.subarray(offset + length);
    }
  }
}

/** A real ws server; each test takes its accepted sockets in order. */
const opened: { server: WebSocketServer; clients: WireClient[] }[] = [];

async function pair(count = 1): Promise<{ sockets: WebSocket[]; clients: WireClient[] }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const sockets: WebSocket[] = [];
  server.on('connection', (ws) => sockets.push(ws));
  const clients: WireClient[] = [];
  opened.push({ server, clients });
  for (let i = 0; i < count; i++) clients.push(await WireClient.open(port));
  await waitFor(() => sockets.length === count, { what: 'the server side of each connection' });
  return { sockets, clients };
}

/** A yield the test releases by hand: each fragment after the first waits for `release()`. */
function heldYields(): { yieldFn: (next: () => void) => void; release: () => void; readonly held: number } {
  const queue: (() => void)[] = [];
  return {
    yieldFn: (next) => {
      queue.push(next);
    },
    release: () => queue.shift()?.(),
    get held() {
      return queue.length;
    },
  };
}

/** One fragmenting socket over a real connection, with yields the test releases, and its wire client. */
async function onePair(): Promise<{
  socket: FragmentingSocket;
  client: WireClient;
  yields: ReturnType<typeof heldYields>;
}> {
  const { sockets, clients } = await pair();
  const yields = heldYields();
  const socket = new FragmentingSocket(sockets[0] as WebSocket, FRAGMENT, yields.yieldFn);
  return { socket, client: clients[0] as WireClient, yields };
}

function bytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
}

afterEach(async () => {
  for (const { server, clients } of opened.splice(0)) {
    for (const c of clients) c.socket.destroy();
    for (const ws of server.clients) ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe('FragmentingSocket', () => {
  it('CONN-6: a message larger than the fragment size leaves in fragments, one per turn, and arrives whole', async () => {
    const { socket, client, yields } = await onePair();
    const large = bytes(FRAGMENT * 3 + 100, 1);

    socket.send(large);
    await waitFor(() => client.frames.length === 1 && yields.held === 1, { what: 'the first fragment' });
    expect(client.frames[0]).toMatchObject({ fin: false, opcode: 2 });
    expect(client.frames[0]?.payload.length).toBe(FRAGMENT);
    for (let i = 2; i <= 4; i++) {
      yields.release();
      await waitFor(() => client.frames.length === i, { what: `fragment ${i}` });
    }
    expect(client.frames.map((f) => [f.fin, f.opcode, f.payload.length])).toEqual([
      [false, 2, FRAGMENT],
      [false, 0, FRAGMENT],
      [false, 0, FRAGMENT],
      [true, 0, 100],
    ]);
    expect(client.messages()).toEqual([large]);
    expect(yields.held).toBe(0);
  });

  it('CONN-6: messages sent while a large one is under way wait, counted in bufferedAmount, and follow it in order', async () => {
    const { socket, client, yields } = await onePair();
    const first = bytes(FRAGMENT * 2 + 1, 2);
    const small = bytes(10, 3);
    const second = bytes(FRAGMENT + 5, 4);
    const last = bytes(20, 5);

    socket.send(first);
    socket.send(small);
    socket.send(second);
    socket.send(last);
    expect(socket.bufferedAmount).toBeGreaterThanOrEqual(small.length + second.length + last.length);
    await waitFor(() => yields.held === 1, { what: 'the first fragment written' });
    for (let i = 0; i < 10 && yields.held > 0; i++) {
      yields.release();
      await waitFor(() => yields.held > 0 || client.messages().length === 4, { what: `turn ${i}` });
    }
    expect(client.messages()).toEqual([first, small, second, last]);
    expect(client.frames.filter((f) => f.opcode !== 0).map((f) => f.payload.length)).toEqual([
      FRAGMENT,
      small.length,
      FRAGMENT,
      last.length,
    ]);
    await waitFor(() => socket.bufferedAmount === 0, { what: 'nothing left waiting' });
  });

  it('CONN-6: other sockets send between two fragments of a large message', async () => {
    const { sockets, clients } = await pair(2);
    const yields = heldYields();
    const big = new FragmentingSocket(sockets[0] as WebSocket, FRAGMENT, yields.yieldFn);
    const other = new FragmentingSocket(sockets[1] as WebSocket, FRAGMENT, yields.yieldFn);
    big.send(bytes(FRAGMENT * 2, 6));
    await waitFor(() => yields.held === 1, { what: 'the first fragment' });
    other.send(bytes(8, 7));
    await waitFor(() => clients[1]?.messages().length === 1, { what: "the other socket's message" });
    expect(clients[0]?.messages()).toEqual([]);
    yields.release();
    await waitFor(() => clients[0]?.messages().length === 1, { what: 'the large message completed' });
  });

  it('CONN-6: a close sends the rest of the message and everything waiting first, then the close frame', async () => {
    const { socket, client, yields } = await onePair();
    const large = bytes(FRAGMENT * 4, 8);
    const notice = bytes(30, 9);
    socket.send(large);
    socket.send(notice);
    await waitFor(() => yields.held === 1, { what: 'the first fragment' });
    socket.close(1013, 'slow consumer');
    await waitFor(() => client.frames.some((f) => f.opcode === 8), { what: 'the close frame' });
    expect(client.messages()).toEqual([large, notice]);
    const close = client.frames.at(-1);
    expect(close?.opcode).toBe(8);
    expect(close?.payload.readUInt16BE(0)).toBe(1013);
    expect(close?.payload.subarray(2).toString('utf8')).toBe('slow consumer');
    // The held turn of the flushed message sends nothing more.
    yields.release();
    expect(socket.bufferedAmount).toBe(0);
  });

  it('CONN-6: terminate drops what waits; a write that fails ends the message without a throw', async () => {
    const { sockets, clients } = await pair(2);
    const yields = heldYields();
    const terminated = new FragmentingSocket(sockets[0] as WebSocket, FRAGMENT, yields.yieldFn);
    terminated.send(bytes(FRAGMENT * 2, 10));
    terminated.send(bytes(50, 11));
    await waitFor(() => yields.held === 1, { what: 'the first fragment' });
    expect(terminated.bufferedAmount).toBeGreaterThanOrEqual(50);
    terminated.terminate();
    expect(terminated.bufferedAmount).toBe(0);
    yields.release();
    await waitFor(() => sockets[0]?.readyState === 3, { what: 'the terminated socket closed' });

    // The peer goes away in the middle of a message: the next fragment's write fails.
    const lost = new FragmentingSocket(sockets[1] as WebSocket, FRAGMENT, (next) => setImmediate(next));
    const peer = clients[1] as WireClient;
    const closed = once(sockets[1] as WebSocket, 'close');
    peer.socket.destroy();
    await closed;
    lost.send(bytes(FRAGMENT * 3, 12));
    lost.send(bytes(40, 13));
    await waitFor(() => lost.bufferedAmount === (sockets[1] as WebSocket).bufferedAmount, {
      what: 'the waiting message dropped once a write failed',
    });
  });
});
