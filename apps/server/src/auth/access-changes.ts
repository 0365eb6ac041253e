import type { Identity, PermissionRule } from '../identity.js';
import type { TokenVerifier } from './token-verifier.js';

/**
 * A change of access made after tokens were issued (REVOKE-1, REVOKE-4). It binds the tokens
 * issued before it (`iat` at or before `at`, or no `iat`) until `until`; tokens issued later carry
 * the application's new decision themselves.
 */
export type AccessChange =
  | {
      readonly kind: 'revoke';
      /** Whose tokens (`sub`); null: everyone's. */
      readonly subject: string | null;
      /** Which document (an exact id); null: every document. */
      readonly document: string | null;
      /** When it was made, in ms since the epoch. */
      readonly at: number;
      /** When it stops binding (ms since the epoch): tokens issued before `at` should have expired by then. */
      readonly until: number;
    }
  | {
      readonly kind: 'permissions';
      readonly subject: string;
      /** The `docs` rules that replace those of the subject's earlier tokens. */
      readonly rules: readonly PermissionRule[];
      readonly at: number;
      readonly until: number;
    };

/** Where access changes are kept, so that every node sees them (REVOKE-2). */
export interface AccessChangeLog {
  /** Keeps `change` until its `until`; drops changes whose `until` has passed. */
  record(change: AccessChange): Promise<void>;
  /** The changes still binding at `now` that concern `subject` (its own, and those for everyone), oldest first. */
  active(subject: string, now: number): Promise<AccessChange[]>;
  close(): Promise<void>;
}

/** Whether `change` binds `identity`: its subject, a token issued at or before the change, not yet lapsed. */
export function binds(change: AccessChange, identity: Identity, now: number): boolean {
  if (now >= change.until) return false;
  if (change.subject !== null && change.subject !== identity.userId) return false;
  // `iat` counts whole seconds: a token of the change's own second counts as issued before it.
  return identity.issuedAt === undefined || identity.issuedAt <= change.at;
}

/** The identity as `changes` leave it: their rules in order (a revocation wins over any rule of its document). */
export function withChanges(identity: Identity, changes: readonly AccessChange[], now: number): Identity {
  let rules = identity.rules;
  for (const change of changes) {
    if (!binds(change, identity, now)) continue;
    if (change.kind === 'permissions') rules = change.rules;
    else if (change.document === null) rules = [];
    // An exact rule is the most specific, and `none` wins a tie (permissions.ts).
    else rules = [...rules, { pattern: change.document, permission: 'none' }];
  }
  return rules === identity.rules ? identity : { ...identity, rules };
}

/**
 * A verifier whose identities carry the access changes made since their tokens were issued (REVOKE-2):
 * every endpoint that verifies a token (sync, refresh, the document HTTP APIs) sees them. A log that
 * cannot be read refuses the token rather than let a revoked one through.
 */
export function changeAwareVerifier(
  verifier: TokenVerifier,
  log: Pick<AccessChangeLog, 'active'>,
  now: () => number = Date.now,
): TokenVerifier {
  return {
    async verify(token) {
      const verified = await verifier.verify(token);
      if (!verified.ok) return verified;
      let changes: AccessChange[];
      try {
        changes = await log.active(verified.identity.userId, now());
      } catch {
        return { ok: false, reason: 'access changes could not be read; try again' };
      }
      return { ok: true, identity: withChanges(verified.identity, changes, now()) };
    },
  };
}

/** A log in memory (one node, and tests). */
export function createMemoryAccessChangeLog(): AccessChangeLog {
  let changes: AccessChange[] = [];
  return {
    async record(change) {
      changes = [...changes.filter((c) => c.until > change.at), change];
    },
    async active(subject, now) {
      return changes.filter((c) => c.until > now && (c.subject === null || c.subject === subject));
    },
    async close() {},
  };
}

/** A change as JSON (the fan-out payload, and the stored rules). */
export function encodeAccessChange(change: AccessChange): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(change));
}

/** Decodes {@link encodeAccessChange}'s bytes; null for anything else. */
export function decodeAccessChange(bytes: Uint8Array): AccessChange | null {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as AccessChange;
    if (typeof value.at !== 'number' || typeof value.until !== 'number') return null;
    if (value.kind === 'revoke' || (value.kind === 'permissions' && Array.isArray(value.rules))) return value;
    return null;
  } catch {
    return null;
  }
}
