import { CloseCode, setLongTimeout } from '@tandem/protocol';
import type { Identity } from '../identity.js';
import type { Session } from '../rooms/session.js';
import { permissionFor } from './permissions.js';
import type { TokenVerifier } from './token-verifier.js';

/** Whether an identity may open a document, and how. */
export type AccessResult =
  | { readonly ok: true; readonly identity: Identity | null; readonly canWrite: boolean }
  | { readonly ok: false; readonly code: number; readonly reason: string };

/** Verifies `token` (if auth is on) and resolves the access it gives to `docId`. */
export async function accessFor(
  verifier: TokenVerifier | null,
  token: string | null,
  docId: string,
): Promise<AccessResult> {
  if (verifier === null) return { ok: true, identity: null, canWrite: true };
  if (token === null) return { ok: false, code: CloseCode.unauthenticated, reason: 'authentication required' };
  const verified = await verifier.verify(token);
  if (!verified.ok) return { ok: false, code: CloseCode.unauthenticated, reason: verified.reason };
  return accessOf(verified.identity, docId);
}

/** The access a verified identity gives to `docId`. */
export function accessOf(identity: Identity, docId: string): AccessResult {
  const permission = permissionFor(identity.rules, docId);
  if (permission === 'none') {
    return { ok: false, code: CloseCode.forbidden, reason: `not allowed on document ${JSON.stringify(docId)}` };
  }
  return { ok: true, identity, canWrite: permission === 'write' };
}

/**
 * Applies granted access to a session and closes it with 4401 when its token expires, unless
 * a refreshed token (auth-token frame) has moved the expiry by then (AUTH-5).
 */
export function applyAccess(session: Session, access: Extract<AccessResult, { ok: true }>): void {
  session.identity = access.identity;
  session.canWrite = access.canWrite;
  if (access.identity === null) return;
  const identity = access.identity;
  const check = () => {
    if (session.identity !== identity) return; // refreshed: the new identity has its own timer
    session.close(CloseCode.unauthenticated, 'token expired');
  };
  // A plain setTimeout fires at once for expiries past 2^31-1 ms (~24.8 days): service tokens.
  const timer = setLongTimeout(check, identity.expiresAt - Date.now(), { unref: true });
  void session.closed.then(() => timer.cancel());
}

/**
 * Handles a token refresh on an authenticated session: same user, new expiry and permissions.
 * A refresh for a different user, or a token that no longer allows the document, closes it.
 */
export async function refreshAccess(verifier: TokenVerifier | null, session: Session, token: string): Promise<void> {
  if (verifier === null) return;
  const access = await accessFor(verifier, token, session.roomId);
  if (!session.isOpen) return;
  if (!access.ok) {
    session.close(access.code, access.reason);
    return;
  }
  if (session.identity !== null && access.identity?.userId !== session.identity.userId) {
    session.close(CloseCode.unauthenticated, 'a refreshed token must be for the same user');
    return;
  }
  applyAccess(session, access);
}
