import { describe, expect, it } from 'vitest';
import { createPrometheusTelemetry } from './telemetry.js';

const sources = {
  connections: () => 0,
  rooms: () => 0,
  storeBacklogBytes: () => 0,
  documentsStored: async () => 0,
  dependencies: async () => ({ store: true }),
};

describe('Prometheus telemetry', () => {
  it("registers Node's default metrics (and their event-loop sampler) at the first scrape, once", async () => {
    const { registry, scrape } = createPrometheusTelemetry(sources);
    // Until someone scrapes, no event-loop delay histogram samples the loop.
    expect(registry.getSingleMetric('nodejs_eventloop_lag_p99_seconds')).toBeUndefined();
    const first = await scrape();
    expect(first).toContain('nodejs_eventloop_lag_p99_seconds');
    expect(first).toContain('tandem_connections 0');
    // A second scrape registers nothing twice (prom-client would throw on a duplicate name).
    const second = await scrape();
    expect(second).toContain('process_cpu_seconds_total');
  });
});
