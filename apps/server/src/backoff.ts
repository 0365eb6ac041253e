/** Bounds of a jittered exponential backoff. */
export interface BackoffPolicy {
  /** Delay before the first retry. */
  readonly minMs: number;
  /** Cap on any delay. */
  readonly maxMs: number;
}

/**
 * Delay before retry number `attempt` (0-based): doubling from `minMs` up to `maxMs`, with the
 * upper half randomised so that nodes which failed together do not retry in lockstep.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
