import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the server reports as it works; the no-op version is used where nobody listens. */
export interface Telemetry {
  frameIn(type: string, bytes: number): void;
  frameOut(bytes: number): void;
  closed(code: number): void;
  acked(): void;
  committed(seconds: number, updates: number): void;
  fanout(direction: 'published' | 'received'): void;
  /** Time between another node publishing a message and this node receiving it. */
  fanoutLag(seconds: number): void;
}

/** Reports nothing. */
export const NO_TELEMETRY: Telemetry = {
  frameIn() {},
  frameOut() {},
  closed() {},
  acked() {},
  committed() {},
  fanout() {},
  fanoutLag() {},
};

/** Live values read at scrape time. */
export interface TelemetrySources {
  connections(): number;
  rooms(): number;
  /** Bytes of updates waiting for the store (queued or being written). */
  storeBacklogBytes(): number;
  documentsStored(): Promise<number>;
  dependencies(): Promise<Record<string, boolean>>;
}

/** Prometheus metrics for one server instance (its own registry: no global state). */
export function createPrometheusTelemetry(sources: TelemetrySources): {
  telemetry: Telemetry;
  registry: Registry;
  /** The metrics as `/metrics` serves them (Node's default metrics join at the first scrape). */
  scrape(): Promise<string>;
} {
  const registry = new Registry();
  // Node's default metrics (CPU, memory, GC, event-loop delay) are registered at the first scrape:
  // their event-loop delay histogram samples the loop every 10 ms, 100 wake-ups a second for as long
  // as the process lives, which a node nobody scrapes should not pay for (an idle node woke 97 times
  // a second and used 10x the y-websocket server's CPU doing nothing).
  let defaultMetrics = false;
  const scrape = () => {
    if (!defaultMetrics) {
      collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
      defaultMetrics = true;
    }
    return registry.metrics();
  };
  const framesIn = tally(registry, 'tandem_frames_in_total', 'Frames received, by frame type', 'type');
  const bytesIn = tally(registry, 'tandem_bytes_in_total', 'Bytes received, by frame type', 'type');
  const framesOut = tally(registry, 'tandem_frames_out_total', 'Frames sent');
  const bytesOut = tally(registry, 'tandem_bytes_out_total', 'Bytes sent');
  const closes = new Counter({
    name: 'tandem_closes_total',
    help: 'Sessions closed by the server, by close code',
    labelNames: ['code'],
    registers: [registry],
  });
  const acks = tally(registry, 'tandem_acks_total', 'Durable acks sent');
  const commit = new Histogram({
    name: 'tandem_commit_seconds',
    help: 'Duration of one group commit to the store',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const committedUpdates = new Counter({
    name: 'tandem_committed_updates_total',
    help: 'Updates committed to the store',
    registers: [registry],
  });
  const fanout = tally(registry, 'tandem_fanout_messages_total', 'Fan-out messages, by direction', 'direction');
  const lag = new Histogram({
    name: 'tandem_fanout_lag_seconds',
    help: 'Time from another node publishing a fan-out message to this node receiving it',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2],
    registers: [registry],
  });
  new Gauge({
    name: 'tandem_connections',
    help: 'Open WebSocket sessions',
    registers: [registry],
    collect() {
      this.set(sources.connections());
    },
  });
  new Gauge({
    name: 'tandem_rooms_loaded',
    help: 'Documents loaded in memory',
    registers: [registry],
    collect() {
      this.set(sources.rooms());
    },
  });
  new Gauge({
    name: 'tandem_store_backlog_bytes',
    help: 'Bytes of updates held in memory that the store has not taken yet (bounded by MAX_PENDING_BYTES)',
    registers: [registry],
    collect() {
      this.set(sources.storeBacklogBytes());
    },
  });
  new Gauge({
    name: 'tandem_documents_stored',
    help: 'Documents in the store',
    registers: [registry],
    async collect() {
      // A store that is down must not fail the whole scrape (that is when the backlog gauge matters);
      // the gauge keeps its last value and tandem_dependency_up reports the store.
      try {
        this.set(await sources.documentsStored());
      } catch {}
    },
  });
  new Gauge({
    name: 'tandem_dependency_up',
    help: '1 when a dependency (store, fanout) answers',
    labelNames: ['dependency'],
    registers: [registry],
    async collect() {
      for (const [dependency, up] of Object.entries(await sources.dependencies())) this.set({ dependency }, up ? 1 : 0);
    },
  });
  return {
    registry,
    scrape,
    telemetry: {
      frameIn(type, bytes) {
        framesIn(type, 1);
        bytesIn(type, bytes);
      },
      frameOut(bytes) {
        framesOut('', 1);
        bytesOut('', bytes);
      },
      closed(code) {
        closes.inc({ code: String(code) });
      },
      acked() {
        acks('', 1);
      },
      committed(seconds, updates) {
        commit.observe(seconds);
        committedUpdates.inc(updates);
      },
      fanout(direction) {
        fanout(direction, 1);
      },
      fanoutLag(seconds) {
        lag.observe(Math.max(0, seconds));
      },
    },
  };
}

/**
 * A counter for the hot path: adding is a Map update in plain numbers; prom-client gets the sums
 * when the registry is scraped (its `collect` hook), so a relayed frame never hashes label sets.
 * Returns `add(label, n)`; without `labelName` the label is ignored.
 */
function tally(registry: Registry, name: string, help: string, labelName?: string): (label: string, n: number) => void {
  const pending = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: labelName === undefined ? [] : [labelName],
    registers: [registry],
    collect() {
      for (const [label, n] of pending) {
        if (labelName === undefined) this.inc(n);
        else this.inc({ [labelName]: label }, n);
      }
      pending.clear();
    },
  });
  return (label, n) => {
    pending.set(label, (pending.get(label) ?? 0) + n);
  };
}

/** A fan-out whose published and received messages are counted. */
export function instrumentFanout<
  F extends { publish(...args: never[]): void; subscribe(roomId: string, handler: never): unknown },
>(fanout: F, telemetry: Telemetry): F {
  const wrapped = {
    ...fanout,
    publish: (...args: Parameters<F['publish']>) => {
      telemetry.fanout('published');
      return (fanout.publish as (...a: Parameters<F['publish']>) => void)(...args);
    },
    subscribe: (roomId: string, handler: (...a: unknown[]) => void) => {
      const counted = (...a: unknown[]) => {
        telemetry.fanout('received');
        const sentAt = (a[0] as { sentAt?: number } | undefined)?.sentAt;
        if (sentAt !== undefined) telemetry.fanoutLag((Date.now() - sentAt) / 1000);
        handler(...a);
      };
      return (fanout.subscribe as unknown as (r: string, h: (...a: unknown[]) => void) => unknown)(roomId, counted);
    },
  };
  return wrapped as unknown as F;
}

/** A store whose appends are timed (group-commit latency and size). */
export function instrumentStore<S extends { append(entries: readonly unknown[]): Promise<void> }>(
  store: S,
  telemetry: Telemetry,
): S {
  return {
    ...store,
    async append(entries: readonly unknown[]) {
      const started = performance.now();
      await store.append(entries);
      telemetry.committed((performance.now() - started) / 1000, entries.length);
    },
  };
}
