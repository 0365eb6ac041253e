/**
 * The largest delay `setTimeout` and `setInterval` honour (2^31-1 ms, about 24.8 days). Node and
 * browsers store the delay in a signed 32-bit integer: a longer one fires after ~1 ms instead.
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** A delay `setTimeout` / `setInterval` take as meant: NaN and negatives become 0, longer ones the maximum. */
export function clampTimerDelay(delayMs: number): number {
  if (Number.isNaN(delayMs) || delayMs <= 0) return 0;
  return Math.min(delayMs, MAX_TIMER_DELAY_MS);
}

/** A pending {@link setLongTimeout}. */
export interface LongTimer {
  /** Stops it; the callback is not called. Calling it again, or after the callback ran, does nothing. */
  cancel(): void;
}

/** Options of {@link setLongTimeout}. */
export interface LongTimerOptions {
  /** Do not keep a Node process alive for this timer (no effect in browsers). Default false. */
  readonly unref?: boolean;
}

/**
 * Calls `callback` once after `delayMs`, however far ahead (a token expiring in ten years, a
 * backoff cap the user set to a month): it waits in steps of at most {@link MAX_TIMER_DELAY_MS}.
 * NaN and negative delays fire on the next timer tick; `Infinity` never fires.
 */
export function setLongTimeout(callback: () => void, delayMs: number, options: LongTimerOptions = {}): LongTimer {
  let remaining = Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs);
  let handle: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    const step = Math.min(remaining, MAX_TIMER_DELAY_MS);
    remaining -= step;
    handle = setTimeout(() => {
      handle = undefined;
      if (remaining > 0) arm();
      else callback();
    }, step);
    // Browsers return a number; Node a Timeout that can stop holding the process open.
    if (options.unref === true) (handle as { unref?: () => void }).unref?.();
  };
  if (remaining !== Number.POSITIVE_INFINITY) arm();
  return {
    cancel() {
      clearTimeout(handle);
      handle = undefined;
    },
  };
}
