import { createHmac } from 'node:crypto';

/** The secret the client tests give the server (AUTH_SECRET). */
export const SECRET = 'client-test-secret-0123456789';

/** Signs an HS256 JWT the way an application backend would (node:crypto, no library). */
export function sign(claims: Record<string, unknown>, expiresIn = 3600): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({
    sub: 'user-1',
    aud: 'tandem',
    exp: Math.floor(Date.now() / 1000) + expiresIn,
    ...claims,
  })}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}
