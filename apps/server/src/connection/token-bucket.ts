/** A token bucket: `ratePerSecond` tokens refill continuously up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = monotonicMs,
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

/** performance.now, shared by every bucket (a default closure per bucket would be one more object per connection). */
function monotonicMs(): number {
  return performance.now();
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

/** A connection's two buckets (messages and bytes), held by one object. */
class BucketPair implements RateLimiter {
  constructor(
    private readonly messages: TokenBucket,
    private readonly bytes: TokenBucket,
  ) {}

  admit(size: number): boolean {
    return this.messages.take(1) && this.bytes.take(size);
  }
}

/** A connection's two buckets (messages and bytes). */
export function createRateLimiter(limits: RateLimits, now: () => number = monotonicMs): RateLimiter {
  return new BucketPair(
    new TokenBucket(limits.messagesPerSecond, limits.messageBurst, now),
    new TokenBucket(limits.bytesPerSecond, limits.byteBurst, now),
  );
}
