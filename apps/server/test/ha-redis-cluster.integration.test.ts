import { redisCli, startRedisCluster, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster } from './helpers/cluster.js';
import {
  type ClusterClient,
  connectClusterClient,
  expectEveryEditOnce,
  roomConverged,
} from './helpers/cluster-clients.js';
import { dependencyLines, printingOnFailure } from './helpers/failure-context.js';
import { frameOfType } from './helpers/raw-client.js';
import { connectTandemWriter, fetchDocument, type TandemWriter } from './helpers/tandem-writer.js';
import { createTeardown } from './helpers/teardown.js';

/** The fan-out's channel of a room (RedisFanout's default prefix). */
const channelOf = (room: string) => `tandem:room:${room}`;

/** SPUBLISH calls each master has executed so far, by port. */
async function spublishCalls(ports: readonly number[]): Promise<Map<number, number>> {
  const calls = new Map<number, number>();
  for (const port of ports) {
    const stats = await redisCli(['-p', String(port), 'info', 'commandstats']);
    const line = stats.find((l) => l.startsWith('cmdstat_spublish:'));
    calls.set(port, Number(/calls=(\d+)/.exec(line ?? '')?.[1] ?? 0));
  }
  return calls;
}

describe('HA: Redis Cluster with sharded pub/sub', () => {
  const teardown = createTeardown();
  afterEach(() => teardown.run());

  it('HA-3, HA-4: rooms spread over three shards, a room’s messages reach only its shard; a shard’s master killed -9 (replica promoted), then a room’s slot resharded: the nodes converge each time', async () => {
    const redis = teardown.keep(await startRedisCluster({ masters: 3, nodeTimeoutMs: 1_000 }), (r) => r.stop());
    // No presence renewals from the nodes during the test: the only SPUBLISHes are the edits'.
    const c = teardown.keep(
      await startCluster({
        nodes: 2,
        redisEnv: { REDIS_CLUSTER_NODES: redis.seedAddresses.join(',') },
        env: { AWARENESS_TIMEOUT_MS: '3600000' },
      }),
      (cluster) => cluster.stop(),
    );
    const clients: ClusterClient[] = [];
    const writers: TandemWriter[] = [];
    const urls = c.nodes.map((n) => n.server.syncUrl);
    const [node1, node2] = c.nodes;
    if (node1 === undefined || node2 === undefined) throw new Error('two nodes expected');

    // One room on each master's slots.
    const masters = (await redis.nodes()).filter((n) => n.role === 'master');
    expect(masters).toHaveLength(3);
    const rooms = new Map<number, { room: string; slot: number }>();
    for (let i = 0; rooms.size < masters.length && i < 200; i++) {
      const room = `shard-room-${i}`;
      const slot = Number(
        (await redisCli(['-p', String(redis.servers[0]?.port), 'cluster', 'keyslot', channelOf(room)]))[0],
      );
      const owner = masters.find((m) => m.slots.some(([from, to]) => slot >= from && slot <= to));
      if (owner !== undefined && !rooms.has(owner.port)) rooms.set(owner.port, { room, slot });
    }
    expect(rooms.size).toBe(3);
    const masterPorts = [...rooms.keys()];

    // A room's traffic stays on its shard: raw tandem.v1 writers (no presence) edit one room on node 1, read on node 2.
    for (const [ownerPort, { room }] of rooms) {
      const close = (w: TandemWriter) => w.client.close();
      const writer = teardown.keep(connectTandemWriter(`${node1.server.syncUrl}/${room}`, `${room}:w`), close);
      const reader = teardown.keep(connectTandemWriter(`${node2.server.syncUrl}/${room}`, `${room}:r`), close);
      writers.push(writer, reader);
      await Promise.all([writer, reader].map((w) => w.client.waitForFrame(frameOfType('sync-step1'))));
      const before = await spublishCalls(masterPorts);
      for (let i = 0; i < 20; i++) writer.write();
      await waitFor(() => writer.ackedThrough === 20, { what: `the edits of ${room} acked` });
      // Node 2 holds the room (its reader keeps it open), so its copy has the edits only through the fan-out.
      await waitFor(
        async () => {
          const doc = await fetchDocument(node2.server.syncUrl, room);
          const count = doc.getArray('tokens').length;
          doc.destroy();
          return count === 20;
        },
        { what: `node 2 holding the edits of ${room}` },
      );
      const after = await spublishCalls(masterPorts);
      for (const port of masterPorts) {
        const delta = (after.get(port) ?? 0) - (before.get(port) ?? 0);
        // The node merges edits that arrive together into one publish: at least one, never on another shard.
        if (port === ownerPort) expect(delta).toBeGreaterThanOrEqual(1);
        else expect(delta, `SPUBLISHes of ${room} on master ${port}, which does not own its slot`).toBe(0);
      }
    }

    // Stock clients in every room on both nodes.
    const roomNames = [...rooms.values()].map((r) => r.room);
    for (const room of roomNames) {
      c.nodes.forEach((node, n) => {
        clients.push(
          teardown.keep(connectClusterClient(node.server.syncUrl, room, `${room}-n${n}`), (cl) => cl.destroy()),
        );
      });
    }
    await waitFor(() => clients.every((cl) => cl.provider.synced), { what: 'clients synced', timeoutMs: 10_000 });
    const writeAll = () => {
      for (const client of clients) client.write();
    };
    for (let i = 0; i < 3; i++) writeAll();
    for (const room of roomNames) {
      await waitFor(() => roomConverged(clients, urls, room), { what: `${room} converged before the fault` });
    }

    // Kill the master of the first room's shard; its replica takes over (cluster-node-timeout 1 s).
    const [victimPort, victimRoom] = [...rooms.entries()][0] ?? [];
    if (victimPort === undefined || victimRoom === undefined) throw new Error('a room expected');
    const victim = redis.servers.find((s) => s.port === victimPort);
    await victim?.kill();
    const killedAt = Date.now();
    const promoted = await waitFor(
      async () => {
        writeAll();
        const master = await redis.masterOf(victimRoom.slot).catch(() => null);
        return master !== null && master.port !== victimPort ? master : null;
      },
      { what: 'a replica promoted for the killed shard', timeoutMs: 30_000, intervalMs: 200 },
    );
    const promotedAt = Date.now();
    for (let i = 0; i < 3; i++) writeAll();
    for (const room of roomNames) {
      await printingOnFailure(
        waitFor(() => roomConverged(clients, urls, room), {
          what: `${room} converged after the shard's failover`,
          timeoutMs: 15_000,
          intervalMs: 50,
        }),
        () => dependencyLines(c.nodes.map((n) => n.server)),
      );
    }
    const convergedMs = Date.now() - promotedAt;

    // Resharding: the slot of the second room moves to another live master while everyone edits.
    const [, moved] = [...rooms.values()];
    if (moved === undefined) throw new Error('a second room expected');
    const from = await redis.masterOf(moved.slot);
    const to = (await redis.nodes()).find((n) => n.role === 'master' && !n.failed && n.port !== from.port);
    if (to === undefined) throw new Error('another live master expected');
    writeAll();
    await redis.moveSlot(moved.slot, to.port);
    const reshardedAt = Date.now();
    expect((await redis.masterOf(moved.slot)).port).toBe(to.port);
    for (let i = 0; i < 3; i++) writeAll();
    for (const room of roomNames) {
      await waitFor(() => roomConverged(clients, urls, room), {
        what: `${room} converged after its slot moved`,
        timeoutMs: 15_000,
        intervalMs: 50,
      });
    }
    const reshardMs = Date.now() - reshardedAt;
    for (const room of roomNames) {
      const byWriters = writers.filter((w) => w.tokens[0]?.startsWith(`${room}:`)).flatMap((w) => w.tokens);
      await expectEveryEditOnce(c, clients, room, byWriters);
    }
    expect(clients.map((cl) => cl.disconnects)).toEqual(clients.map(() => 0));
    console.info(
      `[ha-cluster] replica ${promoted.port} promoted ${promotedAt - killedAt} ms after the kill; all rooms converged ${convergedMs} ms later; after moving a slot, ${reshardMs} ms`,
    );
  }, 120_000);
});
