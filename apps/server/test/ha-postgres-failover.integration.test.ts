import { startPostgresReplicaSet, waitFor } from '@tandem/test-utils';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { readiness, startCluster } from './helpers/cluster.js';
import { frameOfType } from './helpers/raw-client.js';
import { connectTandemWriter } from './helpers/tandem-writer.js';
import { createTeardown } from './helpers/teardown.js';

describe('HA: Postgres failover to a promoted standby', () => {
  const teardown = createTeardown();
  afterEach(() => teardown.run());

  it('HA-5, HA-6: the primary is killed -9 under load and the standby promoted: /readyz 503 during, 200 after, no acked update lost, no restart', async () => {
    const set = teardown.keep(await startPostgresReplicaSet(), (s) => s.stop());
    const admin = new pg.Client({ connectionString: `postgres://postgres@${set.primary.address}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE tandem');
    await admin.end();
    const cluster = teardown.keep(await startCluster({ nodes: 1, databaseUrl: set.multiHostUrl('tandem') }), (c) =>
      c.stop(),
    );
    const node = cluster.nodes[0]?.server;
    if (node === undefined) throw new Error('one node expected');

    const rooms = ['pg-failover-a', 'pg-failover-b'];
    const writers = rooms.flatMap((room) =>
      [1, 2].map((i) =>
        teardown.keep(connectTandemWriter(`${node.syncUrl}/${room}`, `${room}:${i}`), (w) => w.client.close()),
      ),
    );
    await Promise.all(writers.map((w) => w.client.waitForFrame(frameOfType('sync-step1'))));
    const writeAll = () => {
      for (const w of writers) w.write();
    };
    await waitFor(
      () => {
        writeAll();
        return writers.every((w) => w.ackedThrough >= 10);
      },
      { what: '10 acks per writer through the primary', intervalMs: 5, timeoutMs: 15_000 },
    );

    // The kill lands while the load runs; the node must not exit, and must say it is not ready.
    let dead = false;
    const killed = set.killPrimary().then(() => {
      dead = true;
    });
    await waitFor(
      () => {
        writeAll();
        return dead;
      },
      { what: 'the primary to die', intervalMs: 2, timeoutMs: 10_000 },
    );
    await killed;
    await waitFor(
      async () => {
        writeAll();
        return (await readiness(node.httpUrl)).status === 503;
      },
      { what: '/readyz 503 while there is no primary', intervalMs: 100, timeoutMs: 10_000 },
    );
    // While no primary exists nothing more is acked (acks wait for a commit), however much is written.
    const ackedDuring = writers.map((w) => w.ackedThrough);
    for (let i = 0; i < 5; i++) writeAll();
    const during = await readiness(node.httpUrl);
    expect(during.status).toBe(503);
    expect(during.checks.store).not.toBe('ok');
    expect(writers.map((w) => w.ackedThrough)).toEqual(ackedDuring);

    await set.promoteStandby();
    const promotedAt = Date.now();
    await waitFor(() => writers.every((w) => w.ackedThrough === w.tokens.length), {
      what: 'every write acked by the promoted standby, with no restart and no client action',
      timeoutMs: 20_000,
    });
    await waitFor(async () => (await readiness(node.httpUrl)).status === 200, { what: '/readyz 200 again' });
    const recoveredMs = Date.now() - promotedAt;
    expect(node.process.child.exitCode).toBeNull();

    for (const room of rooms) {
      const stored = await cluster.storedDoc(room);
      const tokens = stored.getArray<string>('tokens').toArray();
      stored.destroy();
      const acked = writers.filter((w) => w.tokens[0]?.startsWith(`${room}:`)).flatMap((w) => w.ackedTokens());
      expect(acked.filter((t) => !tokens.includes(t))).toEqual([]);
    }
    // The node found the new primary itself, through the second host of its DATABASE_URL.
    expect(node.process.lines.some((l) => l.includes('postgres host unusable; trying the next'))).toBe(true);
    console.info(
      `[ha-postgres] ${writers.reduce((n, w) => n + w.tokens.length, 0)} updates, all acked and stored; recovered ${recoveredMs} ms after the promotion`,
    );
  }, 120_000);
});
