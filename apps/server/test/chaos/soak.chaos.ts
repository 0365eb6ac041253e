import { describe, expect, inject, it } from 'vitest';
import { startClusterEnvironment, startSingleNodeEnvironment } from '../helpers/fault-environments.js';
import { formatRoundReport, type RoundReport, runFaultRound } from '../helpers/fault-scenario.js';
import { noFaults, type ScheduledFaultKind } from '../helpers/fault-schedule.js';
import { TEST_SECRET } from '../helpers/tokens.js';
import './chaos-settings.js';

const CLIENTS = { stock: 3, tandem: 2, mux: 1 } as const;
const ROUND_MS = 20_000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

/** The per-seed figures `npm run chaos` prints. */
function summarize(seed: number, reports: readonly RoundReport[]): string {
  const faults = noFaults();
  for (const report of reports) {
    for (const [kind, n] of Object.entries(report.faults) as [ScheduledFaultKind, number][]) faults[kind] += n;
  }
  const restarts = reports.flatMap((r) => r.nodeRestarts);
  const converged = reports.flatMap((r) => (r.convergenceMs === null ? [] : [r.convergenceMs]));
  const sum = (pick: (r: RoundReport) => number) => reports.reduce((total, r) => total + pick(r), 0);
  return [
    `seed ${seed}: ${reports.length} rounds (${reports.filter((r) => r.scenario === 'single').length} single, ${reports.filter((r) => r.scenario === 'cluster').length} cluster)`,
    `  faults injected: ${Object.entries(faults)
      .map(([kind, n]) => `${kind}=${n}`)
      .join(' ')} (total ${Object.values(faults).reduce((a, b) => a + b, 0)})`,
    `  edits: ${sum((r) => r.edits)}; reconnects: ${sum((r) => r.reconnects)} (worst ${Math.max(0, ...reports.map((r) => r.worstReconnectMs))} ms); takeovers (4409): ${sum((r) => r.takeovers)}`,
    `  policy closes: ${sum((r) => r.policyCloses.length)}`,
    `  convergence: ${converged.length > 0 ? `worst ${Math.max(...converged)} ms, median ${median(converged)} ms` : 'never'}; failed rounds: ${reports.length - converged.length}`,
    `  acked updates: ${sum((r) => r.ackedUpdates)}; acked-update losses: ${sum((r) => r.ackedLosses.length)}`,
    `  rolling restarts: ${restarts.length} (worst exit ${Math.max(0, ...restarts.map((e) => e.exitMs))} ms; non-zero exits: ${restarts.filter((e) => e.code !== 0).length})`,
    `  rule violations: ${sum((r) => r.violations.length)}`,
  ].join('\n');
}

describe('chaos soak (npm run chaos)', () => {
  const { seeds, minutes } = inject('chaos');

  it.each(seeds)(
    'NET-2/NET-3/NET-4/NET-5/NET-6/NET-7: seed %i soaks one node and a two-node cluster (with a rolling restart per round) under repeated fault schedules',
    async (seed) => {
      const single = await startSingleNodeEnvironment();
      const cluster = await startClusterEnvironment({ AUTH_SECRET: TEST_SECRET }).catch(async (err) => {
        await single.stop();
        throw err;
      });
      const reports: RoundReport[] = [];
      try {
        const endAt = Date.now() + minutes * 60_000;
        for (let round = 1; Date.now() < endAt; round++) {
          for (const environment of [single, cluster]) {
            if (Date.now() >= endAt) break;
            const report = await runFaultRound(environment, {
              seed,
              round,
              durationMs: ROUND_MS,
              clients: CLIENTS,
              restartNode: true,
            });
            reports.push(report);
            console.log(formatRoundReport(report));
          }
        }
      } finally {
        console.log(summarize(seed, reports));
        await single.stop();
        await cluster.stop();
      }
      expect(reports.length).toBeGreaterThan(0);
      expect(reports.flatMap((r) => r.violations)).toEqual([]);
    },
  );
});
