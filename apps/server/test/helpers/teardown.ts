/** What a test opened, closed after it, last opened first. */
export interface Teardown {
  /** Registers how to close `value` and returns it: `const set = teardown.keep(await start(), (s) => s.stop())`. */
  keep<T>(value: T, close: (value: T) => unknown): T;
  /** Closes everything kept so far (every step runs, even after one failed; the first failure is rethrown). */
  run(): Promise<void>;
}

/** A fresh {@link Teardown}; call `run()` in `afterEach`. */
export function createTeardown(): Teardown {
  const steps: (() => unknown)[] = [];
  return {
    keep(value, close) {
      steps.push(() => close(value));
      return value;
    },
    async run() {
      let failure: unknown;
      for (const step of steps.splice(0).reverse()) {
        try {
          await step();
        } catch (err) {
          failure ??= err;
        }
      }
      if (failure !== undefined) throw failure;
    },
  };
}
