import { afterEach, describe, expect, it } from 'vitest';
import {
  type FaultEnvironment,
  startClusterEnvironment,
  startSingleNodeEnvironment,
} from './helpers/fault-environments.js';
import { formatRoundReport, runFaultRound } from './helpers/fault-scenario.js';
import { TEST_SECRET } from './helpers/tokens.js';

// Fixed seeds, bounded: both scenarios together stay under 90 s. `npm run chaos` soaks longer.
const CLIENTS = { stock: 3, tandem: 2, mux: 1 } as const;
const SCENARIOS = [
  { name: 'one node (SQLite), open mode', seed: 1, start: () => startSingleNodeEnvironment() },
  {
    name: 'two nodes (Redis + Postgres), 400-day tokens, reconnects landing on either node',
    seed: 2,
    start: () => startClusterEnvironment({ AUTH_SECRET: TEST_SECRET }),
  },
];

describe('network faults: stock y-websocket and @tandem/client behind seeded fault proxies', () => {
  const environments: FaultEnvironment[] = [];
  afterEach(async () => {
    for (const environment of environments.splice(0)) await environment.stop();
  });

  it.each(SCENARIOS)(
    'NET-2/NET-3/NET-4/NET-5/NET-6: $name, seed $seed: converged, acked updates kept, no policy close, reconnects within 2 s, live presence kept',
    async ({ seed, start }) => {
      const environment = await start();
      environments.push(environment);
      const report = await runFaultRound(environment, { seed, round: 1, durationMs: 12_000, clients: CLIENTS });
      console.log(formatRoundReport(report));
      expect(report.faults['half-open']).toBeGreaterThan(0);
      expect(report.ackedUpdates).toBeGreaterThan(0);
      expect(report.violations).toEqual([]);
    },
    45_000,
  );
});
