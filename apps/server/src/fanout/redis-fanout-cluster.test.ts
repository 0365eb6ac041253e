import { type RedisCluster, startRedisCluster } from '@tandem/test-utils';
import { afterAll, beforeAll } from 'vitest';
import { describeFanoutContract } from './fanout.contract.js';
import { redisConnector } from './redis-connections.js';
import { connectedFanouts } from './redis-fanout.fixture.js';

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
  return connectedFanouts(connector, prefix);
});
