import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningProcess } from '@tandem/test-utils';
import { type ServerProcess, startServerProcess } from '@tandem/test-utils';
import { type Cluster, startCluster } from './cluster.js';

/**
 * Server timings short enough that stale sessions are really reaped during a fault run: a
 * half-open session misses a heartbeat within about 2 s, presence of a dead node within 3 s.
 */
export const FAULT_SERVER_ENV: Record<string, string> = {
  HEARTBEAT_INTERVAL_MS: '1000',
  AWARENESS_TIMEOUT_MS: '3000',
  SHUTDOWN_TIMEOUT_MS: '3000',
  LOG_LEVEL: 'info',
};

/** How a gracefully stopped node ended: time from SIGTERM to exit, and its exit code. */
export interface NodeExit {
  readonly exitMs: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** The server side of a fault scenario: one node or a cluster, restartable on the same data. */
export interface FaultEnvironment {
  /** 'single' (SQLite) or 'cluster' (two nodes, Redis + Postgres). */
  readonly name: string;
  /** The HS256 secret clients sign their tokens with; null in open mode. */
  readonly secret: string | null;
  /** The running server processes. */
  nodes(): readonly ServerProcess[];
  /** SIGKILLs every node and starts as many again on the same data (acked means durable). */
  restart(): Promise<void>;
  /**
   * A rolling deploy of one node: SIGTERM, wait for its exit, a replacement on a new port takes
   * its place in {@link nodes}. Null where there is no other node to serve meanwhile.
   */
  readonly replaceNode: ((node: ServerProcess) => Promise<NodeExit>) | null;
  stop(): Promise<void>;
}

/** One server process with SQLite in a temporary directory. */
export async function startSingleNodeEnvironment(env: Record<string, string> = {}): Promise<FaultEnvironment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-faults-'));
  const launch = () => startServerProcess({ ...FAULT_SERVER_ENV, ...env, DATA_DIR: dataDir });
  let node = await launch();
  return {
    name: 'single',
    secret: env.AUTH_SECRET ?? null,
    nodes: () => [node],
    async restart() {
      await node.process.stop('SIGKILL');
      node = await launch();
    },
    replaceNode: null,
    async stop() {
      await node.process.stop('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Two server nodes sharing real Redis and Postgres. */
export async function startClusterEnvironment(env: Record<string, string> = {}): Promise<FaultEnvironment> {
  const cluster: Cluster = await startCluster({ nodes: 2, env: { ...FAULT_SERVER_ENV, ...env } });
  const processes = (): RunningProcess[] => cluster.nodes.map((n) => n.server.process);
  return {
    name: 'cluster',
    secret: env.AUTH_SECRET ?? null,
    nodes: () => cluster.nodes.map((n) => n.server),
    async restart() {
      const count = cluster.nodes.length;
      for (const process of processes()) await process.stop('SIGKILL');
      cluster.nodes.splice(0);
      for (let i = 0; i < count; i++) await cluster.addNode();
    },
    async replaceNode(node) {
      const old = cluster.nodes.find((n) => n.server === node);
      if (old === undefined) throw new Error(`no running node on port ${node.port}`);
      const startedAt = Date.now();
      const exit = await node.process.stop('SIGTERM', 20_000);
      const exitMs = Date.now() - startedAt;
      // Added before the old one leaves the list: node ids count the list, and must stay unique.
      await cluster.addNode();
      cluster.nodes.splice(cluster.nodes.indexOf(old), 1);
      return { exitMs, ...exit };
    },
    stop: () => cluster.stop(),
  };
}
