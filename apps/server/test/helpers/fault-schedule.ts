import type { ConnectionFault, Rng, ServerProcess } from '@tandem/test-utils';
import type { FaultLog } from './fault-checks.js';
import type { FaultClient } from './fault-clients.js';
import type { FaultEnvironment, NodeExit } from './fault-environments.js';

/** Every fault a schedule draws from: the proxy's connection faults plus lasting path conditions. */
export type ScheduledFaultKind = ConnectionFault['kind'] | 'latency' | 'bandwidth';

const FAULT_WEIGHTS: readonly [ScheduledFaultKind, number][] = [
  ['half-open', 4],
  ['reset', 2],
  ['stall', 2],
  ['drop-at-random-byte', 2],
  ['latency', 1],
  ['bandwidth', 1],
];

/** Zero of every kind. */
export function noFaults(): Record<ScheduledFaultKind, number> {
  return Object.fromEntries(FAULT_WEIGHTS.map(([kind]) => [kind, 0])) as Record<ScheduledFaultKind, number>;
}

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
export function every(
  endAt: number,
  delay: () => number,
  tick: () => void,
  timers: Set<NodeJS.Timeout>,
): Promise<void> {
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

/** What a schedule acts on and where it records what it did. */
export interface ScheduleContext {
  readonly rng: Rng;
  readonly clients: readonly FaultClient[];
  readonly environment: FaultEnvironment;
  readonly timers: Set<NodeJS.Timeout>;
  readonly faults: Record<ScheduledFaultKind, number>;
  readonly faultLog: FaultLog;
  /** Faults end here: no stall lasts past it. */
  readonly endAt: number;
}

/** A replaced node: which it was, how it exited, and its last log lines. */
export interface NodeReplacement {
  readonly victim: ServerProcess;
  readonly exit: NodeExit;
  readonly lastLines: string;
}

/** Draws faults from a seed and injects them into the clients' paths. */
export class FaultSchedule {
  /** Ports of nodes being drained: a load balancer has taken them out of rotation. */
  private readonly draining = new Set<number>();

  constructor(private readonly ctx: ScheduleContext) {}

  /** One seeded fault on one seeded client (nothing when the client is between connections). */
  inject(): void {
    const { rng, clients, faults, timers, endAt } = this.ctx;
    const client = rng.pick(clients);
    const kind = pickFault(rng);
    const now = Date.now();
    const isCondition = kind === 'latency' || kind === 'bandwidth';
    // A client between connections has nothing to cut (an armed fault would hit it later, untimed).
    if (!isCondition && client.proxy.connections().length === 0) return;
    faults[kind]++;
    this.log(client, now, kind);
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
    // In a cluster, half of the cuts send the reconnect to another node.
    const others = this.ports().filter((p) => p !== client.proxy.targetPort);
    if (kind !== 'stall' && others.length > 0 && rng.next() < 0.5) {
      client.proxy.retarget(rng.pick(others));
      this.log(client, now, `retarget to port ${client.proxy.targetPort}`);
    }
    const fault: ConnectionFault =
      kind === 'stall'
        ? { kind, ms: Math.max(1, Math.min(rng.int(200, 2_500), endAt - now)) }
        : kind === 'drop-at-random-byte'
          ? { kind, maxBytes: 4_000 }
          : { kind };
    client.timeline.markFault(now, fault.kind === 'stall' ? now + fault.ms : now);
    client.proxy.injectAll(fault);
  }

  /**
   * NET-7: a rolling restart of the node most clients are on. The proxies (the load balancer)
   * stop sending to it, one of its sessions goes half-open, and it is stopped with SIGTERM;
   * `onDrain` runs as the drain starts. A replacement joins on a new port.
   */
  async rollingRestart(
    replaceNode: (node: ServerProcess) => Promise<NodeExit>,
    onDrain: (victim: ServerProcess) => void,
  ): Promise<NodeReplacement> {
    const { rng, clients, faults, environment } = this.ctx;
    const current = environment.nodes();
    const load = (n: ServerProcess) =>
      clients.filter((c) => c.proxy.connections().some((x) => x.targetPort === n.port)).length;
    const victim = current.reduce((a, b) => (load(b) > load(a) ? b : a));
    const survivors = current.filter((n) => n !== victim).map((n) => n.port);
    const now = Date.now();
    this.draining.add(victim.port);
    onDrain(victim);
    let halfOpen = false;
    for (const client of clients) {
      const onVictim = client.proxy.connections().some((c) => c.targetPort === victim.port);
      if (client.proxy.targetPort === victim.port) client.proxy.retarget(rng.pick(survivors));
      if (!onVictim) continue;
      client.timeline.markFault(now);
      this.log(client, now, `its node (port ${victim.port}) restarted`);
      // One session on the draining node is half-open: it never answers the close (CONN-5).
      if (!halfOpen) {
        halfOpen = true;
        faults['half-open']++;
        client.proxy.injectAll({ kind: 'half-open' });
      }
    }
    const exit = await replaceNode(victim);
    return { victim, exit, lastLines: victim.process.lines.slice(-3).join('\n') };
  }

  private ports(): number[] {
    return this.ctx.environment
      .nodes()
      .map((n) => n.port)
      .filter((p) => !this.draining.has(p));
  }

  private log(client: FaultClient, at: number, what: string): void {
    const log = this.ctx.faultLog.get(client) ?? [];
    this.ctx.faultLog.set(client, log);
    log.push({ at, what });
  }
}
