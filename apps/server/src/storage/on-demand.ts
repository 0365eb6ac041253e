/** How {@link onDemand} starts, checks and stops its resource (a worker thread). */
export interface OnDemandOptions<T> {
  /** Starts the resource; resolves once it can serve, rejects when it cannot be started. */
  start(): Promise<T>;
  /**
   * Stops it. Once idle, no use of it is in flight; on {@link OnDemand.close}, uses already handed
   * it may be (a thread answers what it was asked before it stops).
   */
  stop(resource: T): Promise<void>;
  /** Whether a started resource can still serve (a thread that failed cannot): a dead one is replaced. */
  alive(resource: T): boolean;
  /** It is stopped after this long without a use. */
  readonly idleMs: number;
  /** The error a use made after {@link OnDemand.close} rejects with. */
  closedError(): Error;
}

/** A resource started on its first use and stopped once idle: see {@link onDemand}. */
export interface OnDemand<T> {
  /**
   * Runs `fn` with the running resource, starting it first when it is not running (or waiting for
   * a stop in progress to end). Uses are handed the resource in the order they were made.
   */
  use<R>(fn: (resource: T) => Promise<R>): Promise<R>;
  /** Whether it is started (or starting) now. */
  readonly running: boolean;
  /** Stops it now if no use is in flight (it starts again on the next use). */
  stopIfIdle(): void;
  /** Stops it now; later uses reject with {@link OnDemandOptions.closedError}. */
  close(): Promise<void>;
}

/**
 * A resource that runs only while it has work: started by the first use, stopped once no use has
 * been made for `idleMs`, started again by the next. Memory then follows activity: an idle node
 * holds no isolate for a thread it is not using.
 */
export function onDemand<T>(options: OnDemandOptions<T>): OnDemand<T> {
  let current: Promise<T> | null = null;
  // The stop in progress, if any; uses made meanwhile start the resource again after it.
  let stopping: Promise<void> = Promise.resolve();
  let inUse = 0;
  let closed = false;
  let idleTimer: NodeJS.Timeout | undefined;

  const release = (): Promise<void> => {
    const started = current;
    current = null;
    if (started !== null) {
      stopping = stopping.then(async () => {
        const resource = await started.catch(() => null);
        if (resource !== null) await options.stop(resource);
      });
    }
    return stopping;
  };

  const acquire = async (): Promise<T> => {
    await stopping;
    if (closed) throw options.closedError();
    if (current === null) {
      const starting = options.start();
      current = starting;
      // A start that failed is tried again by the next use.
      starting.catch(() => {
        if (current === starting) current = null;
      });
    }
    const resource = await current;
    if (closed) throw options.closedError();
    if (options.alive(resource)) return resource;
    // It died since it started (a thread that failed or exited): the next one serves.
    if (current !== null) void release();
    return acquire();
  };

  return {
    async use(fn) {
      inUse += 1;
      try {
        return await fn(await acquire());
      } finally {
        inUse -= 1;
        if (inUse === 0 && !closed && current !== null) {
          // One timer, re-armed per idle spell (a use in flight when it fires keeps the resource).
          idleTimer ??= setTimeout(() => {
            if (inUse === 0) void release();
          }, options.idleMs).unref();
          idleTimer.refresh();
        }
      }
    },
    get running() {
      return current !== null;
    },
    stopIfIdle() {
      if (inUse === 0) void release();
    },
    close() {
      closed = true;
      clearTimeout(idleTimer);
      return release();
    },
  };
}
