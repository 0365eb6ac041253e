import { CloseCode, decodeFrame, type Frame, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DocumentId, Identity } from '../identity.js';
import { type FakeSocket, fakeSocket } from './fake-socket.fixture.js';
import { createSession, newSessionId, type Session, type SessionProtocol } from './session.js';

const logger = pino({ level: 'silent' });

function makeSession(protocol: SessionProtocol = 'plain'): { session: Session; socket: FakeSocket } {
  const socket = fakeSocket();
  const session = createSession({
    id: newSessionId(),
    roomId: 'room' as DocumentId,
    protocol,
    socket,
    logger,
    maxBufferedBytes: 1024,
    slowCloseGraceMs: 500,
  });
  return { session, socket };
}

function decoded(bytes: Uint8Array | undefined): Frame {
  if (bytes === undefined) throw new Error('no frame was sent');
  const result = decodeFrame(bytes);
  if (!result.ok) throw new Error(`undecodable frame: ${result.error.message}`);
  return result.frame;
}

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

describe('Session.grant', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const identity = (userId: string, expiresInMs: number): Identity => ({
    userId,
    name: userId,
    color: null,
    rules: [],
    expiresAt: Date.now() + expiresInMs,
  });

  it('takes the identity and the write permission of the access', () => {
    const { session } = makeSession(TANDEM_SUBPROTOCOL);
    const alice = identity('alice', 60_000);
    session.grant({ ok: true, identity: alice, canWrite: false });
    expect(session.identity).toBe(alice);
    expect(session.canWrite).toBe(false);
    session.handleTransportClosed();
  });

  it('AUTH-5: closes the session with 4401 when the token expires', () => {
    vi.useFakeTimers();
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL);
    session.grant({ ok: true, identity: identity('alice', 1_000), canWrite: true });
    vi.advanceTimersByTime(999);
    expect(socket.closes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(socket.closes).toEqual([{ code: CloseCode.unauthenticated, reason: 'token expired' }]);
  });

  it('AUTH-5: a later grant (a refreshed token) replaces the expiry', () => {
    vi.useFakeTimers();
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL);
    session.grant({ ok: true, identity: identity('alice', 1_000), canWrite: true });
    session.grant({ ok: true, identity: identity('alice', 5_000), canWrite: true });
    vi.advanceTimersByTime(4_999);
    expect(socket.closes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(socket.closes.map((c) => c.code)).toEqual([CloseCode.unauthenticated]);
  });

  it('AUTH-5: a session whose transport ended is not closed at the expiry', () => {
    vi.useFakeTimers();
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL);
    session.grant({ ok: true, identity: identity('alice', 1_000), canWrite: true });
    session.handleTransportClosed();
    vi.advanceTimersByTime(2_000);
    expect(socket.closes).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('open-mode access sets no expiry', () => {
    vi.useFakeTimers();
    const { session } = makeSession();
    session.grant({ ok: true, identity: null, canWrite: true });
    expect(session.identity).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('Session over its connection', () => {
  it('is open, sends and closes through its connection', () => {
    const { session, socket } = makeSession(TANDEM_SUBPROTOCOL);
    expect(session.isOpen).toBe(true);
    expect(session.send(new Uint8Array([1]))).toBe(true);
    session.close(CloseCode.policyViolation, 'bye');
    expect(session.isOpen).toBe(false);
    expect(session.connection.isOpen).toBe(false);
    expect(socket.closes).toEqual([{ code: CloseCode.policyViolation, reason: 'bye' }]);
  });
});
