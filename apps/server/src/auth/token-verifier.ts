import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { Identity } from '../identity.js';
import { parseDocsClaim } from './permissions.js';

/** Where tokens are verified against. At most one of secret / publicKey / jwksUrl is set. */
export interface AuthSettings {
  /** HS256 shared secret. */
  readonly secret: string | null;
  /** RS256 or ES256 public key (PEM, SPKI). */
  readonly publicKey: string | null;
  /** A JWKS URL serving RS256/ES256 keys. */
  readonly jwksUrl: string | null;
  /** Required `aud`. */
  readonly audience: string;
}

/** A verification outcome; `reason` is safe to show the client. */
export type VerifyResult =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly reason: string };

/** Verifies JWTs. */
export interface TokenVerifier {
  verify(token: string): Promise<VerifyResult>;
}

/** Creates a verifier, or null in open mode (nothing configured). */
export function createTokenVerifier(settings: AuthSettings): TokenVerifier | null {
  let key: Uint8Array | KeyObject | JWTVerifyGetKey;
  let algorithms: string[];
  if (settings.secret !== null) {
    key = new TextEncoder().encode(settings.secret);
    algorithms = ['HS256'];
  } else if (settings.publicKey !== null) {
    const publicKey = createPublicKey(settings.publicKey);
    key = publicKey;
    algorithms = publicKey.asymmetricKeyType === 'ec' ? ['ES256'] : ['RS256'];
  } else if (settings.jwksUrl !== null) {
    key = createRemoteJWKSet(new URL(settings.jwksUrl));
    algorithms = ['RS256', 'ES256'];
  } else {
    return null;
  }
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key as Uint8Array, {
          algorithms,
          audience: settings.audience,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        return { ok: false, reason: describe(err) };
      }
      const rules = parseDocsClaim(payload.docs);
      if (rules === null) return { ok: false, reason: 'token claim "docs" is malformed' };
      return {
        ok: true,
        identity: {
          userId: String(payload.sub),
          name: typeof payload.name === 'string' ? payload.name.slice(0, 100) : String(payload.sub),
          color: typeof payload.color === 'string' && /^#[0-9a-fA-F]{3,8}$/.test(payload.color) ? payload.color : null,
          rules,
          expiresAt: (payload.exp ?? 0) * 1000,
          ...(typeof payload.iat === 'number' ? { issuedAt: payload.iat * 1000 } : {}),
        },
      };
    },
  };
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'token expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `token claim "${err.claim}" is invalid (${err.reason})`;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'token is malformed';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key matches the token';
  return 'token could not be verified';
}
