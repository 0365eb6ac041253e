import { describe, expect, it } from 'vitest';
import { type BackoffPolicy, DEFAULT_BACKOFF, nextRetry } from './backoff.js';

const policy: BackoffPolicy = { ...DEFAULT_BACKOFF, baseMs: 100, capMs: 1_000, maxAttempts: 5 };

describe('nextRetry', () => {
  it('CLIENT-1: full jitter under a ceiling that doubles from baseMs up to capMs', () => {
    expect(nextRetry(1006, 0, policy, () => 0.5)).toEqual({ retry: true, delayMs: 50 });
    expect(nextRetry(1006, 2, policy, () => 0.5)).toEqual({ retry: true, delayMs: 200 });
    expect(nextRetry(1006, 4, policy, () => 0.999)).toEqual({ retry: true, delayMs: 999 });
    expect(nextRetry(1006, 0, policy, () => 0)).toEqual({ retry: true, delayMs: 0 });
  });

  it('CLIENT-1: after 1012 or 1001 the delay is restartMinMs plus a draw from restartSpreadMs', () => {
    for (const code of [1012, 1001]) {
      expect(nextRetry(code, 3, policy, () => 0.5)).toEqual({ retry: true, delayMs: 500 + 6_000 });
    }
  });

  it('CLIENT-2: a protocol-version refusal never retries; reaching maxAttempts gives up', () => {
    expect(nextRetry(4400, 0, policy, () => 0.5)).toEqual({
      retry: false,
      reason: 'the server does not speak this protocol version (4400)',
    });
    expect(nextRetry(1006, 5, policy, () => 0.5)).toEqual({ retry: false, reason: 'gave up after 5 attempts' });
  });
});
