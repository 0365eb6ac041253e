import { createHmac } from 'node:crypto';

/**
 * Signs `claims` as an HS256 JWT, the way an application backend would for a server configured
 * with `AUTH_SECRET=secret` (node:crypto, so test helpers need no JWT library). The claims go in
 * as given: the caller sets `sub`, `aud`, `exp` and `docs`.
 */
export function signHs256Token(secret: string, claims: Record<string, unknown>): string {
  const body = `${base64UrlJson({ alg: 'HS256', typ: 'JWT' })}.${base64UrlJson(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** An unsigned token (`alg: none`) with `claims`, which a server must always refuse. */
export function unsignedToken(claims: Record<string, unknown>): string {
  return `${base64UrlJson({ alg: 'none', typ: 'JWT' })}.${base64UrlJson(claims)}.`;
}

/** Seconds since the epoch, as JWT `iat` / `exp` count them. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
