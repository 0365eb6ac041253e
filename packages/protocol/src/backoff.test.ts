import { describe, expect, it } from 'vitest';
import { backoffCeiling, equalJitter, fullJitter } from './backoff.js';

describe('backoffCeiling', () => {
  it('doubles from the base with each attempt', () => {
    expect([0, 1, 2, 3].map((attempt) => backoffCeiling(100, 10_000, attempt))).toEqual([100, 200, 400, 800]);
  });

  it('never passes the cap, also when 2^attempt overflows', () => {
    expect(backoffCeiling(100, 1_000, 4)).toBe(1_000);
    expect(backoffCeiling(100, 1_000, 10_000)).toBe(1_000);
  });

  it('grows without bound when the cap is Infinity', () => {
    expect(backoffCeiling(500, Number.POSITIVE_INFINITY, 40)).toBe(500 * 2 ** 40);
  });
});

describe('fullJitter', () => {
  it('draws uniformly between 0 and the ceiling', () => {
    expect(fullJitter(800, () => 0)).toBe(0);
    expect(fullJitter(800, () => 0.5)).toBe(400);
    expect(fullJitter(800, () => 0.999)).toBeCloseTo(799.2);
  });
});

describe('equalJitter', () => {
  it('keeps at least half the ceiling and rounds to whole milliseconds', () => {
    expect(equalJitter(800, () => 0)).toBe(400);
    expect(equalJitter(800, () => 1)).toBe(800);
    expect(equalJitter(101, () => 0)).toBe(51);
  });
});
