import { type RedisSentinelSet, startRedisSentinelSet } from '@tandem/test-utils';
import { afterAll, beforeAll } from 'vitest';
import { describeFanoutContract } from './fanout.contract.js';
import { redisConnector } from './redis-connections.js';
import { connectedFanouts } from './redis-fanout.fixture.js';

// One real Sentinel set for the file, with passwords on the data nodes and on the sentinels: the
// fan-outs find the master through the sentinels with the credentials of HA-1.
const PASSWORD = 'data-node-secret';
const SENTINEL_PASSWORD = 'sentinel-secret';
let set: RedisSentinelSet;
let cases = 0;

beforeAll(async () => {
  set = await startRedisSentinelSet({ password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
}, 60_000);

afterAll(async () => {
  await set?.stop();
});

describeFanoutContract('redis through sentinel, with passwords (three nodes in one process)', async () => {
  const prefix = `contract-${++cases}:`;
  const connector = redisConnector({
    kind: 'sentinel',
    sentinels: set.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    masterName: set.masterName,
    credentials: { username: null, password: PASSWORD },
    sentinelPassword: SENTINEL_PASSWORD,
  });
  return connectedFanouts(connector, prefix);
});
