/**
 * Ack-latency micro-benchmark (not a test: run it with `pnpm --filter @tandem/bench ack-latency`).
 *
 * 1. Server: for 1, 10 and 100 concurrent closed-loop writers against `apps/server/dist/main.js`
 *    (SQLite store, fresh data directory per scenario), the time from sending a sync-update frame
 *    to receiving the tandem.v1 ack that covers it (the update is fsynced), and updates/s.
 * 2. Store: how long one SQLite group commit (`store.append` of 1, 10 or 100 updates) blocks the
 *    event loop. better-sqlite3 is synchronous, so the whole commit, fsync included, runs inside
 *    the `append` call; the returned promise is already settled.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, arch as osArch, platform as osPlatform, release as osRelease, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as Y from 'yjs';
// Not a package entry of @tandem/server: the built module, by path (its .d.ts sits beside it).
import { openSqliteDocStore } from '../../apps/server/dist/storage/sqlite-doc-store.js';
import {
  ACK_ROOMS,
  ACK_WARMUP_WRITES,
  now,
  runAckScenario,
  type ServerScenarioResult,
  secondsSince,
} from './ack-scenario.js';
import { round } from './compare/util.js';
import { type MillisSummary, microsHistogram, recordNanos, summarizeMillis } from './histogram.js';
import { serverEntry } from './server-process.js';

const USAGE = `usage: node dist/ack-latency.js [--seconds N] [--writers 1,10,100] [--batches 1,10,100] [--out FILE]

  --seconds N     measured duration of each scenario, in seconds (default 5)
  --writers LIST  concurrent writer counts to run against the server (default 1,10,100)
  --batches LIST  batch sizes for the direct store.append measurement (default 1,10,100)
  --out FILE      where to write the JSON results (default bench/results/ack-latency.json)
`;

/** Unmeasured appends per batch size before the clock starts. */
const WARMUP_APPENDS = 20;
/** Upper bounds on every loop, whatever the duration. */
const MAX_APPENDS = 1_000_000;
/** Documents the direct-store batches spread their updates over. */
const STORE_DOCS = 10;

interface Options {
  readonly seconds: number;
  readonly writers: readonly number[];
  readonly batches: readonly number[];
  readonly out: string;
}

interface StoreScenarioResult {
  readonly batchSize: number;
  readonly durationS: number;
  readonly appends: number;
  readonly appendsPerSec: number;
  readonly updatesPerSec: number;
  readonly meanUpdateBytes: number;
  /** Time the event loop is blocked by one `append` call (the whole transaction and fsync). */
  readonly blockMs: MillisSummary;
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: 'string', default: '5' },
      writers: { type: 'string', default: '1,10,100' },
      batches: { type: 'string', default: '1,10,100' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3_600) {
    throw new Error(`--seconds must be a number in (0, 3600], got "${values.seconds}"`);
  }
  const here = dirname(fileURLToPath(import.meta.url));
  return {
    seconds,
    writers: parseList('--writers', values.writers, 1_000),
    batches: parseList('--batches', values.batches, 100_000),
    out: resolve(values.out ?? join(here, '..', 'results', 'ack-latency.json')),
  };
}

function parseList(flag: string, text: string, max: number): number[] {
  const list = text.split(',').map((part) => Number(part.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > max)) {
    throw new Error(`${flag} must be a comma-separated list of integers in [1, ${max}], got "${text}"`);
  }
  return list;
}

/** A source of small, real Yjs updates (one Y.Array push each), cycling over a few documents. */
function updateSource(): () => { docId: string; update: Uint8Array } {
  const docs = Array.from({ length: STORE_DOCS }, (_, i) => {
    const doc = new Y.Doc();
    let last: Uint8Array | null = null;
    doc.on('update', (update: Uint8Array) => {
      last = update;
    });
    return { docId: `bench-doc-${i}`, doc, items: doc.getArray<string>('items'), take: () => last };
  });
  let n = 0;
  return () => {
    const entry = docs[n % STORE_DOCS];
    if (entry === undefined) throw new Error('unreachable: no document');
    n += 1;
    entry.items.push([`store:${n}`]);
    const update = entry.take();
    if (update === null) throw new Error('the push produced no update');
    return { docId: entry.docId, update };
  };
}

/** Times `store.append` of `batchSize` updates on the real SQLite store, in a fresh directory. */
async function runStoreScenario(batchSize: number, seconds: number): Promise<StoreScenarioResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-bench-store-'));
  const store = await openSqliteDocStore({ dataDir });
  try {
    const next = updateSource();
    const makeBatch = () => Array.from({ length: batchSize }, next);
    for (let i = 0; i < WARMUP_APPENDS; i++) await store.append(makeBatch());

    const histogram = microsHistogram();
    const durationNs = BigInt(Math.round(seconds * 1e9));
    const start = now();
    const deadline = start + durationNs;
    let appends = 0;
    let updateBytes = 0;
    for (let i = 0; i < MAX_APPENDS && now() < deadline; i++) {
      const batch = makeBatch();
      for (const entry of batch) updateBytes += entry.update.byteLength;
      const before = now();
      const appended = store.append(batch);
      const blocked = now() - before;
      await appended;
      recordNanos(histogram, blocked);
      appends += 1;
    }
    const durationS = secondsSince(start);
    return {
      batchSize,
      durationS: round(durationS, 3),
      appends,
      appendsPerSec: round(appends / durationS, 1),
      updatesPerSec: round((appends * batchSize) / durationS, 1),
      meanUpdateBytes: round(updateBytes / Math.max(1, appends * batchSize), 1),
      blockMs: summarizeMillis(histogram),
    };
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => (row[col] ?? '').length)));
  const line = (row: readonly string[]) => row.map((cell, col) => cell.padStart(widths[col] ?? 0)).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function machineInfo() {
  const cpuList = cpus();
  return {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    totalMemBytes: totalmem(),
    platform: osPlatform(),
    arch: osArch(),
    osRelease: osRelease(),
    nodeVersion: process.version,
    tmpdir: tmpdir(),
    /** 1/5/15-minute load averages when the run started: other work on the box skews every figure. */
    loadAvgAtStart: loadavg().map((n) => round(n, 2)),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const machine = machineInfo();
  process.stdout.write(
    `ack-latency: ${options.seconds} s per scenario, ${machine.cpus} × ${machine.cpuModel}, node ${machine.nodeVersion}\n` +
      `server: ${serverEntry()} (SQLite, data in ${machine.tmpdir})\n\n`,
  );

  const load = machine.loadAvgAtStart[0] ?? 0;
  if (load > machine.cpus / 2) {
    process.stdout.write(`  note: 1-minute load average is ${load} on ${machine.cpus} CPUs; expect noisy figures\n\n`);
  }
  const server: ServerScenarioResult[] = [];
  for (const writers of options.writers) {
    process.stdout.write(`  server, ${writers} writer(s)…\n`);
    server.push(await runAckScenario(writers, options.seconds));
  }
  const store: StoreScenarioResult[] = [];
  for (const batchSize of options.batches) {
    process.stdout.write(`  store.append, batch of ${batchSize}…\n`);
    store.push(await runStoreScenario(batchSize, options.seconds));
  }

  process.stdout.write('\nAck latency (send → "persisted through N"), closed-loop writers, SQLite store\n\n');
  process.stdout.write(
    `${table(
      [
        'writers',
        'rooms',
        'updates',
        'updates/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'server CPU',
        'bench CPU',
        'bench lag p99 ms',
      ],
      server.map((r) => [
        r.writers,
        r.rooms,
        r.updates,
        r.updatesPerSec,
        r.ackLatencyMs.p50,
        r.ackLatencyMs.p90,
        r.ackLatencyMs.p99,
        r.ackLatencyMs.max,
        r.serverCpuPercent === null ? 'n/a' : `${r.serverCpuPercent}%`,
        `${r.clientCpuPercent}%`,
        r.clientLoopDelayP99Ms,
      ]),
    )}\n`,
  );
  process.stdout.write(
    '\nSQLite group commit: event-loop time blocked by one store.append (WAL, synchronous=FULL)\n\n',
  );
  process.stdout.write(
    `${table(
      ['batch', 'appends', 'appends/s', 'updates/s', 'p50 ms', 'p99 ms', 'max ms'],
      store.map((r) => [
        r.batchSize,
        r.appends,
        r.appendsPerSec,
        r.updatesPerSec,
        r.blockMs.p50,
        r.blockMs.p99,
        r.blockMs.max,
      ]),
    )}\n`,
  );

  const results = {
    benchmark: 'ack-latency',
    createdAt: new Date().toISOString(),
    options: {
      seconds: options.seconds,
      rooms: ACK_ROOMS,
      warmupWritesPerWriter: ACK_WARMUP_WRITES,
      warmupAppends: WARMUP_APPENDS,
      storeDocs: STORE_DOCS,
    },
    machine,
    server,
    store,
  };
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nresults written to ${options.out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`ack-latency: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
