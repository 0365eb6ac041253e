import type { AwarenessEntry } from '@tandem/protocol';
import type { Identity } from '../identity.js';
import { DEFAULT_UPDATE_LIMITS, type UpdateLimits } from './update-guard.js';

/** What sessions may write into a room. */
export interface WritePolicy {
  /** Whether read-only sessions may publish presence. */
  readonly readOnlyPresence: boolean;
  /** Largest awareness state of one client (JSON bytes). */
  readonly maxAwarenessStateBytes: number;
  readonly updateLimits: UpdateLimits;
  /** An update waiting for missing history longer than this is dropped and its sender closed (YJS-3). */
  readonly pendingDeadlineMs: number;
}

/** Defaults for rooms built without a configured policy (tests). */
export const DEFAULT_WRITE_POLICY: WritePolicy = {
  readOnlyPresence: true,
  maxAwarenessStateBytes: 16 * 1024,
  updateLimits: DEFAULT_UPDATE_LIMITS,
  pendingDeadlineMs: 10_000,
};

/**
 * Checks a session's awareness entries against the size limit and, for authenticated
 * sessions, replaces the `user` field with the identity from the token, so nobody can
 * present themselves under another name or color.
 */
export function admitAwareness(
  entries: readonly AwarenessEntry[],
  identity: Identity | null,
  policy: WritePolicy,
): { ok: true; entries: AwarenessEntry[] } | { ok: false; reason: string } {
  const admitted: AwarenessEntry[] = [];
  for (const entry of entries) {
    if (Buffer.byteLength(entry.state, 'utf8') > policy.maxAwarenessStateBytes) {
      return { ok: false, reason: `awareness state larger than ${policy.maxAwarenessStateBytes} bytes` };
    }
    admitted.push(identity === null ? entry : { ...entry, state: withIdentity(entry.state, identity) });
  }
  return { ok: true, entries: admitted };
}

function withIdentity(state: string, identity: Identity): string {
  const parsed: unknown = JSON.parse(state);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return state;
  const current = (parsed as { user?: unknown }).user;
  const user = current !== null && typeof current === 'object' && !Array.isArray(current) ? current : {};
  return JSON.stringify({
    ...parsed,
    user: { ...user, id: identity.userId, name: identity.name, color: identity.color ?? colorFor(identity.userId) },
  });
}

/** A stable color per user id, for tokens that carry none. */
export function colorFor(userId: string): string {
  let hash = 0;
  for (const char of userId) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return `hsl(${hash % 360}, 65%, 45%)`;
}
