import { redisCli, startRedisSentinelSet, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { readiness, startCluster } from './helpers/cluster.js';
import {
  type ClusterClient,
  connectClusterClient,
  expectEveryEditOnce,
  roomConverged,
} from './helpers/cluster-clients.js';
import { dependencyLines, printingOnFailure } from './helpers/failure-context.js';
import { createTeardown } from './helpers/teardown.js';

/** The bound: every client converged this long after the sentinels announced the switch. */
const CONVERGE_AFTER_SWITCH_MS = 10_000;

describe('HA: Redis Sentinel failover', () => {
  const teardown = createTeardown();
  afterEach(() => teardown.run());

  it('HA-1, HA-2: the master is killed -9 mid-edit; after the promotion every client converges within 10 s, none disconnected, every edit once', async () => {
    const set = teardown.keep(await startRedisSentinelSet({ replicas: 1, sentinels: 3, downAfterMs: 1_000 }), (s) =>
      s.stop(),
    );
    const c = teardown.keep(
      await startCluster({
        nodes: 2,
        redisEnv: { REDIS_SENTINELS: set.sentinelAddresses.join(','), REDIS_SENTINEL_MASTER: set.masterName },
      }),
      (cluster) => cluster.stop(),
    );
    const clients: ClusterClient[] = [];
    const room = 'sentinel-failover';
    const urls = c.nodes.map((n) => n.server.syncUrl);
    c.nodes.forEach((node, n) => {
      for (let i = 0; i < 2; i++) {
        clients.push(
          teardown.keep(connectClusterClient(node.server.syncUrl, room, `n${n}c${i}`), (cl) => cl.destroy()),
        );
      }
    });
    await waitFor(() => clients.every((cl) => cl.provider.synced), { what: 'clients synced', timeoutMs: 10_000 });
    const writeAll = () => {
      for (const client of clients) client.write();
    };
    for (let i = 0; i < 3; i++) writeAll();
    await waitFor(() => roomConverged(clients, urls, room), { what: 'converged through the first master' });

    const [oldMaster, replica] = set.servers;
    if (oldMaster === undefined || replica === undefined) throw new Error('a master and a replica expected');
    await oldMaster.kill();
    const killedAt = Date.now();
    // Edits go on on both nodes while the sentinels agree the master is down, elect, and promote the replica.
    const switched = () => set.sentinels.some((s) => s.process.lines.some((l) => l.includes('+switch-master')));
    await printingOnFailure(
      waitFor(
        () => {
          writeAll();
          return switched();
        },
        { what: "the sentinels' +switch-master", timeoutMs: 45_000, intervalMs: 100 },
      ),
      async () => set.sentinels.flatMap((s) => s.process.lines.slice(-20)),
    );
    const switchedAt = Date.now();
    expect((await set.currentMaster()).port).toBe(replica.port);
    for (let i = 0; i < 3; i++) writeAll();

    await printingOnFailure(
      waitFor(() => roomConverged(clients, urls, room), {
        what: 'every client and node converged after the switch',
        timeoutMs: CONVERGE_AFTER_SWITCH_MS,
        intervalMs: 50,
      }),
      async () => [
        ...(await Promise.all(c.nodes.map(async (n) => JSON.stringify(await readiness(n.server.httpUrl))))),
        ...dependencyLines(c.nodes.map((n) => n.server)),
        ...set.sentinels.flatMap((s) => s.process.lines.slice(-15)),
      ],
    );
    const convergedMs = Date.now() - switchedAt;
    expect(convergedMs).toBeLessThanOrEqual(CONVERGE_AFTER_SWITCH_MS);
    expect(clients.map((cl) => cl.disconnects)).toEqual(clients.map(() => 0));
    await expectEveryEditOnce(c, clients, room);
    // Both nodes really run on the promoted replica now: their fan-out connections are there.
    const names = (await redisCli(['-p', String(replica.port), 'client', 'list'])).join('\n');
    for (const node of ['node-1', 'node-2']) {
      expect(names).toContain(`name=tandem:${node}:publisher`);
      expect(names).toContain(`name=tandem:${node}:subscriber`);
    }
    console.info(
      `[ha-sentinel] switch ${switchedAt - killedAt} ms after the kill; converged ${convergedMs} ms after the switch; ${clients[0]?.written.length} edits per client`,
    );
  }, 90_000);
});
