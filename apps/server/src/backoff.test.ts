import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const policy = { minMs: 100, maxMs: 2_000 };

  it('doubles from the minimum up to the cap, within the jitter band', () => {
    expect(backoffDelay(policy, 0, () => 0)).toBe(50);
    expect(backoffDelay(policy, 0, () => 1)).toBe(100);
    expect(backoffDelay(policy, 3, () => 1)).toBe(800);
    expect(backoffDelay(policy, 10, () => 1)).toBe(2_000);
    expect(backoffDelay(policy, 10_000, () => 0)).toBe(1_000);
  });

  it('spreads retries of nodes that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(policy, 4)));
    expect(delays.size).toBeGreaterThan(10);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(800);
  });
});
