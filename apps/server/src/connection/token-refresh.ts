import { CloseCode } from '@tandem/protocol';
import { accessFor } from '../auth/access.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Session } from './session.js';

/**
 * Handles a token refresh (an auth-token frame) on an authenticated session: same user, new expiry
 * and permissions (AUTH-5). A refresh for a different user, or a token that no longer allows the
 * document, closes it.
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
  session.grant(access);
}
