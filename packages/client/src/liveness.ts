/** How a connection decides the server is gone although the socket looks open (half-open). */
export interface LivenessPolicy {
  /** Send an app-level ping after this much silence (tandem.v1 only). */
  readonly pingIntervalMs: number;
  /** Silence longer than pingIntervalMs + pongTimeoutMs means the connection is dead. */
  readonly pongTimeoutMs: number;
  /** While a document waits for its first sync (which may be a large frame), allow this much silence. */
  readonly syncTimeoutMs: number;
  /** Plain y-websocket servers answer no pings: silence this long means dead. */
  readonly plainIdleTimeoutMs: number;
}

/** Defaults: a half-open socket is replaced within ~17 s; a first sync may stay silent for 2 minutes. */
export const DEFAULT_LIVENESS: LivenessPolicy = {
  pingIntervalMs: 10_000,
  pongTimeoutMs: 5_000,
  syncTimeoutMs: 120_000,
  plainIdleTimeoutMs: 30_000,
};

/** What the liveness check concludes after `silentMs` without a byte from the server. */
export function livenessVerdict(
  silentMs: number,
  policy: LivenessPolicy,
  state: { readonly plain: boolean; readonly syncing: boolean },
): 'ok' | 'ping' | 'dead' {
  const deadline = state.plain
    ? policy.plainIdleTimeoutMs
    : state.syncing
      ? Math.max(policy.syncTimeoutMs, policy.pingIntervalMs + policy.pongTimeoutMs)
      : policy.pingIntervalMs + policy.pongTimeoutMs;
  if (silentMs > deadline) return 'dead';
  if (!state.plain && silentMs >= policy.pingIntervalMs) return 'ping';
  return 'ok';
}
