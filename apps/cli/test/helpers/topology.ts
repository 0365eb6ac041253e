import { readFileSync } from 'node:fs';
import {
  type PostgresServer,
  type RedisServer,
  type RunningProcess,
  startPostgres,
  startRedisServer,
  startServerProcess,
} from '@tandem/test-utils';
import { type NginxProcess, startNginx } from './nginx.js';

export { createMultiplexedConnection, type TandemProvider, type WebSocketConstructor } from '@tandem/client';
/** An HS256 JWT as the server verifies it (AUTH_SECRET): the caller sets `sub`, `aud`, `exp`, `docs`. */
export { signHs256Token as signToken, waitFor } from '@tandem/test-utils';
export { default as WebSocket } from 'ws';

/** The uncommented `KEY=value` settings of an env file such as `.env.example` (empty values dropped). */
export function readEnvFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined && match[2] !== '') env[match[1]] = match[2];
  }
  return env;
}

/** One Tandem node of the native topology. */
export interface TopologyNode {
  readonly id: string;
  readonly port: number;
  readonly process: RunningProcess;
  /** Sessions this node opened for `room` (from its `session opened` log lines). */
  sessionsFor(room: string): number;
  /** Multiplexed connections this node accepted. */
  muxConnections(): number;
}

/** Redis, Postgres, two nodes and nginx in front, as docker-compose.yml describes, on loopback ports. */
export interface Topology {
  readonly redis: RedisServer;
  readonly postgres: PostgresServer;
  readonly nodes: readonly TopologyNode[];
  readonly nginx: NginxProcess;
  /** `ws://127.0.0.1:NGINX_PORT/sync` */
  readonly syncUrl: string;
  stop(): Promise<void>;
}

function logged(process: RunningProcess, msg: string, room?: string): number {
  let count = 0;
  for (const line of process.lines) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; room?: string };
      if (entry.msg === msg && (room === undefined || entry.room === room)) count++;
    } catch {
      // not a log line
    }
  }
  return count;
}

/**
 * Starts the compose topology natively: the nodes get `settings` (e.g. `.env.example`'s) plus what
 * compose sets per node (NODE_ID tandem-N, REDIS_URL, DATABASE_URL, TRUSTED_PROXIES = nginx's
 * address), and nginx runs `nginxTemplate` rendered with the nodes' loopback ports.
 */
export async function startTopology(nginxTemplate: string, settings: Record<string, string>): Promise<Topology> {
  const [redis, postgres] = await Promise.all([startRedisServer(), startPostgres()]);
  const nodes: TopologyNode[] = [];
  let nginx: NginxProcess | undefined;
  const stop = async () => {
    await nginx?.stop();
    for (const node of nodes) await node.process.stop('SIGKILL');
    await redis.stop();
    await postgres.stop();
  };
  try {
    for (const id of ['tandem-1', 'tandem-2']) {
      const { port, process } = await startServerProcess({
        ...settings,
        NODE_ID: id,
        REDIS_URL: redis.url,
        DATABASE_URL: postgres.url,
        TRUSTED_PROXIES: '127.0.0.1',
        WEB_DIR: 'none',
      });
      nodes.push({
        id,
        port,
        process,
        sessionsFor: (room) => logged(process, 'session opened', room),
        muxConnections: () => logged(process, 'multiplexed connection opened'),
      });
    }
    nginx = await startNginx(nginxTemplate, {
      TANDEM_NODE_1: `127.0.0.1:${nodes[0]?.port}`,
      TANDEM_NODE_2: `127.0.0.1:${nodes[1]?.port}`,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { redis, postgres, nodes, nginx, syncUrl: `ws://127.0.0.1:${nginx.port}/sync`, stop };
}
