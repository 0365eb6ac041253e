import { describe, expect, it } from 'vitest';
import { deadlineAt, deadlineIn } from './deadline.js';

describe('deadline', () => {
  it('CONN-5: remaining() counts down on its clock and stops at 0; passed follows it', () => {
    let now = 1000;
    const deadline = deadlineAt(1500, () => now);
    expect(deadline.remaining()).toBe(500);
    expect(deadline.passed).toBe(false);
    now = 1499;
    expect(deadline.remaining()).toBe(1);
    now = 1600;
    expect(deadline.remaining()).toBe(0);
    expect(deadline.passed).toBe(true);
  });

  it('CONN-5: extendedBy() is the same deadline plus a margin, on the same clock', () => {
    let now = 0;
    const deadline = deadlineIn(100, () => now);
    const withMargin = deadline.extendedBy(50);
    expect(withMargin.at).toBe(150);
    now = 120;
    expect(deadline.passed).toBe(true);
    expect(withMargin.remaining()).toBe(30);
  });

  it('CONN-3: share() is a part of the time left, never past the deadline itself', () => {
    let now = 0;
    const deadline = deadlineIn(1000, () => now);
    now = 200;
    expect(deadline.share(0.5).at).toBe(600);
    expect(deadline.share(2).at).toBe(1000);
    now = 1200;
    expect(deadline.share(0.5).passed).toBe(true);
  });

  it('CONN-5: race() gives the value of a promise that settles in time', async () => {
    const deadline = deadlineIn(5_000);
    const value = new Promise<string>((resolve) => setImmediate(() => resolve('stored')));
    await expect(deadline.race(value)).resolves.toEqual({ done: true, value: 'stored' });
  });

  it('CONN-5: race() ends at the deadline when the promise never settles', async () => {
    const started = performance.now();
    const deadline = deadlineIn(40);
    await expect(deadline.race(new Promise(() => {}))).resolves.toEqual({ done: false });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(40);
    expect(deadline.passed).toBe(true);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('CONN-5: a promise already settled counts even when no time is left', async () => {
    const deadline = deadlineIn(-10);
    expect(deadline.passed).toBe(true);
    await expect(deadline.race(Promise.resolve(7))).resolves.toEqual({ done: true, value: 7 });
  });

  it('CONN-5: race() rejects when the promise rejects in time', async () => {
    const deadline = deadlineIn(5_000);
    await expect(deadline.race(Promise.reject(new Error('store refused')))).rejects.toThrow('store refused');
  });
});
