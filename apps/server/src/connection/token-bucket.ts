/** A token bucket: `ratePerSecond` tokens refill continuously up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `amount` tokens if available; false means the caller is over its rate. */
  take(amount = 1): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < amount) return false;
    this.tokens -= amount;
    return true;
  }
}

/** Per-connection message and byte budgets (1008 when exceeded, LIMIT-1). */
export interface RateLimits {
  readonly messagesPerSecond: number;
  readonly messageBurst: number;
  readonly bytesPerSecond: number;
  readonly byteBurst: number;
}

/** Says whether one more frame of `bytes` is within a connection's budgets. */
export interface RateLimiter {
  admit(bytes: number): boolean;
}

/** A connection's two buckets (messages and bytes). */
export function createRateLimiter(limits: RateLimits, now?: () => number): RateLimiter {
  const messages = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, now);
  const bytes = new TokenBucket(limits.bytesPerSecond, limits.byteBurst, now);
  return { admit: (size) => messages.take(1) && bytes.take(size) };
}
