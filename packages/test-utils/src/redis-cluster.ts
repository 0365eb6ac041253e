import { startProcess } from './child-process.js';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';

/** One node of a Redis Cluster as `CLUSTER NODES` describes it. */
export interface RedisClusterNodeInfo {
  readonly port: number;
  readonly role: 'master' | 'replica';
  /** Whether the cluster flags it as failed. */
  readonly failed: boolean;
  /** Slot ranges it serves, e.g. `[[0, 5460]]` (masters only). */
  readonly slots: readonly (readonly [number, number])[];
}

/** A Redis Cluster of masters with one replica each, on loopback ports. */
export interface RedisCluster {
  /** Every node, masters first (in the order `redis-cli --cluster create` was given them). */
  readonly servers: readonly RedisServer[];
  /** `host:port` of every node, as REDIS_CLUSTER_NODES lists them. */
  readonly seedAddresses: readonly string[];
  /** The topology as a live node sees it now. */
  nodes(): Promise<RedisClusterNodeInfo[]>;
  /** The live master serving `slot`. */
  masterOf(slot: number): Promise<RedisServer>;
  /**
   * Reshards one slot to the master on `toPort` the way `redis-cli --cluster reshard` does
   * (IMPORTING / MIGRATING, MIGRATE of its keys, then SETSLOT NODE on every master).
   */
  moveSlot(slot: number, toPort: number): Promise<void>;
  /** Stops every node and removes their directories. */
  stop(): Promise<void>;
}

/** Runs redis-cli with `args` and returns its output lines; rejects on a non-zero exit. */
export async function redisCli(args: readonly string[], timeoutMs = 20_000): Promise<string[]> {
  const cli = startProcess('redis-cli', args);
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), timeoutMs);
  const exit = await cli.exited;
  clearTimeout(timer);
  if (exit.code !== 0)
    throw new Error(`redis-cli ${args.join(' ')} failed (${exit.code ?? exit.signal}):\n${cli.lines.join('\n')}`);
  return cli.lines;
}

/**
 * Starts `masters` masters (default 3) and as many replicas, joins them with
 * `redis-cli --cluster create --cluster-replicas 1`, and waits until every node reports
 * `cluster_state:ok`. `nodeTimeoutMs` is how long a silent master takes to be failed over.
 */
export async function startRedisCluster(
  options: { masters?: number; nodeTimeoutMs?: number } = {},
): Promise<RedisCluster> {
  const count = (options.masters ?? 3) * 2;
  const servers: RedisServer[] = [];
  const args = [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    String(options.nodeTimeoutMs ?? 1_000),
    // A failover needs a replica that was in touch recently; on a loaded test machine be lenient.
    '--cluster-replica-validity-factor',
    '0',
  ];
  const stop = async () => {
    for (const server of servers) await server.stop();
  };
  try {
    for (let i = 0; i < count; i++) servers.push(await startRedisServer({ args }));
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    await redisCli(['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes']);
    for (const server of servers) {
      await waitFor(
        async () =>
          (await redisCli(['-p', String(server.port), 'cluster', 'info'])).some(
            (line) => line.trim() === 'cluster_state:ok',
          ),
        {
          what: `cluster_state:ok on ${server.port}`,
          timeoutMs: 20_000,
          intervalMs: 100,
        },
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const nodes = async (): Promise<RedisClusterNodeInfo[]> => {
    const live = servers.find((s) => s.process.child.exitCode === null && s.process.child.signalCode === null);
    if (live === undefined) throw new Error('no cluster node is running');
    const lines = await redisCli(['-p', String(live.port), 'cluster', 'nodes']);
    return lines
      .filter((line) => line.trim() !== '')
      .map((line) => {
        // <id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot> <slot> ...
        const [, address = '', flags = '', , , , , , ...slots] = line.trim().split(' ');
        const port = Number(address.split('@')[0]?.split(':')[1]);
        return {
          port,
          role: flags.includes('master') ? 'master' : 'replica',
          failed: flags.includes('fail'),
          slots: slots
            .filter((s) => !s.startsWith('['))
            .map((s) => {
              const [from, to = from] = s.split('-').map(Number);
              return [from ?? 0, to ?? 0] as const;
            }),
        } satisfies RedisClusterNodeInfo;
      });
  };
  const masterOf = async (slot: number): Promise<RedisServer> => {
    const info = (await nodes()).find(
      (n) => n.role === 'master' && !n.failed && n.slots.some(([from, to]) => slot >= from && slot <= to),
    );
    const server = servers.find((s) => s.port === info?.port);
    if (server === undefined) throw new Error(`no live master serves slot ${slot}`);
    return server;
  };
  return {
    servers,
    seedAddresses: servers.map((s) => `127.0.0.1:${s.port}`),
    nodes,
    masterOf,
    async moveSlot(slot, toPort) {
      const from = (await masterOf(slot)).port;
      const id = async (port: number) => (await redisCli(['-p', String(port), 'cluster', 'myid']))[0]?.trim() ?? '';
      const [fromId, toId] = [await id(from), await id(toPort)];
      const cli = (port: number, ...args: string[]) => redisCli(['-p', String(port), ...args]);
      await cli(toPort, 'cluster', 'setslot', String(slot), 'importing', fromId);
      await cli(from, 'cluster', 'setslot', String(slot), 'migrating', toId);
      // Bounded: the tests' clusters hold no keys (pub/sub only), so this is one round.
      for (let round = 0; round < 1_000; round++) {
        const keys = (await cli(from, 'cluster', 'getkeysinslot', String(slot), '100')).filter((k) => k !== '');
        if (keys.length === 0) break;
        await cli(from, 'migrate', '127.0.0.1', String(toPort), '', '0', '5000', 'keys', ...keys);
      }
      const masters = (await nodes()).filter((n) => n.role === 'master' && !n.failed).map((n) => n.port);
      for (const port of [toPort, from, ...masters.filter((p) => p !== toPort && p !== from)]) {
        await cli(port, 'cluster', 'setslot', String(slot), 'node', toId);
      }
    },
    stop,
  };
}
