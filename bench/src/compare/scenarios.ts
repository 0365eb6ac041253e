/**
 * The seven comparison scenarios. Each starts its own server(s), returns flat named metrics
 * (lower is better unless the name says otherwise) and notes, and stops what it started.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '@tandem/test-utils';
import * as Y from 'yjs';
import { LoadClient } from './clients.js';
import { type LoadResult, runLoad } from './load.js';
import { type Runtime, type ServerHandle, type ServerKind, startBenchServer } from './servers.js';
import { mapLimit, round, seededRandom, sleep } from './util.js';

/** Sizes of every scenario (quick, full and the tiny end-to-end test differ only here). */
export interface Sizes {
  readonly idleConnections: readonly number[];
  readonly fanoutTypists: number;
  readonly fanoutRoomSizes: readonly number[];
  readonly loadSeconds: number;
  readonly capacityRooms: number;
  readonly capacityHz: readonly number[];
  readonly hotRoomTypists: readonly number[];
  readonly coldDocBytes: number;
  readonly coldClients: number;
  readonly noisySeconds: number;
  readonly crossRooms: number;
}

/** A scenario's outcome for one server. */
export interface ScenarioOutcome {
  readonly metrics: Record<string, number>;
  readonly notes: string[];
  /** Raw load results, kept in the JSON. */
  readonly steps?: Record<string, LoadResult>;
}

/** What a scenario needs to start servers. */
export interface ServerSpec {
  readonly kind: ServerKind;
  readonly runtime: Runtime;
  readonly core: number | null;
  readonly log: (line: string) => void;
  /** Write V8 CPU profiles of the servers into this directory. */
  readonly cpuProfDir?: string;
}

const CAPACITY_P99_MS = 100;
const RESYNC_PAUSE_MS = 100;

async function withServer<T>(
  spec: ServerSpec,
  extra: Partial<Parameters<typeof startBenchServer>[0]>,
  fn: (s: ServerHandle) => Promise<T>,
): Promise<T> {
  const server = await startBenchServer({
    kind: spec.kind,
    runtime: spec.runtime,
    core: spec.core,
    ...(spec.cpuProfDir === undefined ? {} : { cpuProfDir: spec.cpuProfDir }),
    ...extra,
  });
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

function loadNotes(name: string, r: LoadResult, notes: string[]): void {
  if (r.generatorSaturated) {
    notes.push(
      `${name}: generator core ${r.generatorCorePercent}% busy (harness itself ${r.generatorProcessPercent}%) — invalid / lower bound`,
    );
  }
  if (!r.converged) notes.push(`${name}: LOST ${r.lostUpdates} updates / ${r.failures.join('; ')}`);
}

function loadMetrics(prefix: string, r: LoadResult): Record<string, number> {
  return {
    [`${prefix}.p50Ms`]: r.latencyMs.p50,
    [`${prefix}.p99Ms`]: r.latencyMs.p99,
    [`${prefix}.p999Ms`]: r.latencyMs.p999,
    [`${prefix}.cpuUsPerMsg`]: r.serverCpuUsPerMessage,
    [`${prefix}.deliveredPerSec`]: r.deliveredMessagesPerSec,
    [`${prefix}.generatorCorePct`]: r.generatorCorePercent ?? -1,
    [`${prefix}.lateP99Ms`]: r.lateSendMsP99,
    [`${prefix}.lost`]: r.lostUpdates,
  };
}

/** 1. Idle memory: RSS slope over synced idle connections in rooms of 10. */
export async function idleMemory(spec: ServerSpec, sizes: Sizes): Promise<ScenarioOutcome> {
  return withServer(spec, {}, async (server) => {
    const clients: LoadClient[] = [];
    const points: [number, number][] = [];
    const metrics: Record<string, number> = {};
    try {
      await sleep(500);
      points.push([0, server.rssBytes()]);
      for (const target of sizes.idleConnections) {
        const from = clients.length;
        const opened = await mapLimit(
          Array.from({ length: target - from }, (_, i) => from + i),
          64,
          (i) => LoadClient.open(server, `idle-${Math.floor(i / 10)}`, 30_000),
        );
        clients.push(...opened);
        await sleep(1_500);
        const rss = server.rssBytes();
        points.push([target, rss]);
        metrics[`idle.rssMiB@${target}`] = round(rss / 2 ** 20, 1);
        spec.log(`    ${target} idle connections: RSS ${round(rss / 2 ** 20, 1)} MiB`);
      }
      const failed = clients.filter((c) => c.failure !== null).length;
      // With few connections RSS noise (a GC between samples) can make the slope negative: report 0 then.
      metrics['idle.kbPerConn'] = round(Math.max(0, slope(points)) / 1024, 2);
      return { metrics, notes: failed > 0 ? [`idle: ${failed} connections dropped`] : [] };
    } finally {
      await mapLimit(clients, 256, (c) => c.close());
    }
  });
}

function slope(points: readonly [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** 2. Fan-out latency: rooms of k typists at 2 updates/s + 1 Hz awareness, fixed total typists. */
export async function fanout(spec: ServerSpec, sizes: Sizes): Promise<ScenarioOutcome> {
  const metrics: Record<string, number> = {};
  const notes: string[] = [];
  const steps: Record<string, LoadResult> = {};
  for (const k of sizes.fanoutRoomSizes) {
    const rooms = Math.max(1, Math.round(sizes.fanoutTypists / k));
    const r = await withServer(spec, {}, (server) =>
      runLoad(server, {
        rooms,
        typistsPerRoom: k,
        updateHz: 2,
        awarenessHz: 1,
        seconds: sizes.loadSeconds,
        probeRooms: Math.max(2, Math.ceil(rooms / 10)),
        roomPrefix: `fan${k}`,
      }),
    );
    spec.log(
      `    rooms of ${k}: p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, ${r.serverCpuUsPerMessage} µs/msg`,
    );
    Object.assign(metrics, loadMetrics(`fanout.k${k}`, r));
    loadNotes(`fan-out k=${k}`, r, notes);
    steps[`k${k}`] = r;
  }
  return { metrics, notes, steps };
}

/** 3. Capacity: rooms of 5, rate raised step by step until p99 > 100 ms or a loss. */
export async function capacity(spec: ServerSpec, sizes: Sizes): Promise<ScenarioOutcome> {
  const metrics: Record<string, number> = {};
  const notes: string[] = [];
  const steps: Record<string, LoadResult> = {};
  let best = 0;
  let bestBound = false;
  await withServer(spec, {}, async (server) => {
    for (const hz of sizes.capacityHz) {
      const r = await runLoad(server, {
        rooms: sizes.capacityRooms,
        typistsPerRoom: 5,
        updateHz: hz,
        awarenessHz: 1,
        seconds: sizes.loadSeconds,
        probeRooms: Math.max(2, Math.ceil(sizes.capacityRooms / 10)),
        roomPrefix: `cap${hz}`,
      });
      steps[`hz${hz}`] = r;
      Object.assign(metrics, loadMetrics(`capacity.hz${hz}`, r));
      const ok = r.converged && r.latencyMs.p99 <= CAPACITY_P99_MS;
      spec.log(
        `    ${hz} updates/s/typist: ${r.deliveredMessagesPerSec} msg/s delivered, p99 ${r.latencyMs.p99} ms, ` +
          `server ${r.serverCpuPercent}% CPU, ${r.serverCpuUsPerMessage} µs/msg, generator core ${r.generatorCorePercent}% ` +
          `(harness ${r.generatorProcessPercent}%)` +
          `${ok ? '' : ' — over the limit'}`,
      );
      loadNotes(`capacity ${hz} Hz`, r, notes);
      if (!ok) break;
      best = r.deliveredMessagesPerSec;
      bestBound = r.generatorSaturated;
    }
  });
  metrics['capacity.msgPerSec'] = best;
  if (bestBound) notes.push('capacity: the generator was saturated at the last passing step — lower bound');
  metrics['capacity.lowerBound'] = bestBound ? 1 : 0;
  return { metrics, notes, steps };
}

/** 4. Hot room: one room with N typists at 2 updates/s + 1 Hz awareness. */
export async function hotRoom(spec: ServerSpec, sizes: Sizes): Promise<ScenarioOutcome> {
  const metrics: Record<string, number> = {};
  const notes: string[] = [];
  const steps: Record<string, LoadResult> = {};
  for (const n of sizes.hotRoomTypists) {
    const r = await withServer(spec, {}, (server) =>
      runLoad(server, {
        rooms: 1,
        typistsPerRoom: n,
        updateHz: 2,
        awarenessHz: 1,
        seconds: sizes.loadSeconds,
        probeRooms: 1,
        roomPrefix: `hot${n}`,
      }),
    );
    spec.log(
      `    ${n} typists: p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, ${r.serverCpuUsPerMessage} µs/msg`,
    );
    Object.assign(metrics, loadMetrics(`hot.n${n}`, r));
    loadNotes(`hot room n=${n}`, r, notes);
    steps[`n${n}`] = r;
  }
  return { metrics, notes, steps };
}

/** A Yjs document of about `bytes` bytes: text typed in 1 KiB chunks at random places by 4 clients. */
export function bigDocument(bytes: number): Uint8Array {
  const random = seededRandom(42);
  const docs = Array.from({ length: 4 }, (_, i) => {
    const doc = new Y.Doc();
    doc.clientID = 900_000 + i;
    return doc;
  });
  const main = docs[0] as Y.Doc;
  const chunk = 'lorem ipsum dolor sit amet '.repeat(40).slice(0, 1024);
  const chunks = Math.ceil(bytes / 1_100);
  for (let i = 0; i < chunks; i++) {
    const writer = docs[i % docs.length] as Y.Doc;
    const text = writer.getText('body');
    text.insert(Math.floor(random() * (text.length + 1)), chunk);
    if (i % 64 === 63) {
      // Exchange state so later inserts land between other clients' text.
      const update = Y.encodeStateAsUpdate(writer);
      for (const d of docs) if (d !== writer) Y.applyUpdate(d, update);
    }
  }
  for (const d of docs) if (d !== main) Y.applyUpdate(main, Y.encodeStateAsUpdate(d));
  return Y.encodeStateAsUpdate(main);
}

/** 5. Cold load of a large stored document, then N clients joining at once. */
export async function coldLoad(spec: ServerSpec, sizes: Sizes, doc: Uint8Array): Promise<ScenarioOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-cmp-loop-'));
  const loopFile = join(dir, 'loop.txt');
  try {
    return await withServer(
      spec,
      { seed: { doc: 'cold-doc', update: doc }, loopMonitorFile: loopFile },
      async (server) => {
        await sleep(300);
        let peak = server.rssBytes();
        const sampler = setInterval(() => {
          peak = Math.max(peak, server.rssBytes());
        }, 10);
        const t0 = performance.now();
        const wallStart = Date.now();
        let clients: LoadClient[] = [];
        try {
          clients = await Promise.all(
            Array.from({ length: sizes.coldClients }, () => LoadClient.open(server, 'cold-doc', 60_000)),
          );
        } finally {
          clearInterval(sampler);
        }
        const times = clients.map((c) => (c.syncedAt ?? Number.NaN) - t0).sort((a, b) => a - b);
        const bytes = clients[0]?.bytesReceived ?? 0;
        await sleep(150);
        const block = readLoopBlock(loopFile, wallStart);
        await mapLimit(clients, 64, (c) => c.close());
        spec.log(
          `    ${sizes.coldClients} joins: all synced in ${round(times[times.length - 1] ?? 0, 1)} ms, ` +
            `peak RSS ${round(peak / 2 ** 20, 1)} MiB, longest loop block ${block} ms`,
        );
        const notes = bytes < doc.byteLength * 0.9 ? [`cold: a client received only ${bytes} bytes`] : [];
        return {
          metrics: {
            'cold.syncedAllMs': round(times[times.length - 1] ?? 0, 1),
            'cold.syncedFirstMs': round(times[0] ?? 0, 1),
            'cold.peakRssMiB': round(peak / 2 ** 20, 1),
            'cold.loopBlockMs': block,
          },
          notes,
        };
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readLoopBlock(file: string, since: number): number {
  let worst = 0;
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [at, ms] = line.split(' ').map(Number);
      if (at !== undefined && ms !== undefined && at >= since && ms > worst) worst = ms;
    }
  } catch {
    return -1;
  }
  return round(worst, 1);
}

/** 6. Noisy neighbour: probe latency on a small doc, alone and while 4 clients re-sync a large doc. */
export async function noisyNeighbour(spec: ServerSpec, sizes: Sizes, doc: Uint8Array): Promise<ScenarioOutcome> {
  return withServer(spec, { seed: { doc: 'noisy-big', update: doc } }, async (server) => {
    const probeSpec = {
      rooms: 1,
      typistsPerRoom: 2,
      updateHz: 20,
      awarenessHz: 0,
      seconds: sizes.noisySeconds,
      probeRooms: 1,
    };
    const quiet = await runLoad(server, { ...probeSpec, roomPrefix: 'quiet' });
    const noisy = await Promise.all(Array.from({ length: 4 }, () => LoadClient.open(server, 'noisy-big', 60_000)));
    let stop = false;
    let resyncs = 0;
    const loops = noisy.map(async (c) => {
      for (let i = 0; i < 10_000 && !stop; i++) {
        await c.resync(60_000);
        resyncs += 1;
        // A short pause keeps the generator's core from saturating on received bytes alone.
        await sleep(RESYNC_PAUSE_MS);
      }
    });
    try {
      const loud = await runLoad(server, { ...probeSpec, roomPrefix: 'loud' });
      stop = true;
      await Promise.all(loops);
      const factor = round(loud.latencyMs.p99 / Math.max(0.001, quiet.latencyMs.p99), 2);
      spec.log(
        `    p99 alone ${quiet.latencyMs.p99} ms, with ${resyncs} re-syncs of the large doc ${loud.latencyMs.p99} ms (×${factor})`,
      );
      const notes: string[] = [];
      loadNotes('noisy (alone)', quiet, notes);
      loadNotes('noisy (loud)', loud, notes);
      return {
        metrics: {
          'noisy.quietP99Ms': quiet.latencyMs.p99,
          'noisy.loudP99Ms': loud.latencyMs.p99,
          'noisy.degradation': factor,
          'noisy.resyncsPerSec': round(resyncs / sizes.noisySeconds, 1),
        },
        notes,
        steps: { quiet, loud },
      };
    } finally {
      stop = true;
      await Promise.allSettled(loops);
      await mapLimit(noisy, 8, (c) => c.close());
    }
  });
}

/** 7. Cross-node: two nodes over Redis vs one node, same rooms of 5; added p99. */
export async function crossNode(spec: ServerSpec, sizes: Sizes): Promise<ScenarioOutcome> {
  const load = {
    rooms: sizes.crossRooms,
    typistsPerRoom: 5,
    updateHz: 2,
    awarenessHz: 1,
    seconds: sizes.loadSeconds,
    probeRooms: Math.max(2, Math.ceil(sizes.crossRooms / 5)),
  };
  const single = await withServer(spec, {}, (server) => runLoad(server, { ...load, roomPrefix: 'single' }));
  const redis = await startRedisPinned();
  try {
    const redisUrl = `redis://127.0.0.1:${redis.port}`;
    const node = {
      kind: spec.kind,
      runtime: spec.runtime,
      core: spec.core,
      redisUrl,
      ...(spec.cpuProfDir === undefined ? {} : { cpuProfDir: spec.cpuProfDir }),
    };
    const a = await startBenchServer(node);
    const b = await startBenchServer(node).catch(async (err: unknown) => {
      await a.stop();
      throw err;
    });
    try {
      await sleep(500);
      const cross = await runLoad([a, b], { ...load, roomPrefix: 'cross', targets: [a, b] });
      const added = round(cross.latencyMs.p99 - single.latencyMs.p99, 3);
      spec.log(`    p99 one node ${single.latencyMs.p99} ms, two nodes ${cross.latencyMs.p99} ms (+${added} ms)`);
      const notes: string[] = [];
      loadNotes('cross (single)', single, notes);
      loadNotes('cross (two nodes)', cross, notes);
      const relayed = cross.converged;
      return {
        metrics: {
          'cross.singleP99Ms': single.latencyMs.p99,
          'cross.twoNodeP99Ms': relayed ? cross.latencyMs.p99 : -1,
          'cross.addedP99Ms': relayed ? added : -1,
          'cross.cpuUsPerMsg': cross.serverCpuUsPerMessage,
        },
        notes: relayed ? notes : [...notes, 'cross: updates were not relayed between the nodes — not a result'],
        steps: { single, cross },
      };
    } finally {
      await Promise.allSettled([a.stop(), b.stop()]);
    }
  } finally {
    await redis.stop();
  }
}

async function startRedisPinned(): Promise<{ port: number; stop(): Promise<void> }> {
  const redis = await startRedisServer();
  // Redis belongs on the generator's core, away from the servers under test.
  const { spawnSync } = await import('node:child_process');
  const pid = redis.process.child.pid;
  if (pid !== undefined) spawnSync('taskset', ['-pc', '1', String(pid)], { stdio: 'ignore' });
  return redis;
}
