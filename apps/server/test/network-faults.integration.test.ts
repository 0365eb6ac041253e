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
const FAULTS_MS = 12_000;

describe('network faults: stock y-websocket and @tandem/client behind seeded fault proxies', () => {
  const environments: FaultEnvironment[] = [];
  afterEach(async () => {
    for (const environment of environments.splice(0)) await environment.stop();
  });

  const scenario = async (start: () => Promise<FaultEnvironment>, seed: number, restartNode: boolean) => {
    const environment = await start();
    environments.push(environment);
    const report = await runFaultRound(environment, {
      seed,
      round: 1,
      durationMs: FAULTS_MS,
      clients: CLIENTS,
      restartNode,
    });
    console.log(formatRoundReport(report));
    expect(report.faults['half-open']).toBeGreaterThan(0);
    expect(report.ackedUpdates).toBeGreaterThan(0);
    expect(report.nodeRestarts).toHaveLength(restartNode ? 1 : 0);
    expect(report.violations).toEqual([]);
  };

  it('NET-2/NET-3/NET-4/NET-5/NET-6: one node (SQLite, open mode), seed 1: converged, acked updates kept, no policy close, reconnects within 2 s, live presence kept', async () => {
    await scenario(() => startSingleNodeEnvironment(), 1, false);
  }, 45_000);

  it('NET-2/NET-3/NET-4/NET-5/NET-6/NET-7: two nodes (Redis + Postgres, 400-day tokens), seed 2, reconnects on either node and a rolling restart of one', async () => {
    await scenario(() => startClusterEnvironment({ AUTH_SECRET: TEST_SECRET }), 2, true);
  }, 60_000);
});
