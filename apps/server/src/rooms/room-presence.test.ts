import { CloseCode, type Frame, readAwarenessEntries, writeAwarenessEntries } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoomMember } from './member.js';
import { type FakeMember, fakeMember, logger, presence, ROOM } from './room.fixture.js';
import { RoomPresence } from './room-presence.js';
import { DEFAULT_WRITE_POLICY } from './write-policy.js';

const started: RoomPresence[] = [];
afterEach(() => {
  for (const p of started.splice(0)) p.stop();
});

/** Room presence over `members`, recording what it publishes and whom it expels. */
function presenceOf(members: FakeMember[], awarenessTimeoutMs = 30_000) {
  const set = new Set<RoomMember>(members);
  const published: Uint8Array[] = [];
  const expelled: RoomMember[] = [];
  const roomPresence = new RoomPresence({
    roomId: ROOM,
    members: set,
    expel: (member) => {
      expelled.push(member);
      set.delete(member);
    },
    publish: (update) => published.push(update),
    logger,
    policy: DEFAULT_WRITE_POLICY,
    awarenessTimeoutMs,
  });
  started.push(roomPresence);
  return { roomPresence, published, expelled, members: set };
}

const awarenessOf = (member: FakeMember) =>
  member.writes.flat().flatMap((f: Frame) => (f.type === 'awareness' ? readAwarenessEntries(f.update) : []));

describe('RoomPresence', () => {
  it('AW-1: a local update is relayed to the other members as received and published; its sender gets nothing back', () => {
    const a = fakeMember('a');
    const b = fakeMember('b');
    const { roomPresence, published } = presenceOf([a, b]);
    const update = presence(7, 1, { name: 'Ada' });
    roomPresence.applyLocal(a, update);
    expect(awarenessOf(b)).toEqual([{ clientId: 7, clock: 1, state: '{"name":"Ada"}' }]);
    expect(a.writes).toEqual([]);
    expect(published).toEqual([update]);
    expect(roomPresence.localUpdate()).toEqual(update);
  });

  it('AW-3: a member that leaves has its states removed for the others and on the other nodes', () => {
    const a = fakeMember('a');
    const b = fakeMember('b');
    const { roomPresence, published, members } = presenceOf([a, b]);
    roomPresence.applyLocal(a, presence(7, 1, { name: 'Ada' }));
    b.writes.length = 0;
    published.length = 0;
    members.delete(a);
    roomPresence.left(a);
    expect(awarenessOf(b)).toEqual([{ clientId: 7, clock: 2, state: 'null' }]);
    expect(published.map((u) => readAwarenessEntries(u))).toEqual([[{ clientId: 7, clock: 2, state: 'null' }]]);
    expect(roomPresence.table.has(7)).toBe(false);
    expect(roomPresence.localUpdate()).toBeNull();
  });

  it('YJS-5/AW-6: writing structs under an id takes it over from an older session of the same client, which is expelled and closed with 4409', () => {
    const old = fakeMember('old');
    const back = fakeMember('back');
    const { roomPresence, expelled } = presenceOf([old, back]);
    roomPresence.applyLocal(old, presence(7, 1, { name: 'Ada' }));
    expect(roomPresence.claimStructs(old, [7])).toMatchObject({ ok: true });
    expect(roomPresence.claimStructs(back, [7])).toMatchObject({ ok: true });
    expect(expelled).toEqual([old]);
    expect(old.closes.map((c) => c.code)).toEqual([CloseCode.clientIdTakenOver]);
    expect(roomPresence.table.has(7)).toBe(true);
  });

  it('AW-2: presence from another node is relayed to members, not published again, and its ids are closed to local claims', () => {
    const a = fakeMember('a', {
      identity: { userId: 'mallory', name: 'm', color: null, rules: [], expiresAt: Number.MAX_SAFE_INTEGER },
    });
    const { roomPresence, published } = presenceOf([a]);
    const remote = writeAwarenessEntries([{ clientId: 5, clock: 1, state: '{"user":{"id":"ada"}}' }]);
    roomPresence.applyRemote(remote);
    expect(awarenessOf(a)).toEqual([{ clientId: 5, clock: 1, state: '{"user":{"id":"ada"}}' }]);
    expect(published).toEqual([]);
    roomPresence.applyLocal(a, presence(5, 9, { name: 'hijack' }));
    expect(roomPresence.table.peek(5)).toEqual({ clock: 1, state: '{"user":{"id":"ada"}}' });
    expect(roomPresence.localUpdate()).toBeNull();
  });

  it('CLUSTER-6: presence from a node that stops renewing it is removed for every member after the timeout', async () => {
    const a = fakeMember('a');
    const { roomPresence } = presenceOf([a], 300);
    roomPresence.applyRemote(writeAwarenessEntries([{ clientId: 5, clock: 1, state: '{}' }]));
    await waitFor(() => !roomPresence.table.has(5), { timeoutMs: 2000, what: 'the lease to expire' });
    expect(awarenessOf(a).map((e) => e.state)).toEqual(['{}', 'null']);
  });
});
