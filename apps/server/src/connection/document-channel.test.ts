import { CloseCode, decodeFrame, encode, encodeFrame, type Frame } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DocumentId } from '../identity.js';
import { JoinError } from '../rooms/room-registry.js';
import { type ChannelDeps, DocumentChannel, type JoinedRoom } from './document-channel.js';
import { fakeSocket } from './fake-socket.fixture.js';
import { createSession, newSessionId, type Session } from './session.js';

const logger = pino({ level: 'silent' });
const LIMITS = { maxBufferedBytes: 64, maxPreAuthBytes: 32, authTimeoutMs: 1_000 };

/** A channel over a recording socket, a registry whose join the test settles, and a recording recorder. */
function makeChannel(start: 'waiting-for-auth' | 'authorizing', recording = false) {
  const socket = fakeSocket();
  const closes = socket.closes;
  const session = createSession({
    id: newSessionId(),
    roomId: 'notes' as DocumentId,
    protocol: 'plain',
    socket,
    logger,
    maxBufferedBytes: LIMITS.maxBufferedBytes,
    slowCloseGraceMs: 500,
  });
  const received: Frame[] = [];
  const room: JoinedRoom = { receive: (_session, frame) => received.push(frame) };
  const joins: { resolve(room: JoinedRoom): void; reject(err: unknown): void }[] = [];
  const left: Session[] = [];
  const recorded: Uint8Array[] = [];
  const deps: ChannelDeps = {
    registry: {
      join: () => new Promise((resolve, reject) => joins.push({ resolve, reject })),
      leave: (s) => left.push(s),
    },
    recorder: { isRecording: () => recording, record: (_room, _session, frame) => recorded.push(frame) },
    limits: LIMITS,
  };
  const channel = new DocumentChannel(session, deps, start);
  return { channel, session, closes, room, received, joins, left, recorded };
}

const update = (...bytes: number[]) => encode.syncUpdate(new Uint8Array(bytes));
const frameOf = (bytes: Uint8Array): Frame => {
  const decoded = decodeFrame(bytes);
  if (!decoded.ok) throw new Error('undecodable');
  return decoded.frame;
};
const GRANTED = { ok: true, identity: null, canWrite: true } as const;

describe('DocumentChannel', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('queues frames until it joins, then drains them into the room in order, and delivers later ones directly', async () => {
    const { channel, joins, received, room } = makeChannel('authorizing');
    const first = update(1);
    const second = update(2);
    channel.receive(frameOf(first), first);
    channel.admit(GRANTED);
    channel.receive(frameOf(second), second);
    expect(received).toEqual([]);
    joins[0]?.resolve(room);
    await waitFor(() => received.length === 2, { what: 'the queue drained' });
    const third = update(3);
    channel.receive(frameOf(third), third);
    expect(received.map((f) => encodeFrame(f))).toEqual([first, second, third]);
  });

  it('keeps copies of queued frames: the socket may reuse its buffer', async () => {
    const { channel, joins, received, room } = makeChannel('authorizing');
    const bytes = update(7, 7, 7);
    channel.receive(frameOf(bytes), bytes);
    bytes.fill(0);
    channel.admit(GRANTED);
    joins[0]?.resolve(room);
    await waitFor(() => received.length === 1, { what: 'the queue drained' });
    expect(encodeFrame(received[0] as Frame)).toEqual(update(7, 7, 7));
  });

  it('OPS-5: records queued frames when drained and joined frames as they arrive, while the room is recorded', async () => {
    const { channel, joins, received, room, recorded } = makeChannel('authorizing', true);
    const queued = update(1);
    channel.receive(frameOf(queued), queued);
    channel.admit(GRANTED);
    joins[0]?.resolve(room);
    await waitFor(() => received.length === 1, { what: 'the queue drained' });
    const direct = update(2);
    channel.receive(frameOf(direct), direct);
    expect(recorded).toEqual([queued, direct]);
  });

  it('AUTH-2: closes with 4401 when no token arrives in time', () => {
    vi.useFakeTimers();
    const { closes } = makeChannel('waiting-for-auth');
    vi.advanceTimersByTime(LIMITS.authTimeoutMs);
    expect(closes).toEqual([{ code: CloseCode.unauthenticated, reason: 'no token within 1000 ms' }]);
  });

  it('AUTH-2: granted access stops the token deadline', () => {
    vi.useFakeTimers();
    const { channel, closes } = makeChannel('waiting-for-auth');
    expect(channel.waitingForAuth).toBe(true);
    channel.admit(GRANTED);
    expect(channel.waitingForAuth).toBe(false);
    vi.advanceTimersByTime(LIMITS.authTimeoutMs * 2);
    expect(closes).toEqual([]);
  });

  it('AUTH-2: more than MAX_PRE_AUTH_BYTES before authenticating closes with 4401', () => {
    const { channel, closes } = makeChannel('waiting-for-auth');
    const bytes = update(...new Array(40).fill(1));
    channel.receive(frameOf(bytes), bytes);
    expect(closes).toEqual([{ code: CloseCode.unauthenticated, reason: 'too much data sent before authenticating' }]);
    channel.leave();
  });

  it('more than MAX_BUFFERED_BYTES while the room loads closes with 1013', () => {
    const { channel, closes } = makeChannel('authorizing');
    const bytes = update(...new Array(40).fill(1));
    channel.receive(frameOf(bytes), bytes);
    expect(closes).toEqual([]);
    channel.receive(frameOf(bytes), bytes);
    expect(closes).toEqual([
      { code: CloseCode.tryAgainLater, reason: 'too much data sent while the document was loading' },
    ]);
  });

  it('closes with the code of refused access, and joins nothing', () => {
    const { channel, closes, joins } = makeChannel('authorizing');
    channel.admit({ ok: false, code: CloseCode.forbidden, reason: 'not allowed' });
    expect(closes).toEqual([{ code: CloseCode.forbidden, reason: 'not allowed' }]);
    expect(joins).toEqual([]);
  });

  it('joins once: access admitted again is ignored', () => {
    const { channel, joins } = makeChannel('authorizing');
    channel.admit(GRANTED);
    channel.admit(GRANTED);
    expect(joins).toHaveLength(1);
  });

  it('closes with a JoinError’s code, and 1011 for any other failure', async () => {
    const a = makeChannel('authorizing');
    a.channel.admit(GRANTED);
    a.joins[0]?.reject(new JoinError(CloseCode.serviceRestart, 'server is shutting down'));
    const b = makeChannel('authorizing');
    b.channel.admit(GRANTED);
    b.joins[0]?.reject(new Error('boom'));
    await waitFor(() => a.closes.length === 1 && b.closes.length === 1, { what: 'both closed' });
    expect(a.closes).toEqual([{ code: CloseCode.serviceRestart, reason: 'server is shutting down' }]);
    expect(b.closes).toEqual([{ code: CloseCode.internalError, reason: 'boom' }]);
  });

  it('leaves once: ends the session, tells the registry, and delivers nothing after', async () => {
    const { channel, session, joins, left, received, room } = makeChannel('authorizing');
    const bytes = update(1);
    channel.receive(frameOf(bytes), bytes);
    channel.admit(GRANTED);
    channel.leave();
    channel.leave();
    expect(left).toEqual([session]);
    expect(session.isOpen).toBe(false);
    joins[0]?.resolve(room);
    await session.closed;
    channel.receive(frameOf(bytes), bytes);
    expect(received).toEqual([]);
  });
});
