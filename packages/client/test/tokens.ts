import { nowSeconds, signHs256Token } from '@tandem/test-utils';

/** The secret the client tests give the server (AUTH_SECRET). */
export const SECRET = 'client-test-secret-0123456789';

/** Signs an HS256 JWT the way an application backend would: the client tests' defaults over the shared signer. */
export function sign(claims: Record<string, unknown>, expiresIn = 3600): string {
  return signHs256Token(SECRET, { sub: 'user-1', aud: 'tandem', exp: nowSeconds() + expiresIn, ...claims });
}
