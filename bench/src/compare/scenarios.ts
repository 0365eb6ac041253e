/**
 * The comparison scenarios. Each starts its own server(s), returns flat named metrics
 * (lower is better unless the name says otherwise) and notes, and stops what it started.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '@tandem/test-utils';
import * as Y from 'yjs';
import { runAckScenario } from '../ack-scenario.js';
import { LoadClient, ProbeClient } from './clients.js';
import { syncUpdateFrame, TEXT_NAME } from './frames.js';
import { type LoadResult, type LoadSpec, runLoad } from './load.js';
import { startResyncers } from './resyncers.js';
import { type Runtime, type ServerHandle, type ServerKind, startBenchServer } from './servers.js';
import { mapLimit, round, seededRandom, sleep } from './util.js';

/** Sizes of every scenario (quick, full and the tiny end-to-end test differ only here). */
export interface Sizes {
  readonly idleConnections: readonly number[];
  readonly fanoutTypists: number;
  readonly fanoutRoomSizes: readonly number[];
  /** The light-load mix: groups of rooms of one size, all in one step (`fanout.mix.*`). */
  readonly fanoutMix: readonly { readonly roomSize: number; readonly rooms: number }[];
  readonly loadSeconds: number;
  readonly capacityRooms: number;
  /** Capacity steps: updates/s per typist from `capacityStartHz`, × `capacityStepFactor` per step. */
  readonly capacityStartHz: number;
  readonly capacityStepFactor: number;
  readonly capacityMaxSteps: number;
  readonly hotRoomTypists: readonly number[];
  readonly coldDocBytes: number;
  readonly coldClients: number;
  readonly noisySeconds: number;
  readonly crossRooms: number;
  /** Encoded sizes of the documents whose memory cost `docmem` measures (one fresh server each). */
  readonly docmemBytes: readonly number[];
  /** How long the `docmem` client edits, and how often. */
  readonly docmemSeconds: number;
  readonly docmemEditHz: number;
  /** Durable-ack latency: concurrent writer counts and measured seconds per count (Tandem only). */
  readonly ackWriters: readonly number[];
  readonly ackSeconds: number;
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
const NOISY_CLIENTS = 4;
/** RSS counts as settled once this many samples in a row lie within 1 % of each other. */
const SETTLE_SAMPLES = 4;
const SETTLE_INTERVAL_MS = 250;
const SETTLE_TIMEOUT_MS = 8_000;

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

/**
 * The server's RSS once it has settled: sampled every 250 ms until four samples in a row lie within
 * 1 % of each other (bounded: after 8 s the last sample is taken as it is).
 */
async function settledRss(server: ServerHandle): Promise<number> {
  const samples: number[] = [];
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  for (let i = 0; i < 1_000 && performance.now() < deadline; i++) {
    samples.push(server.rssBytes());
    const last = samples.slice(-SETTLE_SAMPLES);
    if (last.length === SETTLE_SAMPLES && Math.max(...last) - Math.min(...last) <= 0.01 * Math.max(...last)) break;
    await sleep(SETTLE_INTERVAL_MS);
  }
  return samples[samples.length - 1] ?? server.rssBytes();
}

/**
 * 1. Idle memory: RSS with no connection once the server is healthy and settled (`idle.rssMiB@0`),
 * then the RSS slope over synced idle connections in rooms of 10 (`idle.kbPerConn`, over the steps
 * with connections; `idle.kbPerConnFromZero` includes the point with none).
 */
export async function idleMemory(spec: ServerSpec, sizes: Sizes): Promise<ScenarioOutcome> {
  return withServer(spec, {}, async (server) => {
    const clients: LoadClient[] = [];
    const points: [number, number][] = [];
    const metrics: Record<string, number> = {};
    try {
      const empty = await settledRss(server);
      points.push([0, empty]);
      metrics['idle.rssMiB@0'] = round(empty / 2 ** 20, 1);
      spec.log(`    0 connections (settled): RSS ${round(empty / 2 ** 20, 1)} MiB`);
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
      // The per-connection cost is the slope over the steps with connections: from 0, it also counts
      // what a server starts once for its first connection (Tandem's store thread, about 14 MiB;
      // lazily loaded code), which is not a cost per connection. Both are reported.
      metrics['idle.kbPerConn'] = round(Math.max(0, slope(points.slice(1))) / 1024, 2);
      metrics['idle.kbPerConnFromZero'] = round(Math.max(0, slope(points)) / 1024, 2);
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

/**
 * 2. Fan-out latency: rooms of k typists at 2 updates/s + 1 Hz awareness, fixed total typists;
 * then the light-load mix, rooms of several sizes in one step (`fanout.mix.*`).
 */
export async function fanout(spec: ServerSpec, sizes: Sizes): Promise<ScenarioOutcome> {
  const metrics: Record<string, number> = {};
  const notes: string[] = [];
  const steps: Record<string, LoadResult> = {};
  for (const k of sizes.fanoutRoomSizes) {
    const rooms = Math.max(1, Math.round(sizes.fanoutTypists / k));
    const load: LoadSpec = {
      rooms,
      typistsPerRoom: k,
      updateHz: 2,
      awarenessHz: 1,
      seconds: sizes.loadSeconds,
      probeRooms: Math.max(2, Math.ceil(rooms / 10)),
      roomPrefix: `fan${k}`,
    };
    // The measured step runs on a fresh server, as every server starts. The same load again on the
    // same server (in rooms of its own: the generator's updates are the same bytes, which a room
    // that holds them already would not relay) shows it warm: its JIT has compiled the hot path,
    // which a fresh process is still doing during the first seconds (reported, not a goal). The
    // first step's rooms are left alone meanwhile (Tandem unloads them 30 s after, ROOM-2).
    const [r, warm] = await withServer(spec, {}, async (server) => {
      const fresh = await runLoad(server, load);
      return [fresh, await runLoad(server, { ...load, roomPrefix: `fan${k}warm` })] as const;
    });
    spec.log(
      `    rooms of ${k}: p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, ${r.serverCpuUsPerMessage} µs/msg` +
        ` (warm: p99 ${warm.latencyMs.p99} ms, ${warm.serverCpuUsPerMessage} µs/msg)`,
    );
    Object.assign(metrics, loadMetrics(`fanout.k${k}`, r), {
      [`fanout.k${k}.warm.p99Ms`]: warm.latencyMs.p99,
      [`fanout.k${k}.warm.cpuUsPerMsg`]: warm.serverCpuUsPerMessage,
    });
    loadNotes(`fan-out k=${k}`, r, notes);
    loadNotes(`fan-out k=${k} (warm)`, warm, notes);
    steps[`k${k}`] = r;
  }
  if (sizes.fanoutMix.length > 0) {
    const roomSizes = interleave(sizes.fanoutMix.map((g) => Array.from({ length: g.rooms }, () => g.roomSize)));
    const r = await withServer(spec, {}, (server) =>
      runLoad(server, {
        rooms: roomSizes.length,
        typistsPerRoom: Math.max(...roomSizes),
        roomSizes,
        updateHz: 2,
        awarenessHz: 1,
        seconds: sizes.loadSeconds,
        // The first rooms take turns between the sizes: the probes sample every size.
        probeRooms: Math.max(sizes.fanoutMix.length, Math.ceil(roomSizes.length / 10)),
        roomPrefix: 'mix',
      }),
    );
    const typists = roomSizes.reduce((a, b) => a + b, 0);
    spec.log(
      `    mix of ${typists} typists in ${roomSizes.length} rooms: p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, ` +
        `${r.serverCpuUsPerMessage} µs/msg`,
    );
    Object.assign(metrics, loadMetrics('fanout.mix', r), { 'fanout.mix.typists': typists });
    loadNotes('fan-out mix', r, notes);
    steps.mix = r;
  }
  return { metrics, notes, steps };
}

/** The lists' items taken in turns: [[a, a], [b]] → [a, b, a]. */
function interleave<T>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let i = 0; i < longest; i++) for (const l of lists) if (i < l.length) out.push(l[i] as T);
  return out;
}

/** The capacity steps' rates, updates/s per typist (rounded to 0.01). */
export function capacitySteps(sizes: Sizes): number[] {
  return Array.from({ length: sizes.capacityMaxSteps }, (_, i) =>
    round(sizes.capacityStartHz * sizes.capacityStepFactor ** i, 2),
  );
}

/**
 * 3. Capacity: rooms of 5, rate raised geometrically step by step (metrics `capacity.step<i>.*`)
 * until p99 > 100 ms or a loss; `capacity.msgPerSec` is the delivered rate of the last step held.
 */
export async function capacity(spec: ServerSpec, sizes: Sizes): Promise<ScenarioOutcome> {
  const metrics: Record<string, number> = {};
  const notes: string[] = [];
  const steps: Record<string, LoadResult> = {};
  let best = 0;
  let bestHz = 0;
  let bestBound = false;
  let failedAt: number | null = null;
  const rates = capacitySteps(sizes);
  await withServer(spec, {}, async (server) => {
    for (const [step, hz] of rates.entries()) {
      const r = await runLoad(server, {
        rooms: sizes.capacityRooms,
        typistsPerRoom: 5,
        updateHz: hz,
        awarenessHz: 1,
        seconds: sizes.loadSeconds,
        probeRooms: Math.max(2, Math.ceil(sizes.capacityRooms / 10)),
        roomPrefix: `cap${step}`,
      });
      steps[`step${step}`] = r;
      Object.assign(metrics, loadMetrics(`capacity.step${step}`, r), { [`capacity.step${step}.hz`]: hz });
      const ok = r.converged && r.latencyMs.p99 <= CAPACITY_P99_MS;
      spec.log(
        `    ${hz} updates/s/typist: ${r.deliveredMessagesPerSec} msg/s delivered, p99 ${r.latencyMs.p99} ms, ` +
          `server ${r.serverCpuPercent}% CPU, ${r.serverCpuUsPerMessage} µs/msg, generator core ${r.generatorCorePercent}% ` +
          `(harness ${r.generatorProcessPercent}%)` +
          `${ok ? '' : ' — over the limit'}`,
      );
      loadNotes(`capacity ${hz} Hz`, r, notes);
      if (!ok) {
        failedAt = hz;
        break;
      }
      best = r.deliveredMessagesPerSec;
      bestHz = hz;
      bestBound = r.generatorSaturated;
    }
  });
  metrics['capacity.msgPerSec'] = best;
  metrics['capacity.heldHz'] = bestHz;
  if (bestBound) notes.push('capacity: the generator was saturated at the last passing step — lower bound');
  if (failedAt === null) notes.push(`capacity: every step held, up to ${bestHz} updates/s/typist — lower bound`);
  metrics['capacity.lowerBound'] = bestBound || failedAt === null ? 1 : 0;
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
    const noisy = await startResyncers(server, 'noisy-big', NOISY_CLIENTS, RESYNC_PAUSE_MS);
    let resyncs: number | null = null;
    try {
      const loud = await runLoad(server, { ...probeSpec, roomPrefix: 'loud' });
      resyncs = await noisy.stop();
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
      if (resyncs === null) await noisy.stop().catch(() => 0);
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

/** `docmem` metric tag of an encoded size: `10KB`, `1MiB`, `10MiB`. */
export function docSizeTag(bytes: number): string {
  return bytes >= 2 ** 20 ? `${round(bytes / 2 ** 20, 0)}MiB` : `${round(bytes / 1_000, 0)}KB`;
}

/**
 * Documents smaller than this are loaded in several copies (one room each, at most
 * {@link DOCMEM_MAX_COPIES}) so that together they reach it: one 10 KB document moves RSS by less
 * than its noise.
 */
const DOCMEM_TARGET_BYTES = 2 ** 20;
const DOCMEM_MAX_COPIES = 100;

/**
 * What one more synced connection costs the server in RSS, measured with `count` connections in one
 * empty room (closed again before returning): several copies of a small document need as many
 * connections, whose cost is not the documents'.
 */
async function connectionCost(server: ServerHandle, count: number): Promise<number> {
  const before = await settledRss(server);
  const clients = await mapLimit(Array.from({ length: count }), 16, () =>
    LoadClient.open(server, 'docmem-connections', 30_000),
  );
  try {
    return Math.max(0, (await settledRss(server)) - before) / count;
  } finally {
    await mapLimit(clients, 32, (c) => c.close());
  }
}

/** One room of the docmem scenario: the harness's copy of its document and the connected editor. */
interface EditedRoom {
  readonly name: string;
  readonly local: Y.Doc;
  readonly outgoing: Uint8Array[];
  client: LoadClient | null;
}

/**
 * 8. Memory per loaded document: for each document size, a fresh server with the document stored
 * (as the cold scenario seeds it; small documents in several copies, one room each); RSS once
 * settled with no document loaded (after one client has opened and left an empty room, which pays
 * the first room's one-time costs); then one client per room joins and they edit at random
 * positions for a bounded time; RSS settled again while they are connected. The difference per
 * document, less the cost of its connection (measured apart, for several copies), divided by the
 * encoded size, is what a loaded document costs (`docmem.<size>.rssPerEncoded`). Fresh clients
 * then check the server holds every edit.
 */
export async function docMemory(spec: ServerSpec, sizes: Sizes, docs: readonly Uint8Array[]): Promise<ScenarioOutcome> {
  const metrics: Record<string, number> = {};
  const notes: string[] = [];
  for (const [i, doc] of docs.entries()) {
    // Named for the size asked for (the built document's encoded size is within a few % of it).
    const tag = docSizeTag(sizes.docmemBytes[i] ?? doc.byteLength);
    const copies = Math.min(DOCMEM_MAX_COPIES, Math.max(1, Math.floor(DOCMEM_TARGET_BYTES / doc.byteLength)));
    const rooms: EditedRoom[] = Array.from({ length: copies }, (_, c) => {
      const local = new Y.Doc();
      local.clientID = 700_001;
      Y.applyUpdate(local, doc);
      const outgoing: Uint8Array[] = [];
      local.on('update', (update: Uint8Array) => outgoing.push(update));
      return { name: `docmem-${tag}-${c}`, local, outgoing, client: null };
    });
    await withServer(spec, { seed: { doc: rooms.map((r) => r.name), update: doc } }, async (server) => {
      const bare = await settledRss(server);
      // The first room a server opens pays one-time costs (lazy modules, caches): not a document's.
      await (await LoadClient.open(server, 'docmem-warmup', 30_000)).close();
      const empty = await settledRss(server);
      const connBytes = copies > 1 ? await connectionCost(server, copies) : 0;
      const random = seededRandom(doc.byteLength);
      let loaded = 0;
      let lost = 0;
      // Measured while the clients are still connected: a server may unload a room nobody is in.
      try {
        await mapLimit(rooms, 16, async (room) => {
          room.client = await LoadClient.open(server, room.name, 60_000);
          if (room.client.bytesReceived < doc.byteLength * 0.9) {
            notes.push(`docmem ${tag}: a client received only ${room.client.bytesReceived} bytes`);
          }
        });
        const edits = Math.ceil(sizes.docmemEditHz * sizes.docmemSeconds);
        const start = performance.now();
        for (let e = 0; e < edits; e++) {
          const wait = start + (e * 1_000) / sizes.docmemEditHz - performance.now();
          if (wait > 0) await sleep(wait);
          const room = rooms[e % copies] as EditedRoom;
          const text = room.local.getText(TEXT_NAME);
          const at = Math.floor(random() * (text.length + 1));
          if (e % 4 === 3 && at < text.length) text.delete(at, Math.min(3, text.length - at));
          else text.insert(at, 'x');
          for (const update of room.outgoing.splice(0)) {
            room.client?.send(syncUpdateFrame(server.dialect, room.name, update));
          }
        }
        loaded = await settledRss(server);
        await mapLimit(rooms, 8, async (room) => {
          const verifier = await ProbeClient.openProbe(server, room.name, 60_000);
          lost += Math.max(
            0,
            Y.getState(room.local.store, room.local.clientID) - verifier.clockOf(room.local.clientID),
          );
          await verifier.close();
        });
      } finally {
        await mapLimit(rooms, 32, async (room) => room.client?.close());
      }
      if (lost > 0) notes.push(`docmem ${tag}: LOST ${lost} edits`);
      const perEncoded = round((loaded - empty - copies * connBytes) / copies / doc.byteLength, 2);
      spec.log(
        `    ${tag} document (${round(doc.byteLength / 2 ** 20, 3)} MiB encoded) × ${copies}: RSS ` +
          `${round(empty / 2 ** 20, 1)} → ${round(loaded / 2 ** 20, 1)} MiB` +
          `${copies > 1 ? ` less ${copies} connections at ${round(connBytes / 1024, 1)} KB` : ''}, ` +
          `${perEncoded}× its size per document`,
      );
      Object.assign(metrics, {
        [`docmem.${tag}.encodedMiB`]: round(doc.byteLength / 2 ** 20, 3),
        [`docmem.${tag}.copies`]: copies,
        [`docmem.${tag}.connKB`]: round(connBytes / 1024, 1),
        [`docmem.${tag}.bareRssMiB`]: round(bare / 2 ** 20, 1),
        [`docmem.${tag}.emptyRssMiB`]: round(empty / 2 ** 20, 1),
        [`docmem.${tag}.loadedRssMiB`]: round(loaded / 2 ** 20, 1),
        // A negative difference (a GC between the samples) is reported as 0.
        [`docmem.${tag}.rssPerEncoded`]: Math.max(0, perEncoded),
      });
    });
  }
  return { metrics, notes };
}

/**
 * 9. Durable-ack latency (Tandem only): closed-loop writers, send → "persisted through N". The
 * server runs as `ack-latency` runs it (not pinned to the servers' core), so the figures compare
 * with that benchmark's.
 */
export async function ackLatency(spec: ServerSpec, sizes: Sizes): Promise<ScenarioOutcome> {
  const metrics: Record<string, number> = {};
  for (const writers of sizes.ackWriters) {
    // On the servers' core, as every other scenario's server (not on the generator's, which it would inherit).
    const r = await runAckScenario(writers, sizes.ackSeconds, spec.core);
    spec.log(
      `    ${writers} writer(s): ${r.updatesPerSec} updates/s, ack p50 ${r.ackLatencyMs.p50} ms, p99 ${r.ackLatencyMs.p99} ms`,
    );
    Object.assign(metrics, {
      [`ack.w${writers}.p50Ms`]: r.ackLatencyMs.p50,
      [`ack.w${writers}.p99Ms`]: r.ackLatencyMs.p99,
      [`ack.w${writers}.updatesPerSec`]: r.updatesPerSec,
    });
  }
  return { metrics, notes: [] };
}
