import { type RedisSentinelSet, startRedisSentinelSet, waitFor } from '@tandem/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { describeFanoutContract } from './fanout.contract.js';
import { redisConnector } from './redis-connections.js';
import { createRedisFanout } from './redis-fanout.js';

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
    await waitFor(() => fanout.check().then(() => true), {
      what: 'the sentinel fan-out to connect',
      timeoutMs: 15_000,
    });
  }
  return {
    nodes,
    cleanup: async () => {
      for (const fanout of nodes) await fanout.close();
    },
  };
});
