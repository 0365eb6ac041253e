import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, readiness, startCluster } from './helpers/cluster.js';
import { type ClusterClient, connectClusterClient, roomConverged } from './helpers/cluster-clients.js';
import { frameOfType } from './helpers/raw-client.js';
import { connectTandemWriter, fetchDocument, type TandemWriter } from './helpers/tandem-writer.js';

/** Shortened from the default 30 s (documented in README "Scaling") so the test takes seconds, not minutes. */
const AWARENESS_TIMEOUT_MS = 6_000;

describe('cluster: node and store faults', () => {
  let cluster: Cluster | undefined;
  const clients: ClusterClient[] = [];
  const writers: TandemWriter[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    for (const w of writers.splice(0)) w.client.close();
    await cluster?.stop();
    cluster = undefined;
  });

  it('CLUSTER-6: kill -9 of a node under load: its clients move, every acked update survives, its presence vanishes in time', async () => {
    cluster = await startCluster({ nodes: 3, env: { AWARENESS_TIMEOUT_MS: String(AWARENESS_TIMEOUT_MS) } });
    const [a, b, victim] = cluster.nodes.map((n) => n.server);
    if (a === undefined || b === undefined || victim === undefined) throw new Error('three nodes expected');
    const room = 'load';
    const watchers = [
      connectClusterClient(a.syncUrl, room, 'watch-a'),
      connectClusterClient(b.syncUrl, room, 'watch-b'),
    ];
    const movers = [
      connectClusterClient(victim.syncUrl, room, 'mover-1'),
      connectClusterClient(victim.syncUrl, room, 'mover-2'),
    ];
    const ghosts = [
      connectClusterClient(victim.syncUrl, room, 'ghost-1'),
      connectClusterClient(victim.syncUrl, room, 'ghost-2'),
    ];
    clients.push(...watchers, ...movers, ...ghosts);
    writers.push(
      connectTandemWriter(`${victim.syncUrl}/${room}`, 'wa'),
      connectTandemWriter(`${victim.syncUrl}/${room}`, 'wb'),
    );
    await Promise.all(writers.map((w) => w.client.waitForFrame(frameOfType('sync-step1'))));
    await waitFor(() => clients.every((c) => c.provider.synced), { what: 'clients synced' });
    const ghostIds = ghosts.map((g) => g.doc.clientID);
    const sees = (watcher: ClusterClient, id: number) => watcher.provider.awareness.getStates().has(id);
    await waitFor(() => watchers.every((w) => ghostIds.every((id) => sees(w, id))), {
      what: 'ghost presence everywhere',
    });

    // Under load: writers and movers keep writing until a good number of acks has come back.
    let rounds = 0;
    await waitFor(
      () => {
        if (rounds++ < 2_000) {
          for (const w of writers) w.write();
          for (const m of movers) m.write();
        }
        return writers.every((w) => w.ackedThrough >= 40);
      },
      { what: '40 acks per writer', intervalMs: 2, timeoutMs: 15_000 },
    );
    for (const w of writers) w.write();
    victim.process.child.kill('SIGKILL');
    expect((await victim.process.exited).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    const acked = writers.flatMap((w) => w.ackedTokens());

    // The movers reconnect elsewhere with their documents (what a provider's backoff does); ghosts never return.
    const moved = movers.map((m, i) => {
      m.provider.destroy();
      // A new token prefix: the reconnected client's token numbering starts again.
      return connectClusterClient(([a, b][i] as typeof a).syncUrl, room, `${m.name}-moved`, m.doc);
    });
    for (const g of ghosts) g.provider.destroy();
    clients.splice(0, clients.length, ...watchers, ...moved);
    await waitFor(() => moved.every((m) => m.provider.synced), { what: 'movers reconnected' });
    for (const m of moved) m.write();
    const survivors = [a.syncUrl, b.syncUrl];
    await waitFor(() => roomConverged(clients, survivors, room), {
      what: 'convergence on the survivors',
      timeoutMs: 10_000,
    });

    for (const url of survivors) {
      const doc = await fetchDocument(url, room);
      const tokens = new Set(doc.getArray<string>('tokens').toArray());
      doc.destroy();
      expect(acked.filter((t) => !tokens.has(t))).toEqual([]);
    }
    const stored = await cluster.storedDoc(room);
    const storedTokens = stored.getArray<string>('tokens').toArray();
    stored.destroy();
    expect(acked.filter((t) => !storedTokens.includes(t))).toEqual([]);
    expect(new Set(storedTokens).size).toBe(storedTokens.length);

    await waitFor(() => watchers.every((w) => ghostIds.every((id) => !sees(w, id))), {
      what: "the dead node's presence to vanish",
      timeoutMs: AWARENESS_TIMEOUT_MS * 2,
      intervalMs: 100,
    });
    const vanishedMs = Date.now() - killedAt;
    expect(vanishedMs).toBeLessThanOrEqual(AWARENESS_TIMEOUT_MS + AWARENESS_TIMEOUT_MS / 3 + 1_500);
    console.info(`[cluster] ${acked.length} acked updates survived kill -9; presence vanished after ${vanishedMs} ms`);
  }, 60_000);

  it('CLUSTER-6/AW-6: a client that reconnects to another node after its node dies regains its presence at once', async () => {
    const leaseMs = 3_000;
    cluster = await startCluster({ nodes: 2, env: { AWARENESS_TIMEOUT_MS: String(leaseMs) } });
    const [a, victim] = cluster.nodes.map((n) => n.server);
    if (a === undefined || victim === undefined) throw new Error('two nodes expected');
    const room = 'moving';
    const watcher = connectClusterClient(a.syncUrl, room, 'watcher');
    const mover = connectClusterClient(victim.syncUrl, room, 'mover');
    const ghost = connectClusterClient(victim.syncUrl, room, 'ghost');
    clients.push(watcher, mover, ghost);
    await waitFor(() => clients.every((c) => c.provider.synced), { what: 'clients synced' });
    const states = () => watcher.provider.awareness.getStates() as Map<number, { cursor?: number }>;
    await waitFor(() => states().has(mover.doc.clientID) && states().has(ghost.doc.clientID), {
      what: 'presence at the watcher',
    });
    const removed: number[] = [];
    watcher.provider.awareness.on('change', ({ removed: ids }: { removed: number[] }) => removed.push(...ids));

    // The load balancer sends the mover's next connection to the surviving node; the ghost never returns.
    mover.provider.serverUrl = a.syncUrl;
    ghost.provider.shouldConnect = false;
    victim.process.child.kill('SIGKILL');
    await victim.process.exited;
    await waitFor(() => mover.provider.wsconnected && mover.provider.synced, { what: 'mover reconnected' });
    mover.provider.awareness.setLocalStateField('cursor', 42);
    await waitFor(() => states().get(mover.doc.clientID)?.cursor === 42, {
      what: "the mover's presence update, before the dead node's lease expires",
      timeoutMs: leaseMs / 2,
    });
    // Once the dead node's other presence has expired, the mover's is still there, never removed.
    await waitFor(() => !states().has(ghost.doc.clientID), { what: 'the ghost to expire', timeoutMs: leaseMs * 3 });
    expect(states().get(mover.doc.clientID)?.cursor).toBe(42);
    expect(removed).not.toContain(mover.doc.clientID);
  }, 30_000);

  it('CLUSTER-7: Postgres down: relaying goes on, acks stop, /readyz and logs name the store, and it recovers by itself', async () => {
    cluster = await startCluster({ nodes: 2 });
    const [a, b] = cluster.nodes.map((n) => n.server);
    if (a === undefined || b === undefined) throw new Error('two nodes expected');
    const writer = connectTandemWriter(`${a.syncUrl}/degraded`, 'd');
    writers.push(writer);
    const reader = connectClusterClient(b.syncUrl, 'degraded', 'reader');
    clients.push(reader);
    await writer.client.waitForFrame(frameOfType('sync-step1'));
    await waitFor(() => reader.provider.synced);
    for (let i = 0; i < 5; i++) writer.write();
    await waitFor(() => writer.ackedThrough === 5, { what: 'acks before the outage' });

    await cluster.postgres.kill('SIGQUIT');
    for (let i = 0; i < 5; i++) writer.write();
    // Other nodes still get the edits through Redis.
    await waitFor(() => reader.doc.getArray('tokens').length === 10, { what: 'relay while the store is down' });
    await waitFor(async () => (await readiness(a.httpUrl)).status === 503, { what: '/readyz 503' });
    const state = await readiness(a.httpUrl);
    expect(state.checks.fanout).toBe('ok');
    expect(state.checks.store).not.toBe('ok');
    await a.process.waitForLine(/store append failed; retrying with backoff/);
    expect(writer.ackedThrough).toBe(5);

    await cluster.postgres.restart();
    const back = Date.now();
    await waitFor(() => writer.ackedThrough === 10, { what: 'acks after recovery', timeoutMs: 10_000 });
    const recoveredMs = Date.now() - back;
    await waitFor(async () => (await readiness(a.httpUrl)).status === 200, { what: '/readyz 200 again' });
    const stored = await cluster.storedDoc('degraded');
    const tokens = stored.getArray<string>('tokens').toArray();
    stored.destroy();
    expect(tokens).toEqual(writer.tokens);
    console.info(`[cluster] acks resumed ${recoveredMs} ms after Postgres restarted`);
  }, 60_000);
});
