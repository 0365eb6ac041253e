import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clampTimerDelay, MAX_TIMER_DELAY_MS, setLongTimeout } from './long-timer.js';

const DAY_MS = 86_400_000;

describe('setLongTimeout (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ['1 second', 1_000],
    ['exactly the 32-bit maximum', MAX_TIMER_DELAY_MS],
    ['one past the maximum', MAX_TIMER_DELAY_MS + 1],
    ['400 days', 400 * DAY_MS],
    ['10 years', 3653 * DAY_MS],
  ])('AUTH-5: a delay of %s fires once, at the delay and not before', async (_name, delayMs) => {
    const fired: number[] = [];
    const started = Date.now();
    setLongTimeout(() => fired.push(Date.now() - started), delayMs);
    await vi.advanceTimersByTimeAsync(delayMs - 1);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual([delayMs]);
    await vi.advanceTimersByTimeAsync(10 * MAX_TIMER_DELAY_MS);
    expect(fired).toEqual([delayMs]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('AUTH-5: never hands setTimeout a delay past the 32-bit maximum', async () => {
    const delays: number[] = [];
    const real = globalThis.setTimeout;
    const recording = ((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return real(fn, ms);
    }) as typeof setTimeout;
    globalThis.setTimeout = recording;
    try {
      setLongTimeout(() => {}, 3653 * DAY_MS);
      await vi.advanceTimersByTimeAsync(3653 * DAY_MS);
    } finally {
      globalThis.setTimeout = real;
    }
    expect(delays.length).toBe(Math.ceil((3653 * DAY_MS) / MAX_TIMER_DELAY_MS));
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
    expect(delays.reduce((a, b) => a + b, 0)).toBe(3653 * DAY_MS);
  });

  it('AUTH-5: cancel stops it, also after it has re-armed; cancelling twice is harmless', async () => {
    const fired: string[] = [];
    const early = setLongTimeout(() => fired.push('early'), 5_000);
    const late = setLongTimeout(() => fired.push('late'), 400 * DAY_MS);
    early.cancel();
    await vi.advanceTimersByTimeAsync(2 * MAX_TIMER_DELAY_MS);
    late.cancel();
    late.cancel();
    await vi.advanceTimersByTimeAsync(400 * DAY_MS);
    expect(fired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('AUTH-5: zero, negative and NaN delays fire on the next tick; Infinity never fires', async () => {
    const fired: string[] = [];
    setLongTimeout(() => fired.push('zero'), 0);
    setLongTimeout(() => fired.push('negative'), -5_000);
    setLongTimeout(() => fired.push('nan'), Number.NaN);
    const never = setLongTimeout(() => fired.push('infinity'), Number.POSITIVE_INFINITY);
    await vi.advanceTimersByTimeAsync(0);
    expect(fired).toEqual(['zero', 'negative', 'nan']);
    await vi.advanceTimersByTimeAsync(100 * MAX_TIMER_DELAY_MS);
    expect(fired).toEqual(['zero', 'negative', 'nan']);
    never.cancel();
  });
});

describe('setLongTimeout (real timers)', () => {
  it('AUTH-5: unref lets the process exit; by default the timer holds it open', () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const held = setLongTimeout(() => {}, 400 * DAY_MS);
    expect(timers()).toBe(before + 1);
    const unrefd = setLongTimeout(() => {}, 400 * DAY_MS, { unref: true });
    expect(timers()).toBe(before + 1);
    held.cancel();
    unrefd.cancel();
    expect(timers()).toBe(before);
  });
});

describe('clampTimerDelay', () => {
  it.each([
    [1_000, 1_000],
    [0, 0],
    [-1, 0],
    [Number.NaN, 0],
    [MAX_TIMER_DELAY_MS, MAX_TIMER_DELAY_MS],
    [MAX_TIMER_DELAY_MS + 1, MAX_TIMER_DELAY_MS],
    [Number.POSITIVE_INFINITY, MAX_TIMER_DELAY_MS],
  ])('AUTH-5: %d → %d', (input, expected) => {
    expect(clampTimerDelay(input)).toBe(expected);
  });
});
