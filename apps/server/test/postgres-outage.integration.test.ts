import { createRng, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, readiness, startCluster } from './helpers/cluster.js';
import { frameOfType } from './helpers/raw-client.js';
import { connectTandemWriter, type TandemWriter } from './helpers/tandem-writer.js';

/** One outage per seed (each picks how much is written before the kill); the signals alternate: a crash, an immediate shutdown. */
const SEEDS = [7, 19, 42, 73];
const SIGNALS = ['SIGKILL', 'SIGQUIT'] as const;

describe('Postgres dies while appends and compactions are in flight', () => {
  let cluster: Cluster | undefined;
  const writers: TandemWriter[] = [];

  afterEach(async () => {
    for (const w of writers.splice(0)) w.client.close();
    await cluster?.stop();
    cluster = undefined;
  });

  it('CLUSTER-7: a store outage never crashes the node: killed mid-transaction, Postgres comes back and every acked token is stored', async () => {
    // A compaction every other update: most moments of the write load have a compaction's transaction open too.
    cluster = await startCluster({ nodes: 1, env: { COMPACT_AFTER_UPDATES: '2' } });
    const node = cluster.nodes[0]?.server;
    if (node === undefined) throw new Error('one node expected');
    const signals: string[] = [];
    // Every wait also ends, with the node's last output, the moment the node dies.
    const whileAlive = <T>(waiting: Promise<T>): Promise<T> =>
      Promise.race([
        waiting,
        node.process.exited.then(({ code, signal }) => {
          throw new Error(`the node exited (${code ?? signal}):\n${node.process.lines.slice(-30).join('\n')}`);
        }),
      ]);

    for (const [index, seed] of SEEDS.entries()) {
      const rng = createRng(seed);
      const rooms = [`outage-${seed}-a`, `outage-${seed}-b`];
      const round = rooms.flatMap((room) =>
        [1, 2].map((i) => connectTandemWriter(`${node.syncUrl}/${room}`, `${room}:${i}`)),
      );
      writers.push(...round);
      await Promise.all(round.map((w) => w.client.waitForFrame(frameOfType('sync-step1'))));

      // Bounded write load until a seeded number of acks; then the kill lands while the load still runs.
      const acksBeforeKill = rng.int(4, 30);
      let sent = 0;
      await waitFor(
        () => {
          if (sent++ < 2_000) for (const w of round) w.write();
          return round.every((w) => w.ackedThrough >= acksBeforeKill);
        },
        { what: `${acksBeforeKill} acks per writer`, intervalMs: 2, timeoutMs: 15_000 },
      );
      const signal = SIGNALS[index % SIGNALS.length] ?? 'SIGKILL';
      signals.push(`${signal} after ${acksBeforeKill} acks`);
      let dead = false;
      const killed = cluster.postgres.kill(signal).then(() => {
        dead = true;
      });
      let during = 0;
      await waitFor(
        () => {
          if (during++ < 200) for (const w of round) w.write();
          return dead;
        },
        { what: `postgres to die of ${signal}`, intervalMs: 1, timeoutMs: 10_000 },
      );
      await killed;

      for (const w of round) w.write();
      await whileAlive(
        waitFor(async () => (await readiness(node.httpUrl)).status === 503, {
          what: '/readyz 503 while the store is down',
        }),
      );
      const state = await readiness(node.httpUrl);
      expect(state.checks.store).not.toBe('ok');
      expect(node.process.child.exitCode).toBeNull();
      expect(node.process.child.signalCode).toBeNull();

      // restart() waits out the killed postmaster's backends that still hold its shared memory.
      await cluster.postgres.restart();
      await whileAlive(
        waitFor(() => round.every((w) => w.ackedThrough === w.tokens.length), {
          what: 'every write acked after the restart, with no client action',
          timeoutMs: 15_000,
        }),
      );
      await whileAlive(
        waitFor(async () => (await readiness(node.httpUrl)).status === 200, { what: '/readyz 200 again' }),
      );
      for (const room of rooms) {
        const stored = await cluster.storedDoc(room);
        const tokens = new Set(stored.getArray<string>('tokens').toArray());
        stored.destroy();
        const acked = round.filter((w) => w.tokens[0]?.startsWith(`${room}:`)).flatMap((w) => w.ackedTokens());
        expect(acked.filter((t) => !tokens.has(t))).toEqual([]);
      }
      for (const w of round) w.client.close();
    }

    // The node lived through every outage, and the kills did land inside transactions (not only on idle connections).
    expect(node.process.child.exitCode).toBeNull();
    const midTransaction = node.process.lines.filter((l) =>
      l.includes('postgres connection failed during a transaction'),
    );
    expect(midTransaction.length).toBeGreaterThan(0);
    console.info(
      `[postgres-outage] kills: ${signals.join(', ')}; ${midTransaction.length} connections died mid-transaction`,
    );
  }, 120_000);
});
