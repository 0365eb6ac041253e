import { type RedisServer, startRedisServer, waitFor } from '@tandem/test-utils';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFanoutContract } from './fanout.contract.js';
import type { Fanout } from './fanout.js';
import { createRedisFanout, type RedisFanoutRole } from './redis-fanout.js';

// One real redis-server for the file; each contract case gets three fresh nodes on a channel
// prefix of its own, so a case never sees another's messages.
let server: RedisServer;
let cases = 0;

beforeAll(async () => {
  server = await startRedisServer();
}, 30_000);

afterAll(async () => {
  await server?.stop();
});

/** Three Redis fan-outs in this process, their ioredis clients injected and recorded. */
async function threeNodes(): Promise<{ nodes: readonly [Fanout, Fanout, Fanout]; clients: Redis[] }> {
  const prefix = `contract-${++cases}:`;
  const clients: Redis[] = [];
  const node = (nodeId: string) =>
    createRedisFanout({
      url: server.url,
      nodeId,
      logger: pino({ level: 'silent' }),
      retry: { minMs: 50, maxMs: 500 },
      probeMs: 1_000,
      channelPrefix: prefix,
      connect: (_role: RedisFanoutRole, options) => {
        const client = new Redis(server.url, options);
        clients.push(client);
        return client;
      },
    });
  const nodes = [node('node-a'), node('node-b'), node('node-c')] as const;
  // A fresh fan-out subscribes once its connections are up: wait for that, so `ready` means delivery.
  for (const fanout of nodes) {
    await waitFor(() => fanout.check().then(() => true), { what: 'the redis fan-out to connect' });
  }
  return { nodes, clients };
}

describeFanoutContract('redis (three nodes in one process, one redis-server)', async () => {
  const { nodes } = await threeNodes();
  return {
    nodes,
    cleanup: async () => {
      for (const fanout of nodes) await fanout.close();
    },
  };
});

describe('RedisFanout clients', () => {
  it('opens one publishing and one subscribing client through the injected factory, and closes both', async () => {
    const { nodes, clients } = await threeNodes();
    expect(clients).toHaveLength(6);
    expect(clients.map((client) => client.options.connectionName).sort()).toEqual([
      'tandem:node-a:publisher',
      'tandem:node-a:subscriber',
      'tandem:node-b:publisher',
      'tandem:node-b:subscriber',
      'tandem:node-c:publisher',
      'tandem:node-c:subscriber',
    ]);
    for (const fanout of nodes) await fanout.close();
    await waitFor(() => clients.every((client) => client.status === 'end'), { what: 'every client closed' });
  });
});
