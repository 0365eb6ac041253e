/**
 * One open-loop load step: rooms of typists sending pre-generated Yjs updates (and awareness) at
 * fixed rates from a pre-computed schedule. Probe typists (one per sampled room, plus a passive
 * probe) hold Y.Docs and measure delivery latency from the scheduled send time; afterwards every
 * room is fetched by a fresh client and checked against what was sent (a lost update fails).
 */
import type { Histogram } from 'hdr-histogram-js';
import { microsHistogram } from '../histogram.js';
import { LoadClient, ProbeClient, type Target, type TypistSchedule } from './clients.js';
import { awarenessFrame, awarenessUpdate, syncUpdateFrame, typingUpdate } from './frames.js';
import { cpuJiffies, type ServerHandle } from './servers.js';
import { type LatencySummary, mapLimit, round, seededRandom, sleep, summarize } from './util.js';

/** What a step offers. */
export interface LoadSpec {
  readonly rooms: number;
  readonly typistsPerRoom: number;
  /**
   * Per-room typist counts for a mix of room sizes (the fan-out mix); when given, its length must
   * equal `rooms` and it replaces `typistsPerRoom` room by room.
   */
  readonly roomSizes?: readonly number[];
  /** Updates per second per typist. */
  readonly updateHz: number;
  /** Awareness updates per second per typist. */
  readonly awarenessHz: number;
  readonly seconds: number;
  /** How many rooms get probes (latency + convergence through a Y.Doc). */
  readonly probeRooms: number;
  /** Room names are `<prefix>-<i>`. */
  readonly roomPrefix: string;
  /** Clients per server node (cross-node: typists alternate between the targets). */
  readonly targets?: readonly Target[];
}

/** What a step measured. */
export interface LoadResult {
  readonly offeredUpdatesPerSec: number;
  readonly offeredMessagesPerSec: number;
  readonly deliveredMessages: number;
  readonly deliveredMessagesPerSec: number;
  readonly framesReceived: number;
  readonly latencyMs: LatencySummary;
  readonly serverCpuPercent: number;
  /** Server CPU microseconds per delivered message (update or awareness, per recipient). */
  readonly serverCpuUsPerMessage: number;
  readonly serverRssMiB: number;
  readonly generatorCorePercent: number | null;
  /** CPU of the harness process itself (the rest of the generator core's load is other processes). */
  readonly generatorProcessPercent: number;
  /** The load generator's core passed 85 %: figures are a lower bound on the server. */
  readonly generatorSaturated: boolean;
  /** Every room's state equals what was sent, and every probe saw every update. */
  readonly converged: boolean;
  readonly lostUpdates: number;
  readonly failures: readonly string[];
  readonly lateSendMsP99: number;
}

interface Typist {
  readonly room: number;
  readonly client: number;
  readonly updates: Buffer[];
  readonly rawUpdates: Uint8Array[] | null;
  readonly awareness: Buffer[];
  readonly schedule: TypistSchedule;
  conn: LoadClient | null;
  sent: number;
  awarenessSent: number;
}

const CONNECT_TIMEOUT_MS = 20_000;
const CONNECT_CONCURRENCY = 64;
const DRAIN_TIMEOUT_MS = 8_000;
const TICK_MS = 1;
const GENERATOR_SATURATED = 85;
const CHARS = 'abcdefghijklmnopqrstuvwxyz';

/** Runs one load step against `server` (or `spec.targets`), cleaning up every connection. */
export async function runLoad(server: ServerHandle | readonly ServerHandle[], spec: LoadSpec): Promise<LoadResult> {
  const servers = Array.isArray(server) ? server : [server as ServerHandle];
  const targets: readonly Target[] = spec.targets ?? servers;
  const first = targets[0];
  if (first === undefined) throw new Error('no target');
  const random = seededRandom(0x7a4d + spec.rooms * 31 + spec.typistsPerRoom);
  const roomName = (r: number) => `${spec.roomPrefix}-${r}`;
  const nUpdates = Math.ceil(spec.updateHz * spec.seconds);
  const nAware = Math.ceil(spec.awarenessHz * spec.seconds);
  const probeRooms = Math.min(spec.rooms, spec.probeRooms);
  const sizes = roomSizesOf(spec);

  // Pre-generate every frame and the whole schedule before any socket opens.
  const typists: Typist[] = [];
  for (let r = 0; r < spec.rooms; r++) {
    for (let t = 0; t < (sizes[r] ?? 0); t++) {
      const client = 1 + r * 1_000 + t;
      const target = targets[typists.length % targets.length] ?? first;
      const isProbe = r < probeRooms && t === 0;
      const raw: Uint8Array[] = [];
      const updates: Buffer[] = [];
      for (let i = 0; i < nUpdates; i++) {
        const update = typingUpdate(client, i, CHARS[(client + i) % CHARS.length] ?? 'x');
        if (isProbe) raw.push(update);
        updates.push(syncUpdateFrame(target.dialect, roomName(r), update));
      }
      const awareness: Buffer[] = [];
      for (let i = 0; i < nAware; i++) {
        const state = { user: { name: `typist-${client}` }, cursor: { anchor: i, head: i } };
        awareness.push(awarenessFrame(target.dialect, roomName(r), awarenessUpdate(client, i + 1, state)));
      }
      typists.push({
        room: r,
        client,
        updates,
        rawUpdates: isProbe ? raw : null,
        awareness,
        schedule: { client, sentAt: new Float64Array(nUpdates) },
        conn: null,
        sent: 0,
        awarenessSent: 0,
      });
    }
  }
  const events = buildSchedule(typists, spec, random);

  const probes: { probe: ProbeClient; room: number }[] = [];
  const passive: { probe: ProbeClient; room: number }[] = [];
  const failures: string[] = [];
  try {
    await mapLimit(typists, CONNECT_CONCURRENCY, async (typist, i) => {
      const target = targets[i % targets.length] ?? first;
      const name = roomName(typist.room);
      if (typist.rawUpdates !== null) {
        const probe = await ProbeClient.openProbe(target, name, CONNECT_TIMEOUT_MS);
        probes.push({ probe, room: typist.room });
        typist.conn = probe;
      } else {
        typist.conn = await LoadClient.open(target, name, CONNECT_TIMEOUT_MS);
      }
    });
    // A passive probe in each sampled room, on the last target (the other node, cross-node).
    const last = targets[targets.length - 1] ?? first;
    for (let r = 0; r < probeRooms; r++) {
      passive.push({ probe: await ProbeClient.openProbe(last, roomName(r), CONNECT_TIMEOUT_MS), room: r });
    }

    const histogram = microsHistogram();
    const lateness = microsHistogram();
    const record = (h: Histogram) => (ms: number) => h.recordValue(Math.max(1, Math.round(ms * 1_000)));
    const framesBefore = typists.reduce((n, t) => n + (t.conn?.framesReceived ?? 0), 0);
    const cpuBefore = sumCpu(servers);
    const coreBefore = cpuJiffies(1);
    const selfBefore = process.cpuUsage();
    const start = performance.now() + 100;
    // Latency counts from the end of a warm-up (JIT, first room writes), whose sends still count.
    const warmupMs = Math.min(1_000, spec.seconds * 200);
    for (const { probe, room } of [...probes, ...passive]) {
      // A probe that types does not time its own updates: servers that do not echo a sender's
      // updates back (Tandem) would otherwise be charged the wait for the next unrelated frame.
      const others = typists.filter((t) => t.room === room && t.conn !== probe).map((t) => t.schedule);
      probe.watch(others, record(histogram), start + warmupMs);
    }
    await sleep(100);
    // The open loop: send everything due, then yield for a millisecond. Bounded in count and time.
    let next = 0;
    const hardStop = start + spec.seconds * 1_000 + 10_000;
    for (let tick = 0; tick < 10_000_000 && next < events.time.length; tick++) {
      const now = performance.now();
      if (now > hardStop) {
        failures.push('generator could not keep up with the schedule (hard stop)');
        break;
      }
      while (next < events.time.length) {
        const at = start + (events.time[next] ?? 0);
        if (at > now) break;
        const typist = typists[events.typist[next] ?? 0];
        if (typist?.conn != null) {
          if (events.kind[next] === 0) {
            const i = typist.sent++;
            typist.schedule.sentAt[i] = at;
            const raw = typist.rawUpdates?.[i];
            if (raw !== undefined) (typist.conn as ProbeClient).applyOwn(raw);
            const frame = typist.updates[i];
            if (frame !== undefined) typist.conn.send(frame);
          } else {
            const frame = typist.awareness[typist.awarenessSent++];
            if (frame !== undefined) typist.conn.send(frame);
          }
        }
        record(lateness)(now - at);
        next += 1;
      }
      await sleep(TICK_MS);
    }
    // Drain: wait (bounded) until every probe holds every update of its room.
    const complete = () =>
      [...probes, ...passive].every(({ probe, room }) =>
        typists.every((t) => t.room !== room || probe.clockOf(t.client) >= t.sent),
      );
    const drainDeadline = performance.now() + DRAIN_TIMEOUT_MS;
    for (let i = 0; i < 10_000 && !complete() && performance.now() < drainDeadline; i++) await sleep(5);
    const end = performance.now();
    const cpuSeconds = sumCpu(servers) - cpuBefore;
    const coreAfter = cpuJiffies(1);
    const self = process.cpuUsage(selfBefore);
    const rss = servers.reduce((n, s) => n + s.rssBytes(), 0);

    // Everything that reached the server, checked by fresh clients; then the probes' own docs.
    let lost = 0;
    const sentByRoom = new Map<number, Typist[]>();
    for (const t of typists) {
      const list = sentByRoom.get(t.room) ?? [];
      list.push(t);
      sentByRoom.set(t.room, list);
    }
    await sleep(200);
    await mapLimit([...sentByRoom.keys()], 32, async (room) => {
      const verifier = await ProbeClient.openProbe(targets[room % targets.length] ?? first, roomName(room), 20_000);
      try {
        for (const t of sentByRoom.get(room) ?? []) lost += Math.max(0, t.sent - verifier.clockOf(t.client));
      } finally {
        await verifier.close();
      }
    });
    for (const { probe, room } of [...probes, ...passive]) {
      for (const t of sentByRoom.get(room) ?? []) {
        const missing = t.sent - probe.clockOf(t.client);
        if (missing > 0) {
          lost += missing;
        }
      }
      if (probe.decodeErrors > 0) failures.push(`probe in room ${room}: ${probe.decodeErrors} undecodable frames`);
    }
    for (const t of typists) if (t.conn?.failure != null) failures.push(`${roomName(t.room)}: ${t.conn.failure}`);

    const elapsedS = (end - start) / 1_000;
    // Each typist's sends reach the other typists of its room; passive probes are recipients too.
    const delivered =
      typists.reduce((n, t) => n + (t.sent + t.awarenessSent) * ((sizes[t.room] ?? 1) - 1), 0) +
      passive.reduce(
        (n, { room }) => n + (sentByRoom.get(room) ?? []).reduce((m, t) => m + t.sent + t.awarenessSent, 0),
        0,
      );
    const framesReceived = typists.reduce((n, t) => n + (t.conn?.framesReceived ?? 0), 0) - framesBefore;
    const generatorCorePercent =
      coreBefore === null || coreAfter === null
        ? null
        : round((100 * (coreAfter.busy - coreBefore.busy)) / Math.max(1, coreAfter.total - coreBefore.total), 1);
    return {
      offeredUpdatesPerSec: round(typists.length * spec.updateHz, 1),
      offeredMessagesPerSec: round(sizes.reduce((n, k) => n + k * (k - 1), 0) * (spec.updateHz + spec.awarenessHz), 1),
      deliveredMessages: delivered,
      deliveredMessagesPerSec: round(delivered / elapsedS, 1),
      framesReceived,
      latencyMs: summarize(histogram),
      serverCpuPercent: round((100 * cpuSeconds) / elapsedS, 1),
      serverCpuUsPerMessage: round((cpuSeconds * 1e6) / Math.max(1, delivered), 3),
      serverRssMiB: round(rss / 2 ** 20, 1),
      generatorCorePercent,
      generatorProcessPercent: round((self.user + self.system) / 1e4 / elapsedS, 1),
      generatorSaturated: generatorCorePercent !== null && generatorCorePercent > GENERATOR_SATURATED,
      converged: lost === 0 && failures.length === 0,
      lostUpdates: lost,
      failures: failures.slice(0, 10),
      lateSendMsP99: round(lateness.getValueAtPercentile(99) / 1_000, 3),
    };
  } finally {
    await mapLimit(
      [...typists.map((t) => t.conn), ...passive.map((p) => p.probe)].filter((c): c is LoadClient => c !== null),
      256,
      (c) => c.close(),
    );
  }
}

/** Typists per room: `roomSizes`, or `typistsPerRoom` in every room. */
function roomSizesOf(spec: LoadSpec): readonly number[] {
  if (spec.roomSizes === undefined) return Array.from({ length: spec.rooms }, () => spec.typistsPerRoom);
  if (spec.roomSizes.length !== spec.rooms) {
    throw new Error(`roomSizes has ${spec.roomSizes.length} entries for ${spec.rooms} rooms`);
  }
  return spec.roomSizes;
}

function sumCpu(servers: readonly ServerHandle[]): number {
  return servers.reduce((n, s) => n + s.cpuSeconds(), 0);
}

/** Every send of the step, sorted by time (ms from start): kind 0 = update, 1 = awareness. */
function buildSchedule(
  typists: readonly Typist[],
  spec: LoadSpec,
  random: () => number,
): { time: Float64Array; typist: Int32Array; kind: Uint8Array } {
  const raw: { time: number; typist: number; kind: number }[] = [];
  typists.forEach((typist, index) => {
    const updatePeriod = 1_000 / spec.updateHz;
    const phase = random() * updatePeriod;
    for (let i = 0; i < typist.updates.length; i++)
      raw.push({ time: phase + i * updatePeriod, typist: index, kind: 0 });
    if (spec.awarenessHz > 0) {
      const awarenessPeriod = 1_000 / spec.awarenessHz;
      const awarenessPhase = random() * awarenessPeriod;
      for (let i = 0; i < typist.awareness.length; i++) {
        raw.push({ time: awarenessPhase + i * awarenessPeriod, typist: index, kind: 1 });
      }
    }
  });
  raw.sort((a, b) => a.time - b.time);
  return {
    time: Float64Array.from(raw, (e) => e.time),
    typist: Int32Array.from(raw, (e) => e.typist),
    kind: Uint8Array.from(raw, (e) => e.kind),
  };
}
