import { waitFor } from '@tandem/test-utils';
import { pino } from 'pino';
import type { FanoutContractSubject } from './fanout.contract.js';
import type { RedisConnector } from './redis-connections.js';
import { createRedisFanout } from './redis-fanout.js';

/**
 * Three Redis fan-outs in this process on `connector` (a Sentinel set, a cluster), on a channel
 * prefix of their own so a contract case never sees another's messages; resolves once each is
 * connected, so `ready` means delivery.
 */
export async function connectedFanouts(connector: RedisConnector, prefix: string): Promise<FanoutContractSubject> {
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
    await waitFor(() => fanout.check().then(() => true), { what: 'the redis fan-out to connect', timeoutMs: 15_000 });
  }
  return {
    nodes,
    cleanup: async () => {
      for (const fanout of nodes) await fanout.close();
    },
  };
}
