import { CloseCode } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { createAccessEnforcer } from './access-enforcer.js';
import { createMemoryAccessChangeLog } from './auth/access-changes.js';
import { createMemoryFanoutBus } from './fanout/memory-fanout.js';
import type { Identity } from './identity.js';
import { type FakeMember, fakeMember, logger, ROOM } from './rooms/room.fixture.js';

const identity = (userId: string, issuedAt = 1_000): Identity => ({
  userId,
  name: userId,
  color: null,
  rules: [{ pattern: '*', permission: 'write' }],
  expiresAt: Number.MAX_SAFE_INTEGER,
  issuedAt,
});

describe('access enforcer', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  /** Two nodes on one bus sharing one log, each with its own members. */
  const twoNodes = () => {
    const bus = createMemoryFanoutBus();
    const log = createMemoryAccessChangeLog();
    const node = (name: string) => {
      const members: FakeMember[] = [];
      const enforcer = createAccessEnforcer({
        log,
        fanout: bus.connect(name),
        members: () => members,
        logger,
        now: () => 5_000,
      });
      closers.push(() => enforcer.close());
      return { members, enforcer };
    };
    return { log, a: node('a'), b: node('b') };
  };

  it('REVOKE-1, REVOKE-3: a revocation on one node closes the subject’s sessions on both with 4403 and records it', async () => {
    const { log, a, b } = twoNodes();
    const onA = fakeMember('alice-a', { identity: identity('alice') });
    const onB = fakeMember('alice-b', { identity: identity('alice') });
    const bob = fakeMember('bob-b', { identity: identity('bob') });
    a.members.push(onA);
    b.members.push(onB, bob);
    const report = await a.enforcer.change({
      kind: 'revoke',
      subject: 'alice',
      document: null,
      at: 2_000,
      until: 9_000,
    });
    expect(report).toEqual({ closed: 1, changed: 0 });
    expect(onA.closes).toEqual([{ code: CloseCode.forbidden, reason: 'access revoked' }]);
    await waitFor(() => onB.closes.length === 1, { what: 'the session on node b closed' });
    expect(onB.closes).toEqual([{ code: CloseCode.forbidden, reason: 'access revoked' }]);
    expect(bob.closes).toEqual([]);
    expect(await log.active('alice', 5_000)).toHaveLength(1);
  });

  it('REVOKE-4: a push to read downgrades in place; a session whose token is newer than the change is left alone', async () => {
    const { a, b } = twoNodes();
    const old = fakeMember('old', { identity: identity('dave', 1_000) });
    const fresh = fakeMember('fresh', { identity: identity('dave', 3_000) });
    b.members.push(old, fresh);
    await a.enforcer.change({
      kind: 'permissions',
      subject: 'dave',
      rules: [{ pattern: ROOM, permission: 'read' }],
      at: 2_000,
      until: 9_000,
    });
    await waitFor(() => !old.canWrite, { what: 'the old session downgraded' });
    expect(old.closes).toEqual([]);
    expect(old.identity?.rules).toEqual([{ pattern: ROOM, permission: 'read' }]);
    expect(fresh.canWrite).toBe(true);
  });

  it('REVOKE-3: a session that joins after a change it missed (verified just before) still gets it', async () => {
    const { a, b } = twoNodes();
    await a.enforcer.change({ kind: 'revoke', subject: 'erin', document: ROOM, at: 2_000, until: 9_000 });
    const late = fakeMember('late', { identity: identity('erin') });
    // Node b has the change once its fan-out message arrived; a session entering then is closed.
    await waitFor(
      () => {
        b.enforcer.admit(late);
        return late.closes.length > 0;
      },
      { what: 'the late session closed' },
    );
    expect(late.closes).toEqual([{ code: CloseCode.forbidden, reason: 'access revoked' }]);
  });
});
