/** Hosts that count as "this machine" when no ALLOWED_ORIGINS list is configured. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a WebSocket upgrade from `origin` may proceed (cross-site WebSocket hijacking
 * defence). No Origin header: a non-browser client, allowed. `null` and unparsable origins:
 * refused. Otherwise the origin must be the server's own (same host as the Host header), in
 * `allowed` (exact scheme://host:port), or — when no list is configured — a loopback host.
 */
export function isOriginAllowed(
  origin: string | undefined,
  hostHeader: string | undefined,
  allowed: readonly string[] | null,
): boolean {
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (origin === 'null' || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) return false;
  if (hostHeader !== undefined && parsed.host === hostHeader.toLowerCase()) return true;
  if (allowed !== null) return allowed.includes(parsed.origin);
  return LOOPBACK_HOSTS.has(parsed.hostname);
}
