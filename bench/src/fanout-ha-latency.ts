/**
 * Fan-out latency through the three Redis topologies, in one run (not a test: run it with
 * `pnpm --filter @tandem/bench fanout-ha`): a single redis-server, a Sentinel-managed master
 * (one replica, three sentinels) and a three-master Redis Cluster with sharded pub/sub.
 *
 * For each, two RedisFanout instances in this process (the nodes' own code, their clients built
 * by redis-connections.ts as main.ts builds them) share `--rooms` rooms; node A publishes
 * `--rate` updates per second of `--bytes` bytes, spread over the rooms, and the time from
 * publish() to node B's handler is recorded. That is the latency the fan-out adds between two
 * Tandem nodes. On the single Redis the server's CPU time and network bytes per update are read
 * from INFO (the sizing note in the README).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { redisCli, startRedisCluster, startRedisSentinelSet, startRedisServer, waitFor } from '@tandem/test-utils';
import { pino } from 'pino';
// Not package entries of @tandem/server: the built modules, by path (their .d.ts sit beside them).
import { type RedisTopology, redisConnector } from '../../apps/server/dist/fanout/redis-connections.js';
import { createRedisFanout } from '../../apps/server/dist/fanout/redis-fanout.js';
import { type MillisSummary, microsHistogram, recordNanos, summarizeMillis } from './histogram.js';

const USAGE = `usage: node dist/fanout-ha-latency.js [--seconds N] [--rate N] [--rooms N] [--bytes N] [--out FILE]

  --seconds N  measured duration per topology (default 3)
  --rate N     updates published per second (default 500)
  --rooms N    rooms the updates are spread over (default 10)
  --bytes N    payload bytes per update (default 100, a typical keystroke update is 20-100)
  --out FILE   where to write the JSON results (default bench/results/fanout-ha-latency.json)
`;

/** An update that has not arrived this long after it was published fails the run. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** Unmeasured updates first (connections, JIT). */
const WARMUP = 200;

interface TopologyResult {
  readonly topology: string;
  readonly updates: number;
  readonly latencyMs: MillisSummary;
}

interface Sizing {
  /** Redis CPU (user + sys) per published update, delivered to one subscribing node, microseconds. */
  readonly redisCpuMicrosPerUpdate: number;
  /** Bytes Redis read per update (the SPUBLISH/PUBLISH command with its envelope). */
  readonly inBytesPerUpdate: number;
  /** Bytes Redis wrote per update (the message to one subscribing node, plus the publish reply). */
  readonly outBytesPerUpdate: number;
}

const silent = pino({ level: 'silent' });

/** Publishes `count` updates at `rate`/s from node A and waits for node B to receive them all. */
async function measure(
  topology: RedisTopology,
  options: { rate: number; seconds: number; rooms: number; bytes: number },
) {
  const connector = redisConnector(topology);
  const fanout = (nodeId: string) =>
    createRedisFanout({ ...connector, nodeId, logger: silent, retry: { minMs: 50, maxMs: 500 }, probeMs: 1_000 });
  const [a, b] = [fanout('bench-a'), fanout('bench-b')];
  try {
    for (const node of [a, b])
      await waitFor(() => node.check().then(() => true), { what: 'the fan-out to connect', timeoutMs: 15_000 });
    const sentAt = new Map<number, bigint>();
    const histogram = microsHistogram();
    let received = 0;
    const rooms = Array.from({ length: options.rooms }, (_, i) => `bench-room-${i}`);
    const subscriptions = rooms.map((room) =>
      b.subscribe(room, (message) => {
        const seq = Buffer.from(message.payload).readUInt32BE(0);
        const start = sentAt.get(seq);
        if (start === undefined) return;
        sentAt.delete(seq);
        received++;
        if (seq >= WARMUP) recordNanos(histogram, process.hrtime.bigint() - start);
      }),
    );
    await Promise.all(subscriptions.map((s) => s.ready));
    const total = WARMUP + options.rate * options.seconds;
    const payload = Buffer.alloc(options.bytes, 7);
    const intervalMs = 1_000 / options.rate;
    const started = performance.now();
    for (let seq = 0; seq < total; seq++) {
      // Paced by the clock: publishes never bunch up behind a slow turn.
      const due = started + seq * intervalMs;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      payload.writeUInt32BE(seq, 0);
      sentAt.set(seq, process.hrtime.bigint());
      a.publish(rooms[seq % rooms.length] as string, { kind: 'update', payload });
    }
    await waitFor(() => received === total, { what: 'every update on node B', timeoutMs: DELIVERY_TIMEOUT_MS });
    for (const s of subscriptions) s.close();
    return { updates: total - WARMUP, latencyMs: summarizeMillis(histogram) };
  } finally {
    await a.close();
    await b.close();
  }
}

/** CPU seconds and network bytes of a redis-server so far. */
async function redisCounters(port: number) {
  const lines = await redisCli(['-p', String(port), 'info', 'all']);
  const value = (key: string) => Number(lines.find((l) => l.startsWith(`${key}:`))?.split(':')[1] ?? 0);
  return {
    cpu: value('used_cpu_user') + value('used_cpu_sys'),
    inBytes: value('total_net_input_bytes'),
    outBytes: value('total_net_output_bytes'),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      rate: { type: 'string' },
      rooms: { type: 'string' },
      bytes: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const options = {
    seconds: Number(values.seconds ?? 3),
    rate: Number(values.rate ?? 500),
    rooms: Number(values.rooms ?? 10),
    bytes: Math.max(4, Number(values.bytes ?? 100)),
  };
  const out = resolve(values.out ?? join(here, '..', 'results', 'fanout-ha-latency.json'));
  const single = await startRedisServer();
  const sentinels = await startRedisSentinelSet();
  const cluster = await startRedisCluster({ masters: 3 });
  try {
    const topologies: [string, RedisTopology][] = [
      ['single Redis', { kind: 'single', url: single.url }],
      [
        'Sentinel-managed master (1 replica, 3 sentinels)',
        {
          kind: 'sentinel',
          sentinels: sentinels.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
          masterName: sentinels.masterName,
          credentials: { username: null, password: null },
          sentinelPassword: null,
        },
      ],
      [
        'Redis Cluster, 3 masters, sharded pub/sub',
        {
          kind: 'cluster',
          nodes: cluster.servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
          credentials: { username: null, password: null },
        },
      ],
    ];
    const results: TopologyResult[] = [];
    let sizing: Sizing | null = null;
    for (const [name, topology] of topologies) {
      const before = topology.kind === 'single' ? await redisCounters(single.port) : null;
      const result = await measure(topology, options);
      results.push({ topology: name, ...result });
      if (before !== null) {
        const after = await redisCounters(single.port);
        const n = result.updates + WARMUP;
        sizing = {
          redisCpuMicrosPerUpdate: Math.round((((after.cpu - before.cpu) * 1e6) / n) * 10) / 10,
          inBytesPerUpdate: Math.round((after.inBytes - before.inBytes) / n),
          outBytesPerUpdate: Math.round((after.outBytes - before.outBytes) / n),
        };
      }
      const l = result.latencyMs;
      process.stdout.write(
        `${name}: ${result.updates} updates, p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms\n`,
      );
    }
    if (sizing !== null) {
      process.stdout.write(
        `single Redis per update (${options.bytes}-byte payload, one subscribing node): ${sizing.redisCpuMicrosPerUpdate} µs CPU, ${sizing.inBytesPerUpdate} B in, ${sizing.outBytesPerUpdate} B out\n`,
      );
    }
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify({ at: new Date().toISOString(), machine: { cpus: cpus().length, loadavg: loadavg() }, options, results, sizing }, null, 2)}\n`,
    );
    process.stdout.write(`results: ${out}\n`);
  } finally {
    await cluster.stop();
    await sentinels.stop();
    await single.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
