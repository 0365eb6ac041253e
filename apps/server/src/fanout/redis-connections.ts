import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisClient, RedisFanoutRole, RedisPubSubMode } from './redis-fanout.js';

/** A host and port, as REDIS_SENTINELS and REDIS_CLUSTER_NODES list them. */
export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

/** Credentials of the Redis data nodes (the user and password a `redis://` URL would carry). */
export interface RedisCredentials {
  readonly username: string | null;
  readonly password: string | null;
}

/** Where the fan-out's Redis is: one server, a Sentinel-managed master, or a cluster. */
export type RedisTopology =
  | { readonly kind: 'single'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly RedisAddress[];
      readonly masterName: string;
      readonly credentials: RedisCredentials;
      /** Password of the sentinels themselves (`requirepass` in sentinel.conf), when they have one. */
      readonly sentinelPassword: string | null;
    }
  | { readonly kind: 'cluster'; readonly nodes: readonly RedisAddress[]; readonly credentials: RedisCredentials };

/** How the fan-out connects to `topology`: its connection factory and its pub/sub mode. */
export interface RedisConnector {
  readonly connect: (role: RedisFanoutRole, clientOptions: RedisOptions) => RedisClient;
  readonly pubsub: RedisPubSubMode;
}

const auth = (credentials: RedisCredentials) => ({
  ...(credentials.username === null ? {} : { username: credentials.username }),
  ...(credentials.password === null ? {} : { password: credentials.password }),
});

/**
 * The fan-out's connections for a topology, using ioredis's own Sentinel and Cluster support
 * (HA-1, HA-3): the fan-out's options (no offline queue, no auto-resubscribe, its backoff) carry
 * over to every connection, and a cluster gets sharded pub/sub.
 */
export function redisConnector(topology: RedisTopology): RedisConnector {
  switch (topology.kind) {
    case 'single':
      return { pubsub: 'classic', connect: (_role, options) => new Redis(topology.url, options) };
    case 'sentinel':
      return {
        pubsub: 'classic',
        connect: (_role, options) =>
          new Redis({
            ...options,
            ...auth(topology.credentials),
            sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
            name: topology.masterName,
            ...(topology.sentinelPassword === null ? {} : { sentinelPassword: topology.sentinelPassword }),
            // Ask the sentinels again with the same backoff as the data connection.
            ...(options.retryStrategy == null ? {} : { sentinelRetryStrategy: options.retryStrategy }),
            // No failoverDetector: Sentinel itself kills the clients of a demoted master (CLIENT KILL after
            // REPLICAOF), and ioredis checks the role of whatever it reconnects to. The detector only added a
            // second, racing disconnect when a sentinel announced the switch after the client had moved.
          }),
      };
    case 'cluster':
      return {
        pubsub: 'sharded',
        connect: (role, options) =>
          new Cluster(
            topology.nodes.map(({ host, port }) => ({ host, port })),
            {
              enableOfflineQueue: false,
              enableAutoPipelining: options.enableAutoPipelining ?? false,
              // One subscriber connection per master, each holding the channels of its slots.
              shardedSubscribers: role === 'subscriber',
              ...(options.retryStrategy == null ? {} : { clusterRetryStrategy: options.retryStrategy }),
              redisOptions: {
                ...auth(topology.credentials),
                connectTimeout: options.connectTimeout,
                maxRetriesPerRequest: options.maxRetriesPerRequest,
                autoResubscribe: false,
                ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
              },
            },
          ),
      };
  }
}

/** The topology in one line for the startup banner; `redact` hides a URL's password. */
export function describeRedisTopology(topology: RedisTopology, redact: (url: string) => string): string {
  const list = (addresses: readonly RedisAddress[]) => addresses.map(({ host, port }) => `${host}:${port}`).join(',');
  switch (topology.kind) {
    case 'single':
      return `Redis ${redact(topology.url)}`;
    case 'sentinel':
      return `Redis Sentinel master ${JSON.stringify(topology.masterName)} via ${list(topology.sentinels)}`;
    case 'cluster':
      return `Redis Cluster via ${list(topology.nodes)} (sharded pub/sub)`;
  }
}
