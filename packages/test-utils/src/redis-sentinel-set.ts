import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';

/** One master, its replicas and the sentinels watching them, all on loopback ports. */
export interface RedisSentinelSet {
  /** The master group name the sentinels monitor. */
  readonly masterName: string;
  /** The Redis servers: the first started as master, the others as its replicas. */
  readonly servers: readonly RedisServer[];
  readonly sentinels: readonly RedisServer[];
  /** `host:port` of every sentinel, as REDIS_SENTINELS lists them. */
  readonly sentinelAddresses: readonly string[];
  /** The server the sentinels last announced as master (the first one until a switch). */
  currentMaster(): Promise<RedisServer>;
  /** Stops every process and removes their directories. */
  stop(): Promise<void>;
}

/** Options for {@link startRedisSentinelSet}. */
export interface RedisSentinelSetOptions {
  readonly replicas?: number;
  readonly sentinels?: number;
  /** How long a master must not answer before a sentinel thinks it is down (default 1000 ms). */
  readonly downAfterMs?: number;
  /** `requirepass` (and `masterauth`) of the data nodes; the sentinels get it as `auth-pass`. */
  readonly password?: string;
  /** `requirepass` of the sentinels themselves. */
  readonly sentinelPassword?: string;
}

const MASTER = 'tandem-master';

/**
 * Starts a master, `replicas` replicas (default 1) and `sentinels` sentinels (default 3, quorum
 * a majority), and waits until every sentinel knows the replicas and the other sentinels, so that
 * a failover can start as soon as the master dies.
 */
export async function startRedisSentinelSet(options: RedisSentinelSetOptions = {}): Promise<RedisSentinelSet> {
  const started: RedisServer[] = [];
  const servers: RedisServer[] = [];
  const sentinels: RedisServer[] = [];
  const sentinelCount = options.sentinels ?? 3;
  try {
    const auth =
      options.password === undefined ? [] : ['--requirepass', options.password, '--masterauth', options.password];
    const master = await startRedisServer({ args: auth });
    started.push(master);
    servers.push(master);
    for (let i = 0; i < (options.replicas ?? 1); i++) {
      const replica = await startRedisServer({ args: [...auth, '--replicaof', '127.0.0.1', String(master.port)] });
      started.push(replica);
      servers.push(replica);
      await replica.process.waitForLine(/MASTER <-> REPLICA sync: Finished with success/, 10_000);
    }
    for (let i = 0; i < sentinelCount; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'tandem-sentinel-'));
      const sentinel = await startRedisServer({
        dir,
        args: ['--sentinel'],
        readyLine: /\+monitor master/,
        configFile: sentinelConfig(dir, master.port, sentinelCount, options),
      });
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    // Sentinels find each other through hello messages on the master (every 2 s) and the replicas through its INFO.
    for (const sentinel of sentinels) {
      await waitFor(
        () =>
          sentinel.process.lines.filter((l) => l.includes('+sentinel sentinel')).length >= sentinelCount - 1 &&
          sentinel.process.lines.filter((l) => l.includes('+slave slave')).length >= servers.length - 1,
        { what: 'every sentinel to know the replicas and the other sentinels', timeoutMs: 20_000, intervalMs: 50 },
      );
    }
  } catch (err) {
    for (const server of started) await server.stop();
    throw err;
  }
  return {
    masterName: MASTER,
    servers,
    sentinels,
    sentinelAddresses: sentinels.map((s) => `127.0.0.1:${s.port}`),
    async currentMaster() {
      // The sentinel that led the failover logs the switch first; any one that logged it knows the new master.
      const switched = sentinels
        .flatMap((sentinel) => sentinel.process.lines.filter((l) => l.includes('+switch-master')))
        .at(-1);
      const port = switched === undefined ? servers[0]?.port : Number(switched.trim().split(' ').at(-1));
      const server = servers.find((s) => s.port === port);
      if (server === undefined) throw new Error(`no known server on port ${port} is the master`);
      return server;
    },
    async stop() {
      for (const server of [...sentinels, ...servers]) await server.stop();
    },
  };
}

/** A sentinel's configuration file in its directory (Sentinel rewrites it, so it must be a file of its own). */
function sentinelConfig(dir: string, masterPort: number, sentinels: number, options: RedisSentinelSetOptions): string {
  const file = join(dir, 'sentinel.conf');
  writeFileSync(
    file,
    [
      `sentinel monitor ${MASTER} 127.0.0.1 ${masterPort} ${Math.floor(sentinels / 2) + 1}`,
      `sentinel down-after-milliseconds ${MASTER} ${options.downAfterMs ?? 1_000}`,
      // A failover attempt that stalls (split votes, a slow host) is retried after twice this: keep it short.
      `sentinel failover-timeout ${MASTER} 3000`,
      `sentinel parallel-syncs ${MASTER} 1`,
      ...(options.password === undefined ? [] : [`sentinel auth-pass ${MASTER} ${options.password}`]),
      // Sentinels talk to each other with the same password they require.
      ...(options.sentinelPassword === undefined
        ? []
        : [`requirepass ${options.sentinelPassword}`, `sentinel sentinel-pass ${options.sentinelPassword}`]),
      '',
    ].join('\n'),
  );
  return file;
}
