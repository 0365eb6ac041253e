/** performance.now, shared by every limiter (a default closure per limiter would be one more object per connection). */
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

/**
 * The two token buckets of one connection in one object (LIMIT-1): a message budget and a byte
 * budget, each refilling continuously at its rate up to its burst. A frame takes one message and
 * its size in bytes; a frame refused for its bytes has still spent its message. A connection's
 * frame intake is one of these (one object per socket, not two).
 */
export class ConnectionRateLimiter implements RateLimiter {
  private messages: number;
  private bytes: number;
  private last: number;

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = monotonicMs,
  ) {
    this.messages = limits.messageBurst;
    this.bytes = limits.byteBurst;
    this.last = now();
  }

  admit(size: number): boolean {
    const now = this.now();
    const seconds = (now - this.last) / 1000;
    this.last = now;
    const limits = this.limits;
    this.messages = Math.min(limits.messageBurst, this.messages + seconds * limits.messagesPerSecond);
    this.bytes = Math.min(limits.byteBurst, this.bytes + seconds * limits.bytesPerSecond);
    if (this.messages < 1) return false;
    this.messages -= 1;
    if (this.bytes < size) return false;
    this.bytes -= size;
    return true;
  }
}

/** A connection's rate limiter over `limits` (shared by every connection; never copied). */
export function createRateLimiter(limits: RateLimits, now: () => number = monotonicMs): RateLimiter {
  return new ConnectionRateLimiter(limits, now);
}
