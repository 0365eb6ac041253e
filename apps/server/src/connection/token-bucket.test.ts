import { describe, expect, it } from 'vitest';
import { createRateLimiter, TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('LIMIT-1: allows the burst, then the refill rate', () => {
    let t = 0;
    const bucket = new TokenBucket(10, 5, () => t);
    expect(Array.from({ length: 6 }, () => bucket.take())).toEqual([true, true, true, true, true, false]);
    t = 100; // 0.1 s at 10/s: one token
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    t = 10_000;
    expect(Array.from({ length: 6 }, () => bucket.take()).filter(Boolean)).toHaveLength(5);
  });

  it('LIMIT-1: a rate limiter admits frames within both the message and the byte budget', () => {
    let t = 0;
    const limiter = createRateLimiter(
      { messagesPerSecond: 100, messageBurst: 100, bytesPerSecond: 1000, byteBurst: 1000 },
      () => t,
    );
    expect(limiter.admit(900)).toBe(true);
    expect(limiter.admit(200)).toBe(false);
    t = 1000;
    expect(limiter.admit(200)).toBe(true);
  });
});
