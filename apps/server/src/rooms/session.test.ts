import { CloseCode, decodeFrame, encode, type Frame, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Session, type SessionProtocol, type SessionSocket } from './session.js';

const logger = pino({ level: 'silent' });

/** An in-memory transport that records what the session did to it. */
interface FakeSocket extends SessionSocket {
  bufferedAmount: number;
  readonly sent: Uint8Array[];
  readonly closes: { code: number; reason: string }[];
  terminations: number;
  pings: number;
}

function fakeSocket(): FakeSocket {
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

function makeSession(
  protocol: SessionProtocol = 'plain',
  options: { maxBufferedBytes?: number; slowCloseGraceMs?: number } = {},
): { session: Session; socket: FakeSocket } {
  const socket = fakeSocket();
  const session = new Session({
    id: 's1',
    roomId: 'room',
    protocol,
    socket,
    logger,
    maxBufferedBytes: options.maxBufferedBytes ?? 1024,
    slowCloseGraceMs: options.slowCloseGraceMs ?? 500,
  });
  return { session, socket };
}

function decoded(bytes: Uint8Array | undefined): Frame {
  if (bytes === undefined) throw new Error('no frame was sent');
  const result = decodeFrame(bytes);
  if (!result.ok) throw new Error(`undecodable frame: ${result.error.message}`);
  return result.frame;
}

const frameOf = (size: number) => new Uint8Array(size);

describe('Session.send', () => {
  it('sends while the session is open', () => {
    const { session, socket } = makeSession();
    const frame = encode.syncUpdate(new Uint8Array([1, 2, 3]));
    expect(session.send(frame)).toBe(true);
    expect(socket.sent).toEqual([frame]);
  });

  it('CONN-2: an empty buffer always takes one frame, even one larger than the bound', () => {
    const { session, socket } = makeSession('plain', { maxBufferedBytes: 1024 });
    expect(session.send(frameOf(10_000))).toBe(true);
    expect(socket.sent).toHaveLength(1);
    expect(session.isOpen).toBe(true);
  });

  it('CONN-2: a frame that still fits next to the buffered bytes is sent', () => {
    const { session, socket } = makeSession('plain', { maxBufferedBytes: 1024 });
    socket.bufferedAmount = 1000;
    expect(session.send(frameOf(24))).toBe(true);
    expect(socket.sent).toHaveLength(1);
    expect(socket.closes).toEqual([]);
  });

  it('CONN-2: a frame that would take a non-empty buffer past the bound closes the session with 1013', () => {
    const { session, socket } = makeSession('plain', { maxBufferedBytes: 1024 });
    socket.bufferedAmount = 1000;
    expect(session.send(frameOf(25))).toBe(false);
    expect(socket.sent).toEqual([]);
    expect(socket.closes).toHaveLength(1);
    expect(socket.closes[0]?.code).toBe(CloseCode.tryAgainLater);
    expect(session.isOpen).toBe(false);
    expect(session.send(frameOf(1))).toBe(false);
    expect(socket.sent).toEqual([]);
  });

  it('CONN-2: a tandem session already past the bound is closed with 1013 and gets no notice', () => {
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL, { maxBufferedBytes: 1024 });
    socket.bufferedAmount = 2000;
    expect(session.send(frameOf(1))).toBe(false);
    expect(socket.sent).toEqual([]);
    expect(socket.closes.map((c) => c.code)).toEqual([CloseCode.tryAgainLater]);
  });

  it('CONN-2: a tandem session whose notice would not fit either is closed once, without the notice', () => {
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL, { maxBufferedBytes: 1024 });
    socket.bufferedAmount = 1000;
    expect(session.send(frameOf(100))).toBe(false);
    expect(socket.sent).toEqual([]);
    expect(socket.closes.map((c) => c.code)).toEqual([CloseCode.tryAgainLater]);
  });

  it('CONN-2/EXT-4: a tandem session with room for the notice gets it before the 1013 close', () => {
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL, { maxBufferedBytes: 4096 });
    socket.bufferedAmount = 100;
    expect(session.send(frameOf(5000))).toBe(false);
    expect(socket.sent).toHaveLength(1);
    expect(decoded(socket.sent[0])).toMatchObject({ type: 'notice', code: CloseCode.tryAgainLater });
    expect(socket.closes.map((c) => c.code)).toEqual([CloseCode.tryAgainLater]);
  });

  it('sends nothing after the transport has closed', () => {
    const { session, socket } = makeSession();
    session.handleTransportClosed();
    expect(session.isOpen).toBe(false);
    expect(session.send(frameOf(1))).toBe(false);
    expect(socket.sent).toEqual([]);
  });
});

describe('Session.sendExtension', () => {
  it('EXT-1: sends extension frames to tandem sessions only', () => {
    const tandem = makeSession(TANDEM_SUBPROTOCOL);
    const plain = makeSession('plain');
    expect(tandem.session.sendExtension({ type: 'pong', id: 7 })).toBe(true);
    expect(plain.session.sendExtension({ type: 'pong', id: 7 })).toBe(false);
    expect(decoded(tandem.socket.sent[0])).toEqual({ type: 'pong', id: 7 });
    expect(plain.socket.sent).toEqual([]);
    expect(tandem.session.isTandem).toBe(true);
    expect(plain.session.isTandem).toBe(false);
  });
});

describe('Session.close', () => {
  it('EXT-4: a tandem session gets a notice with the full message, then the close', () => {
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL);
    session.close(CloseCode.policyViolation, 'no ack frames from clients');
    expect(socket.sent.map(decoded)).toEqual([
      { type: 'notice', code: CloseCode.policyViolation, message: 'no ack frames from clients' },
    ]);
    expect(socket.closes).toEqual([{ code: CloseCode.policyViolation, reason: 'no ack frames from clients' }]);
  });

  it('EXT-1: a plain session gets the close without a notice', () => {
    const { session, socket } = makeSession('plain');
    session.close(CloseCode.policyViolation, 'bad frame');
    expect(socket.sent).toEqual([]);
    expect(socket.closes).toEqual([{ code: CloseCode.policyViolation, reason: 'bad frame' }]);
  });

  it('EXT-4: a normal (1000) close sends no notice, even to a tandem session', () => {
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL);
    session.close(CloseCode.normal, 'bye');
    expect(socket.sent).toEqual([]);
    expect(socket.closes).toEqual([{ code: CloseCode.normal, reason: 'bye' }]);
  });

  it('is idempotent: only the first close reaches the transport', () => {
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL);
    session.close(CloseCode.goingAway, 'first');
    session.close(CloseCode.internalError, 'second');
    expect(socket.closes).toEqual([{ code: CloseCode.goingAway, reason: 'first' }]);
    expect(socket.sent).toHaveLength(1);
    expect(session.isOpen).toBe(false);
  });

  it('does nothing once the transport has closed', () => {
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL);
    session.handleTransportClosed();
    session.close(CloseCode.goingAway, 'late');
    expect(socket.closes).toEqual([]);
    expect(socket.sent).toEqual([]);
  });

  it('keeps a reason of exactly 123 bytes whole', () => {
    const { session, socket } = makeSession();
    const reason = 'r'.repeat(123);
    session.close(CloseCode.goingAway, reason);
    expect(socket.closes[0]?.reason).toBe(reason);
  });

  it('truncates a long ASCII reason to 123 bytes', () => {
    const { session, socket } = makeSession();
    session.close(CloseCode.goingAway, 'x'.repeat(300));
    expect(socket.closes[0]?.reason).toBe('x'.repeat(123));
  });

  it('truncates at a UTF-8 boundary, never inside a character', () => {
    // 'a' + 41 × '€' (3 bytes each) is 124 bytes; byte 123 would split the last '€'.
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL);
    const message = `a${'€'.repeat(41)}`;
    session.close(CloseCode.internalError, message);
    const reason = socket.closes[0]?.reason ?? '';
    expect(reason).toBe(`a${'€'.repeat(40)}`);
    expect(Buffer.byteLength(reason, 'utf8')).toBe(121);
    expect(reason).not.toContain('\uFFFD');
    // The notice carries the whole message.
    expect(decoded(socket.sent[0])).toEqual({ type: 'notice', code: CloseCode.internalError, message });
  });

  it('truncates before a 4-byte character that straddles the limit', () => {
    const { session, socket } = makeSession();
    // 121 ASCII bytes, then an emoji occupying bytes 121..124.
    session.close(CloseCode.goingAway, `${'a'.repeat(121)}😀tail`);
    expect(socket.closes[0]?.reason).toBe('a'.repeat(121));
  });
});

describe('Session lifecycle', () => {
  it('resolves `closed` when the transport reports it has closed, once', async () => {
    const { session } = makeSession();
    session.handleTransportClosed();
    session.handleTransportClosed();
    await expect(session.closed).resolves.toBeUndefined();
  });

  it('terminate() destroys the transport and stops sending', () => {
    const { session, socket } = makeSession();
    session.terminate('test');
    expect(socket.terminations).toBe(1);
    expect(session.isOpen).toBe(false);
    expect(session.send(frameOf(1))).toBe(false);
  });

  it('terminate() after the transport closed does nothing', () => {
    const { session, socket } = makeSession();
    session.handleTransportClosed();
    session.terminate('test');
    expect(socket.terminations).toBe(0);
  });
});

describe('Session acks', () => {
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('EXT-3: numbers update-carrying frames from 1', () => {
    const { session } = makeSession(TANDEM_SUBPROTOCOL);
    expect([session.nextUpdateFrame(), session.nextUpdateFrame(), session.nextUpdateFrame()]).toEqual([1, 2, 3]);
  });

  it('EXT-3: acks that become durable together go out as one cumulative ack', async () => {
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL);
    session.acknowledge(1);
    session.acknowledge(3);
    session.acknowledge(2);
    expect(socket.sent).toEqual([]);
    await nextTurn();
    expect(socket.sent.map(decoded)).toEqual([{ type: 'ack', through: 3 }]);
  });

  it('EXT-3: acks never decrease or repeat', async () => {
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL);
    session.acknowledge(2);
    await nextTurn();
    session.acknowledge(1);
    session.acknowledge(2);
    await nextTurn();
    session.acknowledge(4);
    await nextTurn();
    expect(socket.sent.map(decoded)).toEqual([
      { type: 'ack', through: 2 },
      { type: 'ack', through: 4 },
    ]);
  });

  it('EXT-1: plain sessions never get an ack', async () => {
    const { session, socket } = makeSession('plain');
    session.acknowledge(1);
    await nextTurn();
    expect(socket.sent).toEqual([]);
  });

  it('EXT-3: no ack is sent once the session is closing', async () => {
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL);
    session.acknowledge(1);
    session.close(CloseCode.goingAway, 'bye');
    await nextTurn();
    expect(socket.sent.map(decoded).map((f) => f.type)).toEqual(['notice']);
  });
});

describe('Session.heartbeat', () => {
  it('CONN-1: the first tick pings; a second tick without an answer terminates', () => {
    const { session, socket } = makeSession();
    expect(session.heartbeat()).toBe(true);
    expect(socket.pings).toBe(1);
    expect(socket.terminations).toBe(0);
    expect(session.heartbeat()).toBe(false);
    expect(socket.pings).toBe(1);
    expect(socket.terminations).toBe(1);
  });

  it('CONN-1: a session that answers each ping keeps being pinged', () => {
    const { session, socket } = makeSession();
    for (let i = 0; i < 3; i++) {
      expect(session.heartbeat()).toBe(true);
      session.markAlive();
    }
    expect(socket.pings).toBe(3);
    expect(socket.terminations).toBe(0);
  });

  it('CONN-1: an ended session is neither pinged nor terminated', () => {
    const { session, socket } = makeSession();
    session.handleTransportClosed();
    expect(session.heartbeat()).toBe(false);
    expect(socket.pings).toBe(0);
    expect(socket.terminations).toBe(0);
  });
});

describe('Session slow-consumer grace', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('CONN-2: a closed slow consumer is terminated once slowCloseGraceMs has passed', () => {
    vi.useFakeTimers();
    const { session, socket } = makeSession('plain', { maxBufferedBytes: 1024, slowCloseGraceMs: 500 });
    socket.bufferedAmount = 2000;
    expect(session.send(frameOf(10))).toBe(false);
    expect(socket.closes.map((c) => c.code)).toEqual([CloseCode.tryAgainLater]);
    vi.advanceTimersByTime(499);
    expect(socket.terminations).toBe(0);
    vi.advanceTimersByTime(1);
    expect(socket.terminations).toBe(1);
  });

  it('CONN-2: a slow consumer whose transport closes within the grace is not terminated', () => {
    vi.useFakeTimers();
    const { session, socket } = makeSession('plain', { maxBufferedBytes: 1024, slowCloseGraceMs: 500 });
    socket.bufferedAmount = 2000;
    session.send(frameOf(10));
    session.handleTransportClosed();
    vi.advanceTimersByTime(1000);
    expect(socket.terminations).toBe(0);
  });
});
