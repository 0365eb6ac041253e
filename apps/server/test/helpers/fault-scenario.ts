import {
  type ConnectionFault,
  createRng,
  type FaultProxy,
  type Rng,
  startFaultProxy,
  waitFor,
} from '@tandem/test-utils';
import * as Y from 'yjs';
import { connectStockClient, type StockClient } from './clients.js';
import {
  describeDivergence,
  type FaultLog,
  fingerprint,
  type PresenceEvent,
  presenceViolations,
  serverCloses,
} from './fault-checks.js';
import {
  connectStockFaultClient,
  connectTandemFaultClient,
  type FaultClient,
  type FaultClientKind,
  isPolicyCode,
} from './fault-clients.js';
import type { FaultEnvironment } from './fault-environments.js';
import { fetchDocument } from './tandem-writer.js';
import { signToken } from './tokens.js';

/** Long-lived on purpose: a token valid for 400 days must not be closed early (AUTH-5). */
const TOKEN_LIFETIME_S = 400 * 24 * 3600;

/** Every fault a schedule draws from: the proxy's connection faults plus lasting path conditions. */
export type ScheduledFaultKind = ConnectionFault['kind'] | 'latency' | 'bandwidth';

/** What one round of a scenario measured, and every rule it saw broken. */
export interface RoundReport {
  readonly scenario: string;
  readonly seed: number;
  readonly round: number;
  readonly faults: Record<ScheduledFaultKind, number>;
  readonly edits: number;
  readonly reconnects: number;
  readonly worstReconnectMs: number;
  /** Sessions the server closed with 4409 because their client had taken its id over (NET-4). */
  readonly takeovers: number;
  readonly policyCloses: string[];
  /** Null when the clients did not converge within the bound. */
  readonly convergenceMs: number | null;
  readonly ackedUpdates: number;
  readonly ackedLosses: string[];
  /** Every broken rule, prefixed with its ID; empty for a clean round. */
  readonly violations: string[];
}

/** Options of one round. */
export interface RoundOptions {
  readonly seed: number;
  readonly round: number;
  /** How long faults are injected while every client edits. */
  readonly durationMs: number;
  /** How many clients of each kind (a 'mux' client carries two documents over one socket). */
  readonly clients: Readonly<Record<FaultClientKind, number>>;
}

const CONVERGENCE_BOUND_MS = 5_000;
const RECONNECT_BOUND_MS = 2_000;
/** Server-side close of a session its own client has replaced (the stale half of a takeover). */
const TAKEOVER_CODE = 4409;

const FAULT_WEIGHTS: readonly [ScheduledFaultKind, number][] = [
  ['half-open', 4],
  ['reset', 2],
  ['stall', 2],
  ['drop-at-random-byte', 2],
  ['latency', 1],
  ['bandwidth', 1],
];

function pickFault(rng: Rng): ScheduledFaultKind {
  const total = FAULT_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);
  let roll = rng.next() * total;
  for (const [kind, weight] of FAULT_WEIGHTS) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return 'half-open';
}

/** Runs `tick` after each delay drawn from `delay` until `endAt`; resolves then. */
function every(endAt: number, delay: () => number, tick: () => void, timers: Set<NodeJS.Timeout>): Promise<void> {
  return new Promise((resolve) => {
    const next = () => {
      const wait = delay();
      if (Date.now() + wait >= endAt) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        tick();
        next();
      }, wait);
      timers.add(timer);
    };
    next();
  });
}

/**
 * One round: clients of every kind, each behind its own seeded fault proxy, edit while a seeded
 * schedule injects faults; then the NET-2…NET-6 checks. The servers are restarted at the end
 * (NET-3), so the next round starts on fresh processes.
 */
export async function runFaultRound(environment: FaultEnvironment, options: RoundOptions): Promise<RoundReport> {
  const rng = createRng(options.seed * 1_000 + options.round);
  const room = `net-${environment.name}-${options.seed}-${options.round}`;
  const rooms = [room, `${room}-side`];
  const nodes = environment.nodes();
  const secret = environment.secret;
  // With authentication every client is its own user: a takeover needs the same subject (YJS-5).
  const tokenFor = (sub: string) =>
    secret === null ? Promise.resolve(null) : signToken({ secret, sub, name: sub, expiresIn: TOKEN_LIFETIME_S });
  const reader = await tokenFor('reader');
  const readerParams: Record<string, string> = reader === null ? {} : { token: reader };
  const lineStart = nodes.map((n) => n.process.lines.length);
  const violations: string[] = [];
  const faults: Record<ScheduledFaultKind, number> = {
    'half-open': 0,
    reset: 0,
    stall: 0,
    'drop-at-random-byte': 0,
    latency: 0,
    bandwidth: 0,
  };
  const proxies: FaultProxy[] = [];
  const clients: FaultClient[] = [];
  const extras: StockClient[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const presence: PresenceEvent[] = [];
  const faultLog: FaultLog = new Map();
  let edits = 0;
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    for (const timer of timers) clearTimeout(timer);
    for (const client of clients) client.destroy();
    for (const extra of extras) extra.destroy();
    for (const proxy of proxies) await proxy.close();
  };
  try {
    for (const [observerIndex, node] of nodes.entries()) {
      const observer = connectStockClient(node.syncUrl, room, readerParams);
      observer.provider.awareness.setLocalStateField('user', { name: 'observer' });
      observer.provider.awareness.on(
        'change',
        ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
          const at = Date.now();
          for (const id of removed) presence.push({ at, id, observer: observerIndex, removed: true });
          for (const id of [...added, ...updated]) presence.push({ at, id, observer: observerIndex, removed: false });
        },
      );
      extras.push(observer);
    }
    const kinds: FaultClientKind[] = (['stock', 'tandem', 'mux'] as const).flatMap((kind) =>
      Array.from({ length: options.clients[kind] }, () => kind),
    );
    for (const [i, kind] of kinds.entries()) {
      const proxy = await startFaultProxy({
        targetPort: (nodes[i % nodes.length] as (typeof nodes)[number]).port,
        seed: rng.int(1, 2 ** 31),
      });
      proxies.push(proxy);
      const name = `${kind}${i}`;
      clients.push(
        kind === 'stock'
          ? connectStockFaultClient(name, proxy, room, await tokenFor(name))
          : connectTandemFaultClient(
              name,
              proxy,
              kind === 'mux' ? rooms : [room],
              kind,
              () => new Y.Doc(),
              await tokenFor(name),
            ),
      );
    }
    await waitFor(() => clients.every((c) => c.timeline.up) && extras.every((o) => o.provider.synced), {
      timeoutMs: 10_000,
    }).catch(() => {
      const waiting = clients
        .filter((c) => !c.timeline.up)
        .map((c) => `${c.name} (closes: ${c.closes.map((x) => `${x.code} ${x.reason}`).join(', ') || 'none'})`);
      const observers = extras.filter((o) => !o.provider.synced).length;
      throw new Error(
        `not synced before the faults: ${waiting.join('; ') || 'no client'}; observers waiting: ${observers}`,
      );
    });

    const endAt = Date.now() + options.durationMs;
    const ports = nodes.map((n) => n.port);
    const inject = () => {
      const client = rng.pick(clients);
      const kind = pickFault(rng);
      const now = Date.now();
      const isCondition = kind === 'latency' || kind === 'bandwidth';
      // A client between connections has nothing to cut (an armed fault would hit it later, untimed).
      if (!isCondition && client.proxy.connections().length === 0) return;
      faults[kind]++;
      const log = faultLog.get(client) ?? [];
      faultLog.set(client, log);
      log.push({ at: now, what: kind });
      if (isCondition) {
        client.proxy.setConditions(
          kind === 'latency'
            ? { latencyMs: rng.int(10, 150), jitterMs: rng.int(0, 100) }
            : { bytesPerSecond: rng.int(100_000, 500_000) },
        );
        const timer = setTimeout(() => client.proxy.setConditions({}), rng.int(500, 3_000));
        timers.add(timer);
        return;
      }
      // In a cluster, half of the cuts send the reconnect to the other node.
      if (kind !== 'stall' && ports.length > 1 && rng.next() < 0.5) {
        client.proxy.retarget(rng.pick(ports.filter((p) => p !== client.proxy.targetPort)));
        log.push({ at: now, what: `retarget to node ${ports.indexOf(client.proxy.targetPort) + 1}` });
      }
      const fault: ConnectionFault =
        kind === 'stall'
          ? { kind, ms: Math.max(1, Math.min(rng.int(200, 2_500), endAt - now)) }
          : kind === 'drop-at-random-byte'
            ? { kind, maxBytes: 4_000 }
            : { kind };
      client.timeline.markFault(now, fault.kind === 'stall' ? now + fault.ms : now);
      client.proxy.injectAll(fault);
    };
    await Promise.all([
      every(endAt, () => rng.int(150, 600), inject, timers),
      ...clients.map((client) =>
        every(
          endAt,
          () => rng.int(40, 200),
          () => {
            client.edit(rng);
            edits++;
          },
          timers,
        ),
      ),
    ]);
    for (const timer of timers) clearTimeout(timer);
    for (const proxy of proxies) proxy.setConditions({});

    // NET-2: everyone, and a fresh joiner on every node, holds the same document.
    const convergeFrom = Date.now();
    const joiners = nodes.flatMap((n) =>
      rooms.map((r) => ({ room: r, client: connectStockClient(n.syncUrl, r, readerParams) })),
    );
    extras.push(...joiners.map((j) => j.client));
    const membersOf = (r: string) => [
      ...clients.flatMap((c) => c.docs.filter((d) => d.room === r).map((d) => ({ name: c.name, doc: d.doc }))),
      ...joiners.filter((j) => j.room === r).map((j, n) => ({ name: `joiner${n}`, doc: j.client.doc })),
    ];
    let convergenceMs: number | null = null;
    try {
      await waitFor(
        () => {
          if (!clients.every((c) => c.timeline.up) || !joiners.every((j) => j.client.provider.synced)) return false;
          return rooms.every((r) => new Set(membersOf(r).map((m) => fingerprint(m.doc))).size === 1);
        },
        { what: 'convergence', timeoutMs: CONVERGENCE_BOUND_MS, intervalMs: 20 },
      );
      convergenceMs = Date.now() - convergeFrom;
    } catch {
      const down = clients.filter((c) => !c.timeline.up).map((c) => c.name);
      const unsyncedJoiners = joiners.filter((j) => !j.client.provider.synced).length;
      const groups = rooms.map((r) => describeDivergence(r, membersOf(r)));
      violations.push(
        `NET-2: no convergence within ${CONVERGENCE_BOUND_MS} ms; not synced: ${down.join(', ') || 'none'}; ` +
          `joiners not synced: ${unsyncedJoiners}; ${groups.join('; ')}`,
      );
    }
    const checkedUntil = Date.now();

    // NET-4: no policy close, seen by a client or logged by a server (4409 is a takeover's stale half).
    const policyCloses: string[] = [];
    for (const client of clients) {
      for (const close of client.closes) {
        if (isPolicyCode(close.code)) policyCloses.push(`${client.name} saw ${close.code} "${close.reason}"`);
      }
    }
    let takeovers = 0;
    for (const [i, node] of nodes.entries()) {
      for (const close of serverCloses(node.process.lines.slice(lineStart[i]))) {
        if (close.code === TAKEOVER_CODE) takeovers++;
        else if (isPolicyCode(close.code)) policyCloses.push(`server closed a session ${close.code} "${close.reason}"`);
      }
    }
    for (const close of policyCloses) violations.push(`NET-4: ${close}`);

    // NET-5: reconnected within 2 s of the close.
    const reconnectMs = clients.flatMap((c) => c.timeline.reconnectMs);
    for (const client of clients) {
      for (const ms of client.timeline.reconnectMs) {
        if (ms > RECONNECT_BOUND_MS) violations.push(`NET-5: ${client.name} took ${ms} ms to reconnect`);
      }
    }

    // NET-6: no removal of a client that was live on an untouched connection.
    violations.push(...presenceViolations(presence, clients, faultLog, checkedUntil));

    // NET-3: every acked update survives a kill -9 and restart.
    await release();
    await environment.restart();
    const ackedLosses: string[] = [];
    let ackedUpdates = 0;
    for (const r of rooms) {
      // The room part of the URL may carry the query: `<syncUrl>/<room>?token=…`.
      const stored = await fetchDocument(
        (environment.nodes()[0] as (typeof nodes)[number]).syncUrl,
        reader === null ? r : `${r}?token=${reader}`,
      );
      const tokens = new Set(stored.getArray<string>('tokens').toArray());
      stored.destroy();
      for (const client of clients) {
        for (const doc of client.docs.filter((d) => d.room === r)) {
          ackedUpdates += doc.acked.size;
          for (const token of doc.acked) if (!tokens.has(token)) ackedLosses.push(`${r}/${token}`);
        }
      }
    }
    for (const loss of ackedLosses) violations.push(`NET-3: acked update ${loss} lost after restart`);

    return {
      scenario: environment.name,
      seed: options.seed,
      round: options.round,
      faults,
      edits,
      reconnects: reconnectMs.length,
      worstReconnectMs: Math.max(0, ...reconnectMs),
      takeovers,
      policyCloses,
      convergenceMs,
      ackedUpdates,
      ackedLosses,
      violations,
    };
  } finally {
    await release();
  }
}

/** One line per round: faults by kind, reconnects, policy closes, convergence, acked losses. */
export function formatRoundReport(report: RoundReport): string {
  const faults = Object.entries(report.faults)
    .map(([kind, n]) => `${kind}=${n}`)
    .join(' ');
  return (
    `[${report.scenario} seed=${report.seed} round=${report.round}] faults: ${faults}; edits=${report.edits}; ` +
    `reconnects=${report.reconnects} (worst ${report.worstReconnectMs} ms); takeovers(4409)=${report.takeovers}; ` +
    `policy closes=${report.policyCloses.length}; convergence=${report.convergenceMs === null ? 'FAILED' : `${report.convergenceMs} ms`}; ` +
    `acked updates=${report.ackedUpdates}, lost=${report.ackedLosses.length}` +
    (report.violations.length > 0 ? `\n  ${report.violations.slice(0, 20).join('\n  ')}` : '')
  );
}
