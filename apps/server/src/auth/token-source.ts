/** The parts of an upgrade request a token can come from. */
export interface TokenCarrier {
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Name of the cookie a browser app may use to carry its token. */
export const TOKEN_COOKIE = 'tandem_token';

/**
 * Finds a token in an upgrade request: `Authorization: Bearer …`, the `token` query parameter
 * (what y-websocket clients can send), or the `tandem_token` cookie, in that order.
 */
export function tokenFromRequest(request: TokenCarrier): string | null {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (match?.[1] !== undefined) return match[1];
  }
  const query = request.url.indexOf('?');
  if (query !== -1) {
    const token = new URLSearchParams(request.url.slice(query + 1)).get('token');
    if (token !== null && token !== '') return token;
  }
  const cookie = request.headers.cookie;
  if (typeof cookie === 'string') {
    for (const part of cookie.split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === TOKEN_COOKIE && value.length > 0) return decodeURIComponent(value.join('='));
    }
  }
  return null;
}
