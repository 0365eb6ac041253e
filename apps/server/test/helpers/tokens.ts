import { nowSeconds, signHs256Token, unsignedToken as unsignedJwt } from '@tandem/test-utils';

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

/** Signs an HS256 token like an application backend would: the server tests' defaults over the shared signer. */
export async function signToken(options: TokenOptions = {}): Promise<string> {
  const issuedAt = nowSeconds();
  const expiresIn = options.expiresIn === undefined ? 3600 : options.expiresIn;
  return signHs256Token(options.secret ?? TEST_SECRET, {
    name: options.name ?? 'Test User',
    ...(options.color === undefined ? {} : { color: options.color }),
    docs: options.docs ?? { '*': 'write' },
    sub: options.sub ?? 'user-1',
    aud: options.audience ?? 'tandem',
    iat: issuedAt,
    ...(expiresIn === null ? {} : { exp: issuedAt + expiresIn }),
  });
}

/** An unsigned token (`alg: none`), which must always be refused. */
export function unsignedToken(): string {
  return unsignedJwt({ sub: 'mallory', aud: 'tandem', exp: nowSeconds() + 3600, docs: { '*': 'write' } });
}
