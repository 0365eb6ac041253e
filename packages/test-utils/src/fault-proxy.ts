import { createServer, type Server, Socket } from 'node:net';
import { createRng, type Rng } from './rng.js';

/** A fault that ends or disturbs a connection at once. */
export type ConnectionFault =
  /** The client side is destroyed; the server side stays open and silent (no bytes, no FIN). */
  | { readonly kind: 'half-open' }
  /** Both sides are reset (RST) at once. */
  | { readonly kind: 'reset' }
  /** Nothing is forwarded for `ms`; then what was held is delivered, in order. */
  | { readonly kind: 'stall'; readonly ms: number }
  /** Forwards a random number of further bytes in [0, maxBytes] (both directions together), then resets. */
  | { readonly kind: 'drop-at-random-byte'; readonly maxBytes: number };

/** The kinds of {@link ConnectionFault}. */
export type ConnectionFaultKind = ConnectionFault['kind'];

/** A path's lasting conditions: per-chunk latency with jitter (order kept) and a bandwidth limit. */
export interface PathConditions {
  /** Added to every chunk, each direction. */
  readonly latencyMs?: number;
  /** A further random delay in [0, jitterMs] per chunk; chunks never overtake each other. */
  readonly jitterMs?: number;
  /** Bytes per second in each direction; unset or 0 is unlimited. */
  readonly bytesPerSecond?: number;
}

/** One client connection through the proxy. */
export interface FaultConnection {
  /** Sequential per proxy, from 1. */
  readonly id: number;
  /** When the proxy accepted it (Date.now()). */
  readonly acceptedAt: number;
  /** The port it was forwarded to (the proxy's target when it was accepted). */
  readonly targetPort: number;
  /** Bytes delivered to the server and to the client so far. */
  readonly bytesToServer: number;
  readonly bytesToClient: number;
  /** False once its client side is gone (half-open, reset, or closed by either end). */
  readonly open: boolean;
  /**
   * Injects `fault`; returns the byte offset chosen for `drop-at-random-byte` (bytes still
   * forwarded before the reset), else 0.
   */
  inject(fault: ConnectionFault): number;
  /** Replaces this connection's path conditions (overrides the proxy-wide ones). */
  setConditions(conditions: PathConditions): void;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Port on 127.0.0.1 that new connections are forwarded to (see {@link FaultProxy.retarget}). */
  readonly targetPort: number;
  /** Seed of every random choice (jitter, drop offsets); default 1. */
  readonly seed?: number;
}

/** A seeded loopback TCP proxy that injects network faults, per connection or for all. */
export interface FaultProxy {
  /** The port clients connect to instead of the target's. */
  readonly port: number;
  /** Where new connections go. */
  readonly targetPort: number;
  /** Connections accepted so far and whose client side is still open. */
  connections(): FaultConnection[];
  /** Connections accepted since the proxy started. */
  readonly accepted: number;
  /** Faults injected so far, by kind (counts each connection hit). */
  readonly injected: Readonly<Record<ConnectionFaultKind, number>>;
  /** Calls `listener` with every connection the proxy lets through from now on. */
  onConnection(listener: (connection: FaultConnection) => void): () => void;
  /**
   * Injects `fault` into every open connection; with none open, arms it for the next one (a
   * `drop-at-random-byte` then counts from that connection's first byte). Returns the connections hit.
   */
  injectAll(fault: ConnectionFault): number;
  /** Sets the proxy-wide path conditions (every connection without its own, and future ones). */
  setConditions(conditions: PathConditions): void;
  /** New connections go to `targetPort` from now on (e.g. another node); open ones stay where they are. */
  retarget(targetPort: number): void;
  /**
   * Partitions: from now on no byte passes in either direction and connections are not closed
   * (packets vanish, as on a broken network); new connections hang.
   */
  partition(): void;
  /** Heals a partition: connections that lived through it are reset; new ones pass normally. */
  heal(): void;
  readonly partitioned: boolean;
  close(): Promise<void>;
}

interface Delivery {
  readonly chunk: Buffer;
  readonly at: number;
}

/** One direction of a connection: a queue that delivers chunks in order at their due times. */
class Pipe {
  private readonly queue: Delivery[] = [];
  private lastDueAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  stalledUntil = 0;

  constructor(
    private readonly rng: Rng,
    private readonly conditions: () => PathConditions,
    private readonly deliver: (chunk: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    const { latencyMs = 0, jitterMs = 0, bytesPerSecond = 0 } = this.conditions();
    const now = Date.now();
    if (this.queue.length === 0 && now >= this.stalledUntil && latencyMs === 0 && jitterMs === 0 && !bytesPerSecond) {
      this.lastDueAt = now;
      this.deliver(chunk);
      return;
    }
    const jitter = jitterMs > 0 ? this.rng.next() * jitterMs : 0;
    const start = Math.max(now + latencyMs + jitter, this.lastDueAt);
    const due = bytesPerSecond > 0 ? start + (chunk.byteLength * 1000) / bytesPerSecond : start;
    this.lastDueAt = due;
    this.queue.push({ chunk, at: due });
    this.schedule();
  }

  stall(ms: number): void {
    this.stalledUntil = Math.max(this.stalledUntil, Date.now() + ms);
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const head = this.queue[0];
    if (head === undefined) return;
    const wait = Math.max(head.at, this.stalledUntil) - Date.now();
    this.timer = setTimeout(() => this.flush(), Math.max(0, wait));
  }

  private flush(): void {
    this.timer = undefined;
    const now = Date.now();
    while (now >= this.stalledUntil) {
      const head = this.queue[0];
      if (head === undefined || head.at > now) break;
      this.queue.shift();
      this.deliver(head.chunk);
    }
    this.schedule();
  }
}

type Phase = 'open' | 'half-open' | 'closed';

/** Starts a fault proxy on 127.0.0.1 in front of 127.0.0.1:`targetPort`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const rng = createRng(options.seed ?? 1);
  let targetPort = options.targetPort;
  let shared: PathConditions = {};
  let partitioned = false;
  let accepted = 0;
  let armed: ConnectionFault | null = null;
  const injected: Record<ConnectionFaultKind, number> = {
    'half-open': 0,
    reset: 0,
    stall: 0,
    'drop-at-random-byte': 0,
  };
  const live = new Set<ProxiedConnection>();
  const listeners = new Set<(connection: FaultConnection) => void>();

  class ProxiedConnection implements FaultConnection {
    readonly id = ++accepted;
    readonly acceptedAt = Date.now();
    readonly targetPort = targetPort;
    bytesToServer = 0;
    bytesToClient = 0;
    phase: Phase = 'open';
    /** Lived through a partition: bytes were lost on it, so it is reset at heal. */
    tainted = partitioned;
    private own: PathConditions | null = null;
    private dropBudget: number | null = null;
    private readonly toServer: Pipe;
    private readonly toClient: Pipe;

    constructor(
      readonly client: Socket,
      readonly upstream: Socket | null,
    ) {
      const conditions = () => this.own ?? shared;
      this.toServer = new Pipe(rng, conditions, (chunk) => this.forward(chunk, 'server'));
      this.toClient = new Pipe(rng, conditions, (chunk) => this.forward(chunk, 'client'));
    }

    get open(): boolean {
      return this.phase === 'open';
    }

    fromClient(chunk: Buffer): void {
      if (this.phase === 'open' && !partitioned && this.upstream !== null) this.toServer.push(chunk);
    }

    fromServer(chunk: Buffer): void {
      // Half-open: the server's bytes are read (so its close is still seen) and go nowhere.
      if (this.phase === 'open' && !partitioned) this.toClient.push(chunk);
    }

    inject(fault: ConnectionFault): number {
      if (this.phase !== 'open') return 0;
      injected[fault.kind]++;
      switch (fault.kind) {
        case 'half-open':
          this.phase = 'half-open';
          this.stopPipes();
          this.client.destroy();
          if (this.upstream === null) this.phase = 'closed';
          return 0;
        case 'reset':
          this.reset();
          return 0;
        case 'stall':
          this.toServer.stall(fault.ms);
          this.toClient.stall(fault.ms);
          return 0;
        case 'drop-at-random-byte': {
          const offset = rng.int(0, fault.maxBytes);
          this.dropBudget = offset;
          if (offset === 0) this.reset();
          return offset;
        }
      }
    }

    setConditions(conditions: PathConditions): void {
      this.own = conditions;
    }

    /** Both sides destroyed abruptly (RST where the socket allows it). */
    reset(): void {
      if (this.phase === 'closed') return;
      this.phase = 'closed';
      live.delete(this);
      this.stopPipes();
      resetSocket(this.client);
      if (this.upstream !== null) resetSocket(this.upstream);
    }

    /** One end closed: the other is closed too (a half-open connection's server side ends here). */
    ended(): void {
      if (this.phase === 'closed') return;
      this.phase = 'closed';
      live.delete(this);
      this.stopPipes();
      this.client.destroy();
      this.upstream?.destroy();
    }

    private forward(chunk: Buffer, to: 'server' | 'client'): void {
      if (this.phase !== 'open') return;
      let part = chunk;
      const budget = this.dropBudget;
      if (budget !== null && budget < chunk.byteLength) part = chunk.subarray(0, budget);
      if (part.byteLength > 0) {
        if (to === 'server') {
          this.bytesToServer += part.byteLength;
          this.upstream?.write(part);
        } else {
          this.bytesToClient += part.byteLength;
          this.client.write(part);
        }
      }
      if (budget !== null) {
        this.dropBudget = budget - part.byteLength;
        if (this.dropBudget <= 0) this.reset();
      }
    }

    private stopPipes(): void {
      this.toServer.stop();
      this.toClient.stop();
    }
  }

  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (partitioned) {
      // A connection attempt during a partition hangs: its bytes go nowhere.
      const connection = new ProxiedConnection(client, null);
      live.add(connection);
      client.on('data', () => {});
      client.on('close', () => connection.ended());
      return;
    }
    const upstream = new Socket();
    const connection = new ProxiedConnection(client, upstream);
    live.add(connection);
    upstream.on('error', () => connection.ended());
    upstream.on('close', () => connection.ended());
    client.on('close', () => {
      if (connection.phase === 'open') connection.ended();
    });
    client.on('data', (chunk: Buffer) => connection.fromClient(chunk));
    upstream.on('data', (chunk: Buffer) => connection.fromServer(chunk));
    upstream.connect(targetPort, '127.0.0.1');
    if (armed !== null) {
      const fault = armed;
      armed = null;
      connection.inject(fault);
    }
    for (const listener of listeners) listener(connection);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');

  return {
    port: address.port,
    get targetPort() {
      return targetPort;
    },
    get accepted() {
      return accepted;
    },
    injected,
    get partitioned() {
      return partitioned;
    },
    connections: () => [...live].filter((c) => c.open),
    onConnection(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    injectAll(fault) {
      const open = [...live].filter((c) => c.open);
      if (open.length === 0) {
        armed = fault;
        return 0;
      }
      for (const connection of open) connection.inject(fault);
      return open.length;
    },
    setConditions(conditions) {
      shared = conditions;
    },
    retarget(port) {
      targetPort = port;
    },
    partition() {
      partitioned = true;
      // Existing connections now silently lose bytes; from here they can never be trusted again.
      for (const connection of live) connection.tainted = true;
    },
    heal() {
      partitioned = false;
      for (const connection of [...live]) if (connection.tainted) connection.ended();
    },
    async close() {
      for (const connection of [...live]) connection.ended();
      listeners.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  // resetAndDestroy needs a connected TCP handle; a socket still connecting is simply destroyed.
  if (socket.readyState === 'open' || socket.readyState === 'readOnly' || socket.readyState === 'writeOnly') {
    socket.resetAndDestroy();
  } else {
    socket.destroy();
  }
}
