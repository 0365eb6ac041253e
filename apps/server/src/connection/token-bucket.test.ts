import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './token-bucket.js';

describe('the connection rate limiter', () => {
  it('LIMIT-1: allows the message burst, then the refill rate', () => {
    let t = 0;
    const limiter = createRateLimiter(
      { messagesPerSecond: 10, messageBurst: 5, bytesPerSecond: 1e9, byteBurst: 1e9 },
      () => t,
    );
    expect(Array.from({ length: 6 }, () => limiter.admit(1))).toEqual([true, true, true, true, true, false]);
    t = 100; // 0.1 s at 10/s: one token
    expect(limiter.admit(1)).toBe(true);
    expect(limiter.admit(1)).toBe(false);
    t = 10_000;
    expect(Array.from({ length: 6 }, () => limiter.admit(1)).filter(Boolean)).toHaveLength(5);
  });

  it('LIMIT-1: allows the byte burst, then the byte refill rate; a frame refused for its bytes still spends its message', () => {
    let t = 0;
    const limiter = createRateLimiter(
      { messagesPerSecond: 1, messageBurst: 3, bytesPerSecond: 100, byteBurst: 100 },
      () => t,
    );
    expect(limiter.admit(60)).toBe(true);
    expect(limiter.admit(60)).toBe(false);
    t = 200; // 0.2 s: 20 more bytes (60 in all), 0.2 messages (1.2 in all)
    expect(limiter.admit(60)).toBe(true);
    expect(limiter.admit(1)).toBe(false);
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
