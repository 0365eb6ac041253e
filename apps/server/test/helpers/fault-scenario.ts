import { createRng, type FaultProxy, startFaultProxy, waitFor } from '@tandem/test-utils';
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
import { FAULT_SERVER_ENV, type FaultEnvironment, type NodeExit } from './fault-environments.js';
import { every, FaultSchedule, type NodeReplacement, noFaults, type ScheduledFaultKind } from './fault-schedule.js';
import { fetchDocument } from './tandem-writer.js';
import { signToken } from './tokens.js';

/** Long-lived on purpose: a token valid for 400 days must not be closed early (AUTH-5). */
const TOKEN_LIFETIME_S = 400 * 24 * 3600;

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
  /** Nodes replaced by a rolling restart during the faults (NET-7). */
  readonly nodeRestarts: NodeExit[];
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
  /** Replace one node gracefully (SIGTERM) midway, where the environment can (NET-7). */
  readonly restartNode?: boolean;
}

const CONVERGENCE_BOUND_MS = 5_000;
const RECONNECT_BOUND_MS = 2_000;
/** Server-side close of a session its own client has replaced (the stale half of a takeover). */
const TAKEOVER_CODE = 4409;
/** CONN-5: a node exits by SHUTDOWN_TIMEOUT_MS plus 1 s; one more second for a loaded machine. */
const NODE_EXIT_BOUND_MS = Number(FAULT_SERVER_ENV.SHUTDOWN_TIMEOUT_MS) + 2_000;

/**
 * One round: clients of every kind, each behind its own seeded fault proxy, edit while a seeded
 * schedule injects faults; then the NET-2…NET-6 checks. The servers are restarted at the end
 * (NET-3), so the next round starts on fresh processes.
 */
export async function runFaultRound(environment: FaultEnvironment, options: RoundOptions): Promise<RoundReport> {
  // Separate streams: the fault schedule draws the same sequence whatever the edits' timers do.
  const rng = createRng(options.seed * 1_000 + options.round);
  const faultRng = createRng(rng.int(1, 2 ** 31));
  const editRng = createRng(rng.int(1, 2 ** 31));
  const room = `net-${environment.name}-${options.seed}-${options.round}`;
  const rooms = [room, `${room}-side`];
  const nodes = environment.nodes();
  const secret = environment.secret;
  // With authentication every client is its own user: a takeover needs the same subject (YJS-5).
  const tokenFor = (sub: string) =>
    secret === null ? Promise.resolve(null) : signToken({ secret, sub, name: sub, expiresIn: TOKEN_LIFETIME_S });
  const reader = await tokenFor('reader');
  const readerParams: Record<string, string> = reader === null ? {} : { token: reader };
  // Log lines of this round: every node's, from where it stood at the start (replacements: all).
  const lineStart = new Map(nodes.map((n) => [n, n.process.lines.length]));
  const retiredObservers = new Set<number>();
  const replacements: NodeReplacement[] = [];
  const violations: string[] = [];
  const faults = noFaults();
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
          // An observer whose node is being replaced is no longer fault-free.
          if (retiredObservers.has(observerIndex)) return;
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

    const startedAt = Date.now();
    const endAt = startedAt + options.durationMs;
    const schedule = new FaultSchedule({ rng: faultRng, clients, environment, timers, faults, faultLog, endAt });
    const replaceNode = environment.replaceNode;
    const restartAt = startedAt + faultRng.int(Math.floor(options.durationMs / 3), Math.floor(options.durationMs / 2));
    const restarted =
      options.restartNode === true && replaceNode !== null
        ? new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => {
              timers.delete(timer);
              schedule
                .rollingRestart(replaceNode, (victim) => {
                  // An observer whose node is being replaced is no longer fault-free.
                  const observerIndex = nodes.indexOf(victim);
                  if (observerIndex >= 0) retiredObservers.add(observerIndex);
                })
                .then((replacement) => {
                  replacements.push(replacement);
                  for (const node of environment.nodes()) if (!lineStart.has(node)) lineStart.set(node, 0);
                  resolve();
                }, reject);
            }, restartAt - Date.now());
            timers.add(timer);
          })
        : Promise.resolve();
    await Promise.all([
      restarted,
      every(
        endAt,
        () => faultRng.int(150, 600),
        () => schedule.inject(),
        timers,
      ),
      ...clients.map((client) =>
        every(
          endAt,
          () => editRng.int(40, 200),
          () => {
            client.edit(editRng);
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
    const joiners = environment
      .nodes()
      .flatMap((n) => rooms.map((r) => ({ room: r, client: connectStockClient(n.syncUrl, r, readerParams) })));
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
      const down = clients
        .filter((c) => !c.timeline.up)
        .map((c) => {
          const last = c.closes.at(-1);
          const recent = (faultLog.get(c) ?? []).slice(-3).map((f) => `${f.what} ${Date.now() - f.at} ms ago`);
          return (
            `${c.name} (proxy to port ${c.proxy.targetPort}, ${c.proxy.connections().length} open, ${c.proxy.accepted} accepted; ` +
            `last close ${last === undefined ? 'none' : `${last.code} ${Date.now() - last.at} ms ago`}; faults: ${recent.join(', ')})`
          );
        });
      const unsyncedJoiners = joiners.filter((j) => !j.client.provider.synced).length;
      const nodeStates = [...lineStart.keys()].map((n) => {
        const { exitCode, signalCode } = n.process.child;
        return `port ${n.port}: ${exitCode === null && signalCode === null ? 'running' : `exited ${exitCode ?? signalCode}`}`;
      });
      violations.push(`NET-2: nodes: ${nodeStates.join(', ')}`);
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
    for (const [node, start] of lineStart) {
      for (const close of serverCloses(node.process.lines.slice(start))) {
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

    // NET-7: the replaced node drained by its deadline and exited cleanly.
    for (const { exit, lastLines } of replacements) {
      if (exit.code !== 0 || exit.exitMs > NODE_EXIT_BOUND_MS) {
        violations.push(
          `NET-7: a node stopped with SIGTERM exited ${exit.code ?? exit.signal} after ${exit.exitMs} ms (bound ${NODE_EXIT_BOUND_MS} ms, exit 0); its last log lines:\n${lastLines}`,
        );
      }
    }

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
      nodeRestarts: replacements.map((r) => r.exit),
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
    (report.nodeRestarts.length > 0
      ? `; node restarts: ${report.nodeRestarts.map((e) => `exit ${e.code ?? e.signal} after ${e.exitMs} ms`).join(', ')}`
      : '') +
    (report.violations.length > 0 ? `\n  ${report.violations.slice(0, 20).join('\n  ')}` : '')
  );
}
