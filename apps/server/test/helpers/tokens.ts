import { SignJWT } from 'jose';

/** The HS256 secret the security tests configure. */
export const TEST_SECRET = 'tandem-test-secret-0123456789';

/** Options for {@link signToken}. */
export interface TokenOptions {
  readonly secret?: string;
  readonly sub?: string;
  readonly name?: string;
  readonly color?: string;
  readonly docs?: Record<string, string>;
  readonly audience?: string;
  /** Seconds from now; null omits `exp`. */
  readonly expiresIn?: number | null;
}

/** Signs an HS256 token like an application backend would. */
export async function signToken(options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT({
    name: options.name ?? 'Test User',
    ...(options.color === undefined ? {} : { color: options.color }),
    docs: options.docs ?? { '*': 'write' },
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(options.sub ?? 'user-1')
    .setAudience(options.audience ?? 'tandem')
    .setIssuedAt();
  const expiresIn = options.expiresIn === undefined ? 3600 : options.expiresIn;
  if (expiresIn !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_SECRET));
}

/** An unsigned token (`alg: none`), which must always be refused. */
export function unsignedToken(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const payload = { sub: 'mallory', aud: 'tandem', exp: Math.floor(Date.now() / 1000) + 3600, docs: { '*': 'write' } };
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}
