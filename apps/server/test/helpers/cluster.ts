import {
  type PostgresServer,
  type RedisServer,
  type ServerProcess,
  startPostgres,
  startRedisServer,
  startServerProcess,
  startTcpProxy,
  type TcpProxy,
} from '@tandem/test-utils';
import pg from 'pg';
import * as Y from 'yjs';
import { openPostgresDocStore } from '../../src/storage/postgres-doc-store.js';

/** Timings shortened for tests (documented in README "Scaling"): outages are noticed and healed in about a second. */
export const FAST_CLUSTER_ENV: Record<string, string> = {
  RETRY_MIN_MS: '50',
  RETRY_MAX_MS: '500',
  DEPENDENCY_PROBE_MS: '300',
  LOG_LEVEL: 'info',
};

/** One cluster node: a server process, and the proxy in front of its Redis when it has one. */
export interface ClusterNode {
  readonly server: ServerProcess;
  readonly proxy: TcpProxy | null;
}

/** Redis, Postgres and server processes started together; `stop()` stops everything it started. */
export interface Cluster {
  readonly redis: RedisServer;
  readonly postgres: PostgresServer;
  readonly databaseUrl: string;
  readonly nodes: ClusterNode[];
  /** Starts one more node; `proxied` routes its Redis connections through a pausable proxy. */
  addNode(options?: { proxied?: boolean; env?: Record<string, string> }): Promise<ClusterNode>;
  /** Replaces the Redis server by a fresh one on the same port (after a SHUTDOWN). */
  restartRedis(): Promise<void>;
  /** Reads a document straight from Postgres, the way a node loads it. */
  storedDoc(room: string): Promise<Y.Doc>;
  stop(): Promise<void>;
}

/** Starts redis-server, postgres (with a fresh database) and `nodes` server processes. */
export async function startCluster(
  options: {
    nodes?: number;
    proxied?: number[];
    env?: Record<string, string>;
    /** The nodes' Redis settings instead of REDIS_URL of the cluster's own server (a Sentinel set, a Redis Cluster). */
    redisEnv?: Record<string, string>;
    /** The nodes' DATABASE_URL instead of the cluster's own Postgres (a primary with a standby). */
    databaseUrl?: string;
  } = {},
): Promise<Cluster> {
  const [redis, postgres] = await Promise.all([startRedisServer(), startPostgres()]);
  let currentRedis = redis;
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query('CREATE DATABASE tandem');
  await admin.end();
  const databaseUrl = options.databaseUrl ?? postgres.urlFor('tandem');
  const nodes: ClusterNode[] = [];
  const proxies: TcpProxy[] = [];

  const addNode = async (nodeOptions: { proxied?: boolean; env?: Record<string, string> } = {}) => {
    const proxy = nodeOptions.proxied ? await startTcpProxy(currentRedis.port) : null;
    if (proxy !== null) proxies.push(proxy);
    const redisPort = proxy?.port ?? currentRedis.port;
    const server = await startServerProcess({
      ...FAST_CLUSTER_ENV,
      ...options.env,
      ...nodeOptions.env,
      NODE_ID: `node-${nodes.length + 1}`,
      ...(options.redisEnv ?? { REDIS_URL: `redis://127.0.0.1:${redisPort}` }),
      DATABASE_URL: databaseUrl,
    });
    const node = { server, proxy };
    nodes.push(node);
    return node;
  };
  try {
    for (let i = 0; i < (options.nodes ?? 3); i++) await addNode({ proxied: options.proxied?.includes(i) ?? false });
  } catch (err) {
    for (const node of nodes) await node.server.process.stop('SIGKILL');
    await redis.stop();
    await postgres.stop();
    throw err;
  }

  return {
    get redis() {
      return currentRedis;
    },
    postgres,
    databaseUrl,
    nodes,
    addNode,
    async restartRedis() {
      await currentRedis.stop();
      currentRedis = await startRedisServer({ port: currentRedis.port });
    },
    async storedDoc(room) {
      const store = openPostgresDocStore({ url: databaseUrl });
      try {
        const stored = await store.load(room);
        const doc = new Y.Doc();
        if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot);
        for (const { update } of stored.updates) Y.applyUpdate(doc, update);
        return doc;
      } finally {
        await store.close();
      }
    },
    async stop() {
      for (const node of nodes.splice(0)) await node.server.process.stop('SIGKILL');
      for (const proxy of proxies.splice(0)) await proxy.close();
      await currentRedis.stop();
      await postgres.stop();
    },
  };
}

/** GET /readyz of a node: its status code and the per-dependency checks. */
export async function readiness(
  httpUrl: string,
): Promise<{ status: number; checks: { store: string; fanout: string } }> {
  const response = await fetch(`${httpUrl}/readyz`);
  const body = (await response.json()) as { checks: { store: string; fanout: string } };
  return { status: response.status, checks: body.checks };
}
