/**
 * The one exponential backoff formula of Tandem: the client's reconnects, the server's store and
 * Redis retries and its webhook redeliveries all grow their delays with it. Each caller picks the
 * jitter that fits who retries together: a fleet of clients spreads over the whole window
 * ({@link fullJitter}); a handful of server nodes keeps at least half the delay ({@link equalJitter}).
 */

/**
 * Ceiling of retry number `attempt` (0-based): `baseMs · 2^attempt`, never past `capMs`
 * (`Infinity`: no cap). An attempt count past ~1,000 overflows to Infinity, which the cap bounds.
 */
export function backoffCeiling(baseMs: number, capMs: number, attempt: number): number {
  return Math.min(capMs, baseMs * 2 ** attempt);
}

/** A uniform draw in [0, ceilingMs] (`random` returns a float in [0, 1)). */
export function fullJitter(ceilingMs: number, random: () => number): number {
  return random() * ceilingMs;
}

/** At least half of `ceilingMs`, the upper half drawn at random, in whole milliseconds. */
export function equalJitter(ceilingMs: number, random: () => number): number {
  return Math.round(ceilingMs / 2 + (random() * ceilingMs) / 2);
}
