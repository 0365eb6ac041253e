/**
 * The durable-ack latency scenario, shared by `ack-latency.ts` (run alone) and the comparison
 * (`compare.ts --scenarios ack`): closed-loop writers against the built Tandem server (SQLite store,
 * fresh data directory), each timing send → the tandem.v1 ack "persisted through N" that covers
 * the update (it is fsynced).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { round } from './compare/util.js';
import { type MillisSummary, microsHistogram, recordNanos, summarizeMillis } from './histogram.js';
import { type BenchServer, startServer } from './server-process.js';
import { Writer } from './writer.js';

/** Writers are spread over this many rooms (a single writer uses one room). */
export const ACK_ROOMS = 10;
/** Unmeasured writes per writer before the clock starts (JIT, room load, first SQLite pages). */
export const ACK_WARMUP_WRITES = 20;
/** Upper bound on every writer's loop, whatever the duration. */
const MAX_WRITES_PER_WRITER = 1_000_000;
/** A write whose ack takes longer than this fails the run. */
const ACK_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** Sampling interval of the client's event-loop delay monitor. */
const LOOP_DELAY_RESOLUTION_MS = 10;

/** A monotonic clock in nanoseconds, and the seconds elapsed since one of its readings. */
export const now = () => process.hrtime.bigint();
export const secondsSince = (start: bigint) => Number(now() - start) / 1e9;

/** What one writer count measured. */
export interface ServerScenarioResult {
  readonly writers: number;
  readonly rooms: number;
  readonly durationS: number;
  readonly updates: number;
  readonly updatesPerSec: number;
  readonly ackLatencyMs: MillisSummary;
  /** CPU used during the measured window, in % of one core (200 % = both cores of a 2-core box). */
  readonly serverCpuPercent: number | null;
  readonly clientCpuPercent: number;
  /** How late this (client) process's event loop ran, p99, during the window: it inflates the latencies. */
  readonly clientLoopDelayP99Ms: number;
  /** Database + WAL bytes when the scenario ended. */
  readonly dataBytesAfter: number;
}

/** Runs `writers` closed-loop writers against a fresh server (on `core`, if given) for `seconds`. */
export async function runAckScenario(
  writers: number,
  seconds: number,
  core: number | null = null,
): Promise<ServerScenarioResult> {
  const rooms = writers === 1 ? 1 : ACK_ROOMS;
  const server = await startServer({ core });
  const clients: Writer[] = [];
  try {
    const connected = await Promise.allSettled(
      Array.from({ length: writers }, (_, i) =>
        Writer.connect(server.port, `bench-room-${i % rooms}`, `w${i}`, CONNECT_TIMEOUT_MS),
      ),
    );
    for (const result of connected) if (result.status === 'fulfilled') clients.push(result.value);
    const failed = connected.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;

    await Promise.all(
      clients.map(async (client) => {
        for (let i = 0; i < ACK_WARMUP_WRITES; i++) await client.write(ACK_TIMEOUT_MS);
      }),
    );

    const histogram = microsHistogram();
    const durationNs = BigInt(Math.round(seconds * 1e9));
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    const serverCpuBefore = server.cpuSeconds();
    const clientCpuBefore = process.cpuUsage();
    loopDelay.enable();
    const start = now();
    const deadline = start + durationNs;
    let updates = 0;
    await Promise.all(
      clients.map(async (client) => {
        for (let i = 0; i < MAX_WRITES_PER_WRITER && now() < deadline; i++) {
          recordNanos(histogram, await client.write(ACK_TIMEOUT_MS));
          updates += 1;
        }
      }),
    );
    // Writes in flight at the deadline finish after it: count the time they took too.
    const durationS = secondsSince(start);
    loopDelay.disable();
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const serverCpuAfter = server.cpuSeconds();
    const serverCpuPercent =
      serverCpuBefore === null || serverCpuAfter === null
        ? null
        : round((100 * (serverCpuAfter - serverCpuBefore)) / durationS, 1);
    return {
      writers,
      rooms,
      durationS: round(durationS, 3),
      updates,
      updatesPerSec: round(updates / durationS, 1),
      ackLatencyMs: summarizeMillis(histogram),
      serverCpuPercent,
      clientCpuPercent: round((clientCpu.user + clientCpu.system) / 1e4 / durationS, 1),
      // The histogram records whole timer intervals: subtract the interval to keep only the lateness.
      clientLoopDelayP99Ms: round(Math.max(0, loopDelay.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS), 3),
      dataBytesAfter: server.dataBytes(),
    };
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await stopQuietly(server);
  }
}

async function stopQuietly(server: BenchServer): Promise<void> {
  try {
    await server.stop();
  } catch (err) {
    process.stderr.write(`warning: could not stop the server: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}
