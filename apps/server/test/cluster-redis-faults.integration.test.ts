import { waitFor } from '@tandem/test-utils';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, readiness, startCluster } from './helpers/cluster.js';
import {
  type ClusterClient,
  connectClusterClient,
  expectEveryEditOnce,
  roomConverged,
} from './helpers/cluster-clients.js';

/** How long node 1 is cut off from Redis: the 30 s scenario, kept at full length. */
const PARTITION_MS = 30_000;
/** The bound on convergence after a fault heals. */
const HEAL_BOUND_MS = 5_000;

describe('cluster: Redis faults', () => {
  let cluster: Cluster | undefined;
  const clients: ClusterClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await cluster?.stop();
    cluster = undefined;
  });

  /** Two clients per node in one room, synced. */
  const connectAll = async (c: Cluster, room: string) => {
    c.nodes.forEach((node, n) => {
      for (let i = 0; i < 2; i++) clients.push(connectClusterClient(node.server.syncUrl, room, `n${n}c${i}`));
    });
    await waitFor(() => clients.every((cl) => cl.provider.synced), { what: 'clients synced', timeoutMs: 10_000 });
  };
  const writeAll = () => {
    for (const client of clients) client.write();
  };
  const expectNoDuplicates = (c: Cluster, room: string) => expectEveryEditOnce(c, clients, room);

  it('CLUSTER-4: Redis SHUTDOWN NOSAVE mid-session, then restart: no node crashes, convergence within 5 s, no duplicates', async () => {
    cluster = await startCluster({ nodes: 3 });
    const c = cluster;
    await connectAll(c, 'outage');
    for (let i = 0; i < 5; i++) writeAll();
    const urls = c.nodes.map((n) => n.server.syncUrl);
    await waitFor(() => roomConverged(clients, urls, 'outage'), { what: 'converged before the outage' });

    const admin = new Redis(c.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await admin.connect();
    await admin.call('SHUTDOWN', 'NOSAVE').catch(() => {});
    admin.disconnect();
    await c.redis.process.exited;
    // Every node notices and says which dependency is down; editing goes on meanwhile.
    await waitFor(
      async () => {
        writeAll();
        const states = await Promise.all(c.nodes.map((n) => readiness(n.server.httpUrl)));
        return states.every((s) => s.status === 503 && /redis/.test(s.checks.fanout) && s.checks.store === 'ok');
      },
      { what: '/readyz naming redis on every node', intervalMs: 100 },
    );
    for (let i = 0; i < 5; i++) writeAll();

    await c.restartRedis();
    const healed = Date.now();
    await waitFor(() => roomConverged(clients, urls, 'outage'), {
      what: 'convergence after Redis is back',
      timeoutMs: HEAL_BOUND_MS,
      intervalMs: 50,
    });
    const convergedMs = Date.now() - healed;
    for (const node of c.nodes) expect(node.server.process.child.exitCode).toBeNull();
    await expectNoDuplicates(c, 'outage');
    await waitFor(async () => (await readiness((c.nodes[0] as (typeof c.nodes)[0]).server.httpUrl)).status === 200);
    expect(c.nodes.every((n) => n.server.process.lines.some((l) => l.includes('redis connection lost')))).toBe(true);
    console.info(`[cluster] converged ${convergedMs} ms after Redis restarted`);
  }, 60_000);

  it(
    `CLUSTER-4: one node cut off from Redis for ${PARTITION_MS / 1000} s while all nodes edit: convergence within 5 s of healing`,
    async () => {
      cluster = await startCluster({ nodes: 3, proxied: [0] });
      const c = cluster;
      const cut = c.nodes[0];
      if (cut?.proxy == null) throw new Error('node 1 has no proxy');
      await connectAll(c, 'partition');
      const urls = c.nodes.map((n) => n.server.syncUrl);
      for (let i = 0; i < 3; i++) writeAll();
      await waitFor(() => roomConverged(clients, urls, 'partition'), { what: 'converged before the partition' });

      cut.proxy.pause();
      const cutAt = Date.now();
      // The partition drops packets silently; the node notices through its ping probe.
      await waitFor(async () => /redis/.test((await readiness(cut.server.httpUrl)).checks.fanout), {
        what: 'node 1 reporting redis down',
      });
      const noticedMs = Date.now() - cutAt;
      // Edits continue on every node for the whole partition (one round every 200 ms).
      await waitFor(
        () => {
          writeAll();
          return Date.now() - cutAt >= PARTITION_MS;
        },
        { what: 'the partition to last', timeoutMs: PARTITION_MS + 5_000, intervalMs: 200 },
      );
      const cutClients = clients.filter((cl) => cl.name.startsWith('n0'));
      const otherClients = clients.filter((cl) => !cl.name.startsWith('n0'));
      // Really partitioned: node 1's clients have not seen the others' latest edits.
      const last = (otherClients[0] as ClusterClient).written.at(-1);
      expect(cutClients[0]?.doc.getArray('tokens').toArray()).not.toContain(last);

      cut.proxy.resume();
      const healed = Date.now();
      await waitFor(() => roomConverged(clients, urls, 'partition'), {
        what: 'convergence after the partition heals',
        timeoutMs: HEAL_BOUND_MS,
        intervalMs: 50,
      });
      const convergedMs = Date.now() - healed;
      await expectNoDuplicates(c, 'partition');
      console.info(`[cluster] partition noticed after ${noticedMs} ms; converged ${convergedMs} ms after healing`);
    },
    PARTITION_MS + 60_000,
  );
});
