import { backoffCeiling, fullJitter } from '@tandem/protocol';
import { closeAction, refusalWords } from './close-policy.js';

/** How a connection waits between attempts. */
export interface BackoffPolicy {
  /** First retry waits up to this long (full jitter: a uniform draw in [0, delay]). */
  readonly baseMs: number;
  /** The exponential ceiling never grows past this. */
  readonly capMs: number;
  /** Give up after this many consecutive failed attempts (Infinity: never). */
  readonly maxAttempts: number;
  /** After a server restart or drain (1012 / 1001), wait at least this long… */
  readonly restartMinMs: number;
  /** …plus a uniform draw in [0, restartSpreadMs], so a fleet of clients does not return at once. */
  readonly restartSpreadMs: number;
  /** A connection that stays up this long resets the attempt counter. */
  readonly stableAfterMs: number;
}

/** Defaults: a lone blip retries within ~1 s; 5,000 clients after a restart spread over ~12 s. */
export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 1_000,
  capMs: 30_000,
  maxAttempts: Number.POSITIVE_INFINITY,
  restartMinMs: 500,
  restartSpreadMs: 12_000,
  stableAfterMs: 10_000,
};

/** Whether and when to try again after a close. */
export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly reason: string };

/**
 * Decides the next attempt after a connection closed with `code` (see {@link closeAction}: a
 * refusal stops, a restart waits the restart delay, anything else backs off). `attempt` counts
 * consecutive failures (0 for the first retry). `random` returns a float in [0, 1).
 */
export function nextRetry(code: number, attempt: number, policy: BackoffPolicy, random: () => number): RetryDecision {
  const action = closeAction(code, 'connection');
  if (action === 'stop') return { retry: false, reason: `${refusalWords(code)} (${code})` };
  if (attempt >= policy.maxAttempts) {
    return { retry: false, reason: `gave up after ${attempt} attempts` };
  }
  if (action === 'restart') {
    return { retry: true, delayMs: policy.restartMinMs + fullJitter(policy.restartSpreadMs, random) };
  }
  return { retry: true, delayMs: fullJitter(backoffCeiling(policy.baseMs, policy.capMs, attempt), random) };
}
