import { describe, expect, it } from 'vitest';
import type { Identity } from '../identity.js';
import { accessOf } from './access.js';
import {
  type AccessChange,
  changeAwareVerifier,
  createMemoryAccessChangeLog,
  decodeAccessChange,
  encodeAccessChange,
  withChanges,
} from './access-changes.js';
import type { TokenVerifier } from './token-verifier.js';

const alice: Identity = {
  userId: 'alice',
  name: 'Alice',
  color: null,
  rules: [
    { pattern: 'team/*', permission: 'write' },
    { pattern: 'team/board', permission: 'write' },
  ],
  expiresAt: 100_000,
  issuedAt: 1_000,
};

const canWrite = (identity: Identity, doc: string) => {
  const access = accessOf(identity, doc);
  return access.ok ? (access.canWrite ? 'write' : 'read') : 'none';
};

describe('access changes', () => {
  it('REVOKE-1: a revocation binds tokens issued at or before it, for its subject or everyone, until it lapses', () => {
    const change: AccessChange = { kind: 'revoke', subject: 'alice', document: null, at: 2_000, until: 50_000 };
    expect(canWrite(withChanges(alice, [change], 3_000), 'team/notes')).toBe('none');
    // Issued after the change: the application's new token decides.
    expect(canWrite(withChanges({ ...alice, issuedAt: 3_000 }, [change], 3_000), 'team/notes')).toBe('write');
    // Issued in the same second (iat counts seconds) or without iat: bound.
    expect(canWrite(withChanges({ ...alice, issuedAt: 2_000 }, [change], 3_000), 'team/notes')).toBe('none');
    const { issuedAt: _, ...noIat } = alice;
    expect(canWrite(withChanges(noIat, [change], 3_000), 'team/notes')).toBe('none');
    // Another subject, or after `until`: not bound.
    expect(canWrite(withChanges({ ...alice, userId: 'bob' }, [change], 3_000), 'team/notes')).toBe('write');
    expect(canWrite(withChanges(alice, [change], 50_000), 'team/notes')).toBe('write');
  });

  it('REVOKE-1: a document revocation wins over an exact rule of the token and leaves other documents', () => {
    const change: AccessChange = { kind: 'revoke', subject: null, document: 'team/board', at: 2_000, until: 50_000 };
    const changed = withChanges(alice, [change], 3_000);
    expect(canWrite(changed, 'team/board')).toBe('none');
    expect(canWrite(changed, 'team/notes')).toBe('write');
  });

  it('REVOKE-4: a permission push replaces the rules of earlier tokens', () => {
    const change: AccessChange = {
      kind: 'permissions',
      subject: 'alice',
      rules: [{ pattern: 'team/*', permission: 'read' }],
      at: 2_000,
      until: 50_000,
    };
    const changed = withChanges(alice, [change], 3_000);
    expect(canWrite(changed, 'team/board')).toBe('read');
    expect(canWrite(changed, 'elsewhere')).toBe('none');
  });

  it('REVOKE-2: the change-aware verifier applies the logged changes, and refuses when the log cannot be read', async () => {
    const inner: TokenVerifier = { verify: async () => ({ ok: true, identity: alice }) };
    const log = createMemoryAccessChangeLog();
    await log.record({ kind: 'revoke', subject: 'alice', document: 'team/board', at: 2_000, until: 50_000 });
    const verified = await changeAwareVerifier(inner, log, () => 3_000).verify('token');
    expect(verified.ok && canWrite(verified.identity, 'team/board')).toBe('none');
    const broken = changeAwareVerifier(inner, {
      active: async () => {
        throw new Error('database down');
      },
    });
    expect(await broken.verify('token')).toEqual({ ok: false, reason: 'access changes could not be read; try again' });
  });

  it('REVOKE-3: a change survives its wire encoding; other bytes decode to null', () => {
    const change: AccessChange = { kind: 'revoke', subject: 'a', document: null, at: 1, until: 2 };
    expect(decodeAccessChange(encodeAccessChange(change))).toEqual(change);
    expect(decodeAccessChange(Uint8Array.of(1, 2, 3))).toBeNull();
    expect(decodeAccessChange(new TextEncoder().encode('{"kind":"other","at":1,"until":2}'))).toBeNull();
  });
});
