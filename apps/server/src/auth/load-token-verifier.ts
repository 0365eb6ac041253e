import type { AuthSettings, TokenVerifier } from './token-verifier.js';

/**
 * The verifier `settings` configure, or null in open mode (no secret, key or JWKS URL). The JWT
 * library is loaded only when a key is configured, so an open-mode node does not hold it.
 */
export async function loadTokenVerifier(settings: AuthSettings): Promise<TokenVerifier | null> {
  if (settings.secret === null && settings.publicKey === null && settings.jwksUrl === null) return null;
  const { createTokenVerifier } = await import('./token-verifier.js');
  return createTokenVerifier(settings);
}
