import { CloseCode, decodeFrame, encode, type Frame } from '@tandem/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Connection } from './connection.js';
import { type FakeSocket, fakeSocket } from './fake-socket.fixture.js';

const logger = pino({ level: 'silent' });

/** A connection over a fake socket; `notices`: whether its peer speaks tandem.v1. */
function makeConnection(
  notices = false,
  options: { maxBufferedBytes?: number; slowCloseGraceMs?: number } = {},
): { connection: Connection; socket: FakeSocket } {
  const socket = fakeSocket();
  const connection = new Connection({
    id: 'c1',
    socket,
    logger,
    notices,
    maxBufferedBytes: options.maxBufferedBytes ?? 1024,
    slowCloseGraceMs: options.slowCloseGraceMs ?? 500,
  });
  return { connection, socket };
}

function decoded(bytes: Uint8Array | undefined): Frame {
  if (bytes === undefined) throw new Error('no frame was sent');
  const result = decodeFrame(bytes);
  if (!result.ok) throw new Error(`undecodable frame: ${result.error.message}`);
  return result.frame;
}

const frameOf = (size: number) => new Uint8Array(size);

describe('Connection.send', () => {
  it('sends while the connection is open', () => {
    const { connection, socket } = makeConnection();
    const frame = encode.syncUpdate(new Uint8Array([1, 2, 3]));
    expect(connection.send(frame)).toBe(true);
    expect(socket.sent).toEqual([frame]);
  });

  it('CONN-2: an empty buffer always takes one frame, even one larger than the bound', () => {
    const { connection, socket } = makeConnection(false, { maxBufferedBytes: 1024 });
    expect(connection.send(frameOf(10_000))).toBe(true);
    expect(socket.sent).toHaveLength(1);
    expect(connection.isOpen).toBe(true);
  });

  it('CONN-2: a frame that still fits next to the buffered bytes is sent', () => {
    const { connection, socket } = makeConnection(false, { maxBufferedBytes: 1024 });
    socket.bufferedAmount = 1000;
    expect(connection.send(frameOf(24))).toBe(true);
    expect(socket.sent).toHaveLength(1);
    expect(socket.closes).toEqual([]);
  });

  it('CONN-2: a frame that would take a non-empty buffer past the bound closes the connection with 1013', () => {
    const { connection, socket } = makeConnection(false, { maxBufferedBytes: 1024 });
    socket.bufferedAmount = 1000;
    expect(connection.send(frameOf(25))).toBe(false);
    expect(socket.sent).toEqual([]);
    expect(socket.closes).toHaveLength(1);
    expect(socket.closes[0]?.code).toBe(CloseCode.tryAgainLater);
    expect(connection.isOpen).toBe(false);
    expect(connection.send(frameOf(1))).toBe(false);
    expect(socket.sent).toEqual([]);
  });

  it('CONN-2: a tandem.v1 connection already past the bound is closed with 1013 and gets no notice', () => {
    const { connection, socket } = makeConnection(true, { maxBufferedBytes: 1024 });
    socket.bufferedAmount = 2000;
    expect(connection.send(frameOf(1))).toBe(false);
    expect(socket.sent).toEqual([]);
    expect(socket.closes.map((c) => c.code)).toEqual([CloseCode.tryAgainLater]);
  });

  it('CONN-2: a tandem.v1 connection whose notice would not fit either is closed once, without the notice', () => {
    const { connection, socket } = makeConnection(true, { maxBufferedBytes: 1024 });
    socket.bufferedAmount = 1000;
    expect(connection.send(frameOf(100))).toBe(false);
    expect(socket.sent).toEqual([]);
    expect(socket.closes.map((c) => c.code)).toEqual([CloseCode.tryAgainLater]);
  });

  it('CONN-2/EXT-4: a tandem.v1 connection with room for the notice gets it before the 1013 close', () => {
    const { connection, socket } = makeConnection(true, { maxBufferedBytes: 4096 });
    socket.bufferedAmount = 100;
    expect(connection.send(frameOf(5000))).toBe(false);
    expect(socket.sent).toHaveLength(1);
    expect(decoded(socket.sent[0])).toMatchObject({ type: 'notice', code: CloseCode.tryAgainLater });
    expect(socket.closes.map((c) => c.code)).toEqual([CloseCode.tryAgainLater]);
  });

  it('sends nothing after the transport has closed', () => {
    const { connection, socket } = makeConnection();
    connection.handleTransportClosed();
    expect(connection.isOpen).toBe(false);
    expect(connection.send(frameOf(1))).toBe(false);
    expect(socket.sent).toEqual([]);
  });
});

describe('Connection.close', () => {
  it('EXT-4: a tandem.v1 connection gets a notice with the full message, then the close', () => {
    const { connection, socket } = makeConnection(true);
    connection.close(CloseCode.policyViolation, 'no ack frames from clients');
    expect(socket.sent.map(decoded)).toEqual([
      { type: 'notice', code: CloseCode.policyViolation, message: 'no ack frames from clients' },
    ]);
    expect(socket.closes).toEqual([{ code: CloseCode.policyViolation, reason: 'no ack frames from clients' }]);
  });

  it('EXT-1: a plain connection gets the close without a notice', () => {
    const { connection, socket } = makeConnection(false);
    connection.close(CloseCode.policyViolation, 'bad frame');
    expect(socket.sent).toEqual([]);
    expect(socket.closes).toEqual([{ code: CloseCode.policyViolation, reason: 'bad frame' }]);
  });

  it('EXT-4: a normal (1000) close sends no notice, even to a tandem.v1 connection', () => {
    const { connection, socket } = makeConnection(true);
    connection.close(CloseCode.normal, 'bye');
    expect(socket.sent).toEqual([]);
    expect(socket.closes).toEqual([{ code: CloseCode.normal, reason: 'bye' }]);
  });

  it('is idempotent: only the first close reaches the transport', () => {
    const { connection, socket } = makeConnection(true);
    connection.close(CloseCode.goingAway, 'first');
    connection.close(CloseCode.internalError, 'second');
    expect(socket.closes).toEqual([{ code: CloseCode.goingAway, reason: 'first' }]);
    expect(socket.sent).toHaveLength(1);
    expect(connection.isOpen).toBe(false);
  });

  it('does nothing once the transport has closed', () => {
    const { connection, socket } = makeConnection(true);
    connection.handleTransportClosed();
    connection.close(CloseCode.goingAway, 'late');
    expect(socket.closes).toEqual([]);
    expect(socket.sent).toEqual([]);
  });

  it('keeps a reason of exactly 123 bytes whole', () => {
    const { connection, socket } = makeConnection();
    const reason = 'r'.repeat(123);
    connection.close(CloseCode.goingAway, reason);
    expect(socket.closes[0]?.reason).toBe(reason);
  });

  it('truncates a long ASCII reason to 123 bytes', () => {
    const { connection, socket } = makeConnection();
    connection.close(CloseCode.goingAway, 'x'.repeat(300));
    expect(socket.closes[0]?.reason).toBe('x'.repeat(123));
  });

  it('truncates at a UTF-8 boundary, never inside a character', () => {
    // 'a' + 41 × '€' (3 bytes each) is 124 bytes; byte 123 would split the last '€'.
    const { connection, socket } = makeConnection(true);
    const message = `a${'€'.repeat(41)}`;
    connection.close(CloseCode.internalError, message);
    const reason = socket.closes[0]?.reason ?? '';
    expect(reason).toBe(`a${'€'.repeat(40)}`);
    expect(Buffer.byteLength(reason, 'utf8')).toBe(121);
    expect(reason).not.toContain('\uFFFD');
    // The notice carries the whole message.
    expect(decoded(socket.sent[0])).toEqual({ type: 'notice', code: CloseCode.internalError, message });
  });

  it('truncates before a 4-byte character that straddles the limit', () => {
    const { connection, socket } = makeConnection();
    // 121 ASCII bytes, then an emoji occupying bytes 121..124.
    connection.close(CloseCode.goingAway, `${'a'.repeat(121)}😀tail`);
    expect(socket.closes[0]?.reason).toBe('a'.repeat(121));
  });
});

describe('Connection lifecycle', () => {
  it('resolves `closed` when the transport reports it has closed, once', async () => {
    const { connection } = makeConnection();
    connection.handleTransportClosed();
    connection.handleTransportClosed();
    await expect(connection.closed).resolves.toBeUndefined();
  });

  it('a `closed` asked for while open resolves when the transport closes, not before', async () => {
    const { connection } = makeConnection();
    const closed = connection.closed;
    expect(connection.closed).toBe(closed);
    let settled = false;
    void closed.then(() => {
      settled = true;
    });
    // Two turns of the microtask queue: a resolved promise would have settled by now.
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(false);
    connection.handleTransportClosed();
    await expect(closed).resolves.toBeUndefined();
    expect(settled).toBe(true);
  });

  it('terminate() destroys the transport and stops sending', () => {
    const { connection, socket } = makeConnection();
    connection.terminate('test');
    expect(socket.terminations).toBe(1);
    expect(connection.isOpen).toBe(false);
    expect(connection.send(frameOf(1))).toBe(false);
  });

  it('terminate() after the transport closed does nothing', () => {
    const { connection, socket } = makeConnection();
    connection.handleTransportClosed();
    connection.terminate('test');
    expect(socket.terminations).toBe(0);
  });
});

describe('Connection.heartbeat', () => {
  it('CONN-1: the first tick pings; a second tick without an answer terminates', () => {
    const { connection, socket } = makeConnection();
    expect(connection.heartbeat()).toBe(true);
    expect(socket.pings).toBe(1);
    expect(socket.terminations).toBe(0);
    expect(connection.heartbeat()).toBe(false);
    expect(socket.pings).toBe(1);
    expect(socket.terminations).toBe(1);
  });

  it('CONN-1: a connection that answers each ping keeps being pinged', () => {
    const { connection, socket } = makeConnection();
    for (let i = 0; i < 3; i++) {
      expect(connection.heartbeat()).toBe(true);
      connection.markAlive();
    }
    expect(socket.pings).toBe(3);
    expect(socket.terminations).toBe(0);
  });

  it('CONN-1: over a stream, bytes read since the ping answer it (a pong is some); none terminate', () => {
    const socket = fakeSocket();
    const stream = { bytesRead: 100, cork() {}, uncork() {} };
    const connection = new Connection({
      id: 'c1',
      socket,
      logger,
      notices: false,
      maxBufferedBytes: 1024,
      slowCloseGraceMs: 500,
      stream,
    });
    expect(connection.readsAnswerPings).toBe(true);
    expect(connection.heartbeat()).toBe(true);
    // The peer's pong: 6 bytes read, no markAlive().
    stream.bytesRead += 6;
    expect(connection.heartbeat()).toBe(true);
    expect(connection.heartbeat()).toBe(false);
    expect(socket.pings).toBe(2);
    expect(socket.terminations).toBe(1);
  });

  it('CONN-1: an ended connection is neither pinged nor terminated', () => {
    const { connection, socket } = makeConnection();
    connection.handleTransportClosed();
    expect(connection.heartbeat()).toBe(false);
    expect(socket.pings).toBe(0);
    expect(socket.terminations).toBe(0);
  });
});

describe('Connection slow-consumer grace', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('CONN-2: a closed slow consumer is terminated once slowCloseGraceMs has passed', () => {
    vi.useFakeTimers();
    const { connection, socket } = makeConnection(false, { maxBufferedBytes: 1024, slowCloseGraceMs: 500 });
    socket.bufferedAmount = 2000;
    expect(connection.send(frameOf(10))).toBe(false);
    expect(socket.closes.map((c) => c.code)).toEqual([CloseCode.tryAgainLater]);
    vi.advanceTimersByTime(499);
    expect(socket.terminations).toBe(0);
    vi.advanceTimersByTime(1);
    expect(socket.terminations).toBe(1);
  });

  it('CONN-2: a slow consumer whose transport closes within the grace is not terminated', () => {
    vi.useFakeTimers();
    const { connection, socket } = makeConnection(false, { maxBufferedBytes: 1024, slowCloseGraceMs: 500 });
    socket.bufferedAmount = 2000;
    connection.send(frameOf(10));
    connection.handleTransportClosed();
    vi.advanceTimersByTime(1000);
    expect(socket.terminations).toBe(0);
  });
});

describe('Connection.log', () => {
  it('carries its bindings in every line, from a child logger made on first use', () => {
    const lines: Record<string, unknown>[] = [];
    const parent = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const children = vi.spyOn(parent, 'child');
    const connection = new Connection({
      id: 'c2',
      socket: fakeSocket(),
      logger: parent,
      logBindings: { room: 'notes', session: 's-1' },
      notices: false,
      maxBufferedBytes: 1024,
      slowCloseGraceMs: 500,
    });
    // A connection that has not logged holds no child logger.
    expect(children).not.toHaveBeenCalled();
    connection.log.warn({ reason: 'test' }, 'first line');
    connection.log.info('second line');
    expect(children).toHaveBeenCalledTimes(1);
    expect(lines).toMatchObject([
      { room: 'notes', session: 's-1', reason: 'test', msg: 'first line' },
      { room: 'notes', session: 's-1', msg: 'second line' },
    ]);
  });
});
