import { backoffCeiling, equalJitter } from '@tandem/protocol';

/** Bounds of a jittered exponential backoff. */
export interface BackoffPolicy {
  /** Delay before the first retry. */
  readonly minMs: number;
  /** Cap on any delay. */
  readonly maxMs: number;
}

/**
 * Delay before retry number `attempt` (0-based): doubling from `minMs` up to `maxMs` (the shared
 * formula), with the upper half randomised so that nodes which failed together do not retry in lockstep.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  return equalJitter(backoffCeiling(policy.minMs, policy.maxMs, attempt), random);
}
