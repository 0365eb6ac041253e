import { type RedisCluster, startRedisCluster, waitFor } from '@tandem/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { describeFanoutContract } from './fanout.contract.js';
import { redisConnector } from './redis-connections.js';
import { createRedisFanout } from './redis-fanout.js';

// One real three-master Redis Cluster for the file; the fan-outs use sharded pub/sub (HA-3) on a
// channel prefix per contract case, so a case never sees another's messages.
let cluster: RedisCluster;
let cases = 0;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describeFanoutContract('redis cluster, sharded pub/sub (three nodes in one process, three masters)', async () => {
  const prefix = `contract-${++cases}:`;
  const connector = redisConnector({
    kind: 'cluster',
    nodes: cluster.servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    credentials: { username: null, password: null },
  });
  const node = (nodeId: string) =>
    createRedisFanout({
      ...connector,
      nodeId,
      logger: pino({ level: 'silent' }),
      retry: { minMs: 50, maxMs: 500 },
      probeMs: 1_000,
      channelPrefix: prefix,
    });
  const nodes = [node('node-a'), node('node-b'), node('node-c')] as const;
  for (const fanout of nodes) {
    await waitFor(() => fanout.check().then(() => true), { what: 'the cluster fan-out to connect', timeoutMs: 15_000 });
  }
  return {
    nodes,
    cleanup: async () => {
      for (const fanout of nodes) await fanout.close();
    },
  };
});
