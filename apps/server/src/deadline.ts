/** How {@link Deadline.race} settled: with the promise's value, or with the deadline passing first. */
export type Raced<T> = { readonly done: true; readonly value: T } | { readonly done: false };

/**
 * One absolute point in time shared by every step of a bounded operation (the shutdown drain):
 * each wait takes what is left of it, so the steps together can never add up to more.
 */
export interface Deadline {
  /** The point in time, on the clock the deadline was made with (milliseconds). */
  readonly at: number;
  /** Milliseconds left; 0 once passed. */
  remaining(): number;
  /** True once the deadline has passed. */
  readonly passed: boolean;
  /**
   * Settles with `promise`'s value, or `{ done: false }` once the deadline passes, whichever comes
   * first; a promise already settled counts even when no time is left. Rejects if `promise` does first.
   */
  race<T>(promise: Promise<T>): Promise<Raced<T>>;
  /** A later deadline: this one plus `ms` (e.g. a margin for closing the store after a drain). */
  extendedBy(ms: number): Deadline;
  /** An earlier deadline for one step: `fraction` (0…1) of the time left, so later steps keep the rest. */
  share(fraction: number): Deadline;
}

/** A clock in milliseconds; `performance.now` by default, so wall-clock jumps do not move deadlines. */
export type Clock = () => number;

const monotonic: Clock = () => performance.now();

/** The deadline at `at` on `clock`. */
export function deadlineAt(at: number, clock: Clock = monotonic): Deadline {
  const remaining = () => Math.max(0, at - clock());
  return {
    at,
    remaining,
    get passed() {
      return remaining() === 0;
    },
    race<T>(promise: Promise<T>): Promise<Raced<T>> {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<Raced<T>>((resolve) => {
        // Timers run on the event loop's cached millisecond clock and may fire a little early: re-arm until passed.
        const arm = () => {
          timer = setTimeout(() => (remaining() > 0 ? arm() : resolve({ done: false })), Math.ceil(remaining()));
        };
        arm();
      });
      const settled = promise.then((value): Raced<T> => ({ done: true, value }));
      return Promise.race([settled, expired]).finally(() => clearTimeout(timer));
    },
    extendedBy(ms) {
      return deadlineAt(at + ms, clock);
    },
    share(fraction) {
      return deadlineAt(clock() + remaining() * Math.min(1, Math.max(0, fraction)), clock);
    },
  };
}

/** The deadline `ms` from now. */
export function deadlineIn(ms: number, clock: Clock = monotonic): Deadline {
  return deadlineAt(clock() + ms, clock);
}
