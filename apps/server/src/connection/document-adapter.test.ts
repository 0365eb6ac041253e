import { CloseCode, decodeFrame, encode, type Frame } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { TokenVerifier, VerifyResult } from '../auth/token-verifier.js';
import type { DocumentId, Identity } from '../identity.js';
import { DocumentAdapter } from './document-adapter.js';
import type { JoinedRoom } from './document-channel.js';
import { fakeSocket } from './fake-socket.fixture.js';
import { createSession, newSessionId } from './session.js';

const logger = pino({ level: 'silent' });
const identity = (userId: string): Identity => ({
  userId,
  name: userId,
  color: null,
  rules: [{ pattern: '*', permission: 'write' }],
  expiresAt: Date.now() + 60_000,
});

/** A verifier whose answers the test releases one token at a time. */
function gatedVerifier() {
  const pending = new Map<string, (result: VerifyResult) => void>();
  const verifier: TokenVerifier = {
    verify: (token) => new Promise((resolve) => pending.set(token, resolve)),
  };
  const release = (token: string, userId: string) => pending.get(token)?.({ ok: true, identity: identity(userId) });
  return { verifier, release, asked: () => [...pending.keys()] };
}

function makeAdapter(verifier: TokenVerifier) {
  const socket = fakeSocket();
  const session = createSession({
    id: newSessionId(),
    roomId: 'notes' as DocumentId,
    protocol: 'tandem.v1',
    socket,
    logger,
    maxBufferedBytes: 1 << 20,
    slowCloseGraceMs: 500,
  });
  const received: Frame[] = [];
  const room: JoinedRoom = { receive: (_s, frame) => received.push(frame) };
  let joins = 0;
  const adapter = new DocumentAdapter(
    session,
    {
      registry: {
        join: async () => {
          joins++;
          return room;
        },
        leave: () => {},
      },
      recorder: { isRecording: () => false, record: () => {} },
      limits: { maxBufferedBytes: 1 << 20, maxPreAuthBytes: 1 << 16, authTimeoutMs: 60_000 },
    },
    'waiting-for-auth',
    verifier,
  );
  const deliver = (bytes: Uint8Array) => {
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) throw new Error('undecodable');
    adapter.frame(decoded.frame, bytes);
  };
  return { adapter, session, socket, received, deliver, joins: () => joins };
}

describe('DocumentAdapter', () => {
  it('AUTH-2: the first auth-token frame authenticates; frames sent before it reach the room after the join', async () => {
    const gate = gatedVerifier();
    const { session, received, deliver, joins } = makeAdapter(gate.verifier);
    deliver(encode.syncUpdate(new Uint8Array([1])));
    deliver(encode.authToken('t1'));
    gate.release('t1', 'alice');
    await waitFor(() => received.length === 1, { what: 'the queued update delivered' });
    expect(session.identity?.userId).toBe('alice');
    expect(joins()).toBe(1);
    deliver(encode.syncUpdate(new Uint8Array([2])));
    expect(received.map((f) => f.type)).toEqual(['sync-update', 'sync-update']);
  });

  it('AUTH-2: of two tokens sent before either is verified, the first verified wins and the other is ignored', async () => {
    const gate = gatedVerifier();
    const { session, socket, deliver, joins } = makeAdapter(gate.verifier);
    deliver(encode.authToken('t1'));
    deliver(encode.authToken('t2'));
    gate.release('t2', 'bob');
    await waitFor(() => joins() === 1, { what: 'the join' });
    gate.release('t1', 'alice');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(session.identity?.userId).toBe('bob');
    expect(socket.closes).toEqual([]);
    expect(joins()).toBe(1);
  });

  it('AUTH-5: a later auth-token frame refreshes the session; another user’s closes it with 4401', async () => {
    const gate = gatedVerifier();
    const { session, socket, deliver, joins } = makeAdapter(gate.verifier);
    deliver(encode.authToken('t1'));
    gate.release('t1', 'alice');
    await waitFor(() => joins() === 1, { what: 'the join' });
    const first = session.identity;
    deliver(encode.authToken('t2'));
    gate.release('t2', 'alice');
    await waitFor(() => session.identity !== first, { what: 'the refresh' });
    deliver(encode.authToken('t3'));
    gate.release('t3', 'mallory');
    await waitFor(() => socket.closes.length === 1, { what: 'the close' });
    expect(socket.closes[0]).toEqual({
      code: CloseCode.unauthenticated,
      reason: 'a refreshed token must be for the same user',
    });
    expect(joins()).toBe(1);
  });
});
