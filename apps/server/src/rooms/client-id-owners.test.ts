import { describe, expect, it } from 'vitest';
import type { Identity } from '../identity.js';
import { ClientIdOwners, ELSEWHERE, sameClient, sameClientAsState } from './client-id-owners.js';

const user = (userId: string): Identity => ({ userId, name: userId, color: null, rules: [], expiresAt: Infinity });

interface FakeSession {
  readonly name: string;
  readonly identity: Identity | null;
  isOpen: boolean;
}
const session = (name: string, identity: Identity | null = null): FakeSession => ({ name, identity, isOpen: true });

describe('client id ownership', () => {
  it('YJS-5: the same subject is the same client; in open mode everyone is', () => {
    expect(sameClient(null, null)).toBe(true);
    expect(sameClient(user('ada'), user('ada'))).toBe(true);
    expect(sameClient(user('ada'), user('bob'))).toBe(false);
    expect(sameClient(user('ada'), null)).toBe(false);
    expect(sameClientAsState(null, null)).toBe(true);
    expect(sameClientAsState(user('ada'), '{"user":{"id":"ada"}}')).toBe(true);
    expect(sameClientAsState(user('ada'), '{"user":{"id":"bob"}}')).toBe(false);
    expect(sameClientAsState(user('ada'), 'not json')).toBe(false);
  });

  it('YJS-5: a refused struct claim changes nothing; a granted one moves every id of the older session', () => {
    const members = new Set<FakeSession>();
    const owners = new ClientIdOwners<FakeSession>((s) => members.has(s));
    const old = session('old', user('ada'));
    const mallory = session('mallory', user('mallory'));
    const back = session('back', user('ada'));
    for (const s of [old, mallory, back]) members.add(s);
    const none = { peek: () => undefined };
    expect(owners.claimStructs(old, [1, 2], none)).toMatchObject({ ok: true, takenFrom: [] });
    owners.claimPresence(old, { clientId: 2, clock: 1, state: '{}' }, undefined);
    expect(owners.claimStructs(mallory, [3, 1], none)).toEqual({ ok: false, clientId: 1 });
    expect(owners.claimStructs(mallory, [3], none)).toMatchObject({ ok: true });
    expect(owners.claimStructs(back, [1], none)).toEqual({ ok: true, takenFrom: [old], fromElsewhere: [] });
    expect(owners.presenceHolder(2)).toBe(back);
    expect(owners.release(old)).toEqual({ removed: [], elsewhere: [] });
    expect(owners.release(back)).toEqual({ removed: [2], elsewhere: [] });
  });

  it('AW-2/CLUSTER-6: only a newer presence state claims an id held elsewhere, and only for the same user', () => {
    const owners = new ClientIdOwners<FakeSession>(() => true);
    expect(owners.announcedElsewhere(7, '{"user":{"id":"ada"}}', 'newer')).toEqual({ apply: true, continues: null });
    expect(owners.presenceHolder(7)).toBe(ELSEWHERE);
    const held = { clock: 4, state: '{"user":{"id":"ada"}}' };
    const ada = session('ada', user('ada'));
    const bob = session('bob', user('bob'));
    expect(owners.claimPresence(ada, { clientId: 7, clock: 4, state: '{}' }, held).ok).toBe(false);
    expect(owners.claimPresence(bob, { clientId: 7, clock: 5, state: '{}' }, held).ok).toBe(false);
    expect(owners.claimPresence(ada, { clientId: 7, clock: 5, state: '{}' }, held)).toEqual({
      ok: true,
      takenFrom: [],
      fromElsewhere: [7],
    });
    // The other node announcing it again (the same user) hands the live session over; a removal never does.
    expect(owners.announcedElsewhere(7, 'null', 'newer')).toEqual({ apply: false, continues: null });
    // An older or equal state from there never closes the live session; a newer one hands it over.
    expect(owners.announcedElsewhere(7, '{"user":{"id":"ada"}}', 'older')).toEqual({ apply: false, continues: null });
    expect(owners.announcedElsewhere(7, '{"user":{"id":"ada"}}', 'same')).toEqual({ apply: false, continues: null });
    expect(owners.presenceHolder(7)).toBe(ada);
    expect(owners.announcedElsewhere(7, '{"user":{"id":"ada"}}', 'newer')).toEqual({ apply: true, continues: ada });
    expect(owners.localPresenceIds()).toEqual([]);
  });

  it('AW-6/CLUSTER-6: a session that announced an id held elsewhere inherits it when that lease expires; without one it is forgotten', () => {
    const members = new Set<FakeSession>();
    const owners = new ClientIdOwners<FakeSession>((s) => members.has(s));
    const state = '{"user":{"id":"ada"}}';
    owners.announcedElsewhere(7, state, 'newer');
    owners.announcedElsewhere(8, state, 'newer');
    const ada = session('ada', user('ada'));
    const bob = session('bob', user('bob'));
    members.add(ada).add(bob);
    const held = { clock: 2, state };
    expect(owners.nominate(bob, { clientId: 7, clock: 2, state }, held)).toBe(null);
    expect(owners.nominate(ada, { clientId: 7, clock: 2, state }, held)).toBe('announce');
    expect(owners.leaseExpired(7)).toEqual({ passedTo: ada });
    expect(owners.presenceHolder(7)).toBe(ada);
    expect(owners.leaseExpired(7)).toBe(null);
    expect(owners.leaseExpired(8)).toEqual({ passedTo: null });
    expect(owners.presenceHolder(8)).toBe(undefined);
    // A renewal older than the removal the room holds never marks an unheld id as held there.
    expect(owners.announcedElsewhere(8, state, 'older')).toEqual({ apply: false, continues: null });
    expect(owners.presenceHolder(8)).toBe(undefined);
  });
});
