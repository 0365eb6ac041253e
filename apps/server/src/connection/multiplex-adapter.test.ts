import { EventEmitter } from 'node:events';
import { CloseCode, decodeFrame, encode, type Frame } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { ConnectionCounter } from '../http/client-address.js';
import { NO_CONNECTION_METRICS } from './connection-metrics.js';
import type { JoinedRoom } from './document-channel.js';
import { openMultiplexConnection } from './multiplex-adapter.js';
import type { LiveConnection, PipelineDeps } from './pipeline-deps.js';
import type { Session } from './session.js';

/** A ws stand-in: the test emits client messages; what the server sends is decoded and kept. */
class FakeWs extends EventEmitter {
  bufferedAmount = 0;
  readonly sent: Frame[] = [];
  readonly closes: number[] = [];
  send(data: Uint8Array): void {
    const decoded = decodeFrame(data);
    if (!decoded.ok) throw new Error('the server sent an undecodable frame');
    this.sent.push(decoded.frame);
  }
  close(code: number): void {
    this.closes.push(code);
  }
  terminate(): void {}
  ping(): void {}
  /** A binary message from the client. */
  deliver(bytes: Uint8Array): void {
    this.emit('message', Buffer.from(bytes), true);
  }
}

function makeConnection(maxDocsPerConnection = 4) {
  const ws = new FakeWs();
  const received: { doc: string; frame: Frame }[] = [];
  const joined: Session[] = [];
  const left: Session[] = [];
  const room = (doc: string): JoinedRoom => ({ receive: (_s, frame) => received.push({ doc, frame }) });
  const live = new Set<LiveConnection>();
  const deps: PipelineDeps = {
    limits: {
      maxBufferedBytes: 1 << 20,
      maxPreAuthBytes: 1 << 16,
      authTimeoutMs: 60_000,
      slowCloseGraceMs: 500,
      sendFragmentBytes: 256 * 1024,
      rateLimits: { messagesPerSecond: 1000, messageBurst: 1000, bytesPerSecond: 1 << 24, byteBurst: 1 << 24 },
      maxDocsPerConnection,
    },
    registry: {
      join: async (session) => {
        joined.push(session);
        return room(session.roomId);
      },
      leave: (session) => left.push(session),
    },
    live,
    connections: new ConnectionCounter(),
    logger: pino({ level: 'silent' }),
    verifier: null,
    metrics: NO_CONNECTION_METRICS,
    recorder: { isRecording: () => false, record: () => {} },
  };
  openMultiplexConnection(ws as unknown as WebSocket, { identity: null, stream: null, address: '127.0.0.1' }, deps);
  return { ws, received, joined, left, live };
}

const update = (n: number) => encode.syncUpdate(new Uint8Array([n]));

describe('MultiplexAdapter', () => {
  it('MUX-1/MUX-2: each opened document joins its own room and gets the frames wrapped for it', async () => {
    const { ws, received, joined, live } = makeConnection();
    expect(live.size).toBe(1);
    ws.deliver(encode.open('a'));
    ws.deliver(encode.open('b'));
    ws.deliver(encode.doc('a', update(1)));
    ws.deliver(encode.doc('b', update(2)));
    await waitFor(() => received.length === 2, { what: 'both documents’ frames delivered' });
    expect(joined.map((s) => s.roomId)).toEqual(['a', 'b']);
    expect(new Set(joined.map((s) => s.id)).size).toBe(2);
    expect(received.map((r) => r.doc)).toEqual(['a', 'b']);
  });

  it('MUX-3: a nested multiplexing frame closes only its document, with close-doc 1008', async () => {
    const { ws, joined, left } = makeConnection();
    ws.deliver(encode.open('a'));
    ws.deliver(encode.open('b'));
    await waitFor(() => joined.length === 2, { what: 'both joined' });
    ws.deliver(encode.doc('a', encode.open('c')));
    expect(ws.sent).toContainEqual(
      expect.objectContaining({ type: 'close-doc', doc: 'a', code: CloseCode.policyViolation }),
    );
    expect(left.map((s) => s.roomId)).toEqual(['a']);
    expect(ws.closes).toEqual([]);
  });

  it('MUX-4: an open past the limit is refused with close-doc 1008', async () => {
    const { ws, joined } = makeConnection(1);
    ws.deliver(encode.open('a'));
    ws.deliver(encode.open('b'));
    expect(ws.sent).toEqual([
      expect.objectContaining({ type: 'close-doc', doc: 'b', code: CloseCode.policyViolation }),
    ]);
    await waitFor(() => joined.length === 1, { what: 'the first document joined' });
    expect(joined.map((s) => s.roomId)).toEqual(['a']);
  });

  it('MUX-5: an unwrapped document frame closes the connection with 1008', () => {
    const { ws } = makeConnection();
    ws.deliver(update(1));
    expect(ws.closes).toEqual([CloseCode.policyViolation]);
  });

  it('EXT-2: the carrier answers an app-level ping with a pong', () => {
    const { ws } = makeConnection();
    ws.deliver(encode.ping(7));
    expect(ws.sent).toEqual([{ type: 'pong', id: 7 }]);
  });

  it('a client close-doc leaves the document; the socket’s close leaves every other one', async () => {
    const { ws, joined, left, live } = makeConnection();
    ws.deliver(encode.open('a'));
    ws.deliver(encode.open('b'));
    await waitFor(() => joined.length === 2, { what: 'both joined' });
    ws.deliver(encode.closeDoc('a', CloseCode.normal, ''));
    expect(left.map((s) => s.roomId)).toEqual(['a']);
    ws.emit('close', CloseCode.normal, Buffer.from(''));
    expect(left.map((s) => s.roomId)).toEqual(['a', 'b']);
    expect(live.size).toBe(0);
    expect(joined.every((s) => !s.isOpen)).toBe(true);
  });
});
