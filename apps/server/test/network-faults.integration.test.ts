import { type FaultProxy, type ServerProcess, startFaultProxy, startServerProcess, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { connectTandemFaultClient } from './helpers/fault-clients.js';
import {
  FAULT_SERVER_ENV,
  type FaultEnvironment,
  startClusterEnvironment,
  startSingleNodeEnvironment,
} from './helpers/fault-environments.js';
import { formatRoundReport, runFaultRound } from './helpers/fault-scenario.js';
import { signToken, TEST_SECRET } from './helpers/tokens.js';

// Fixed seeds, bounded: both scenarios together stay under 90 s. `npm run chaos` soaks longer.
const CLIENTS = { stock: 3, tandem: 2, mux: 1 } as const;
const FAULTS_MS = 12_000;

/** Times at which `observer` saw the presence of `client` removed. */
function watchRemovals(observer: StockClient, client: StockClient): number[] {
  const removedAt: number[] = [];
  observer.provider.awareness.on('change', ({ removed }: { removed: number[] }) => {
    if (removed.includes(client.doc.clientID)) removedAt.push(Date.now());
  });
  return removedAt;
}

/**
 * Waits until `node`'s heartbeat reaped a half-open session and it left its room, then until a
 * later presence change of `client` reached every observer: whatever the reaping made the servers
 * send them arrived before that change.
 */
async function afterReaping(node: ServerProcess, client: StockClient, observers: StockClient[]): Promise<void> {
  const reaped = await node.process.waitForLine(/"reason":"heartbeat missed".*terminating session/, 6_000);
  const { session } = JSON.parse(reaped) as { session: string };
  await node.process.waitForLine(new RegExp(`"session":"${session}".*session ended`), 3_000);
  client.provider.awareness.setLocalStateField('user', { name: 'after the reaping', round: 2 });
  await waitFor(
    () =>
      observers.every(
        (o) => (o.provider.awareness.getStates().get(client.doc.clientID)?.user as { round?: number })?.round === 2,
      ),
    { what: 'a later presence change relayed' },
  );
}

/**
 * Cuts every connection through `proxy` half-open with the way back blocked until `server` has
 * reaped the stale session and `present` turned false (the removal is then right: nobody was
 * connected); then opens the way back and waits until the client is `up` again.
 */
async function cutUntilReaped(
  server: ServerProcess,
  proxy: FaultProxy,
  up: () => boolean,
  present: () => boolean,
): Promise<void> {
  proxy.partition();
  proxy.injectAll({ kind: 'half-open' });
  await waitFor(() => !up(), { what: 'the cut noticed' });
  const reaped = await server.process.waitForLine(/"reason":"heartbeat missed".*terminating session/, 6_000);
  const { session } = JSON.parse(reaped) as { session: string };
  await server.process.waitForLine(new RegExp(`"session":"${session}".*session ended`), 3_000);
  await waitFor(() => !present(), { what: 'the removal seen' });
  proxy.heal();
  await waitFor(up, { what: 'reconnected', timeoutMs: 10_000 });
}

describe('network faults: stock y-websocket and @tandem/client behind seeded fault proxies', () => {
  const environments: FaultEnvironment[] = [];
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    for (const environment of environments.splice(0)) await environment.stop();
  });

  /** A two-node cluster (400-day tokens) and a fault proxy in front of its first node. */
  const twoNodesBehindProxy = async (seed: number) => {
    const environment = await startClusterEnvironment({ AUTH_SECRET: TEST_SECRET });
    environments.push(environment);
    const [nodeA, nodeB] = environment.nodes();
    if (nodeA === undefined || nodeB === undefined) throw new Error('two nodes expected');
    const proxy = await startFaultProxy({ targetPort: nodeA.port, seed });
    closers.push(() => proxy.close());
    return { nodeA, nodeB, proxy };
  };

  const scenario = async (start: () => Promise<FaultEnvironment>, seed: number, restartNode: boolean) => {
    const environment = await start();
    environments.push(environment);
    const report = await runFaultRound(environment, {
      seed,
      round: 1,
      durationMs: FAULTS_MS,
      clients: CLIENTS,
      restartNode,
    });
    console.log(formatRoundReport(report));
    expect(report.faults['half-open']).toBeGreaterThan(0);
    expect(report.ackedUpdates).toBeGreaterThan(0);
    expect(report.nodeRestarts).toHaveLength(restartNode ? 1 : 0);
    expect(report.violations).toEqual([]);
  };

  it('NET-2/NET-3/NET-4/NET-5/NET-6: one node (SQLite, open mode), seed 1: converged, acked updates kept, no policy close, reconnects within 2 s, live presence kept', async () => {
    await scenario(() => startSingleNodeEnvironment(), 1, false);
  }, 45_000);

  it('NET-2/NET-3/NET-4/NET-5/NET-6/NET-7: two nodes (Redis + Postgres, 400-day tokens), seed 2, reconnects on either node and a rolling restart of one', async () => {
    await scenario(() => startClusterEnvironment({ AUTH_SECRET: TEST_SECRET }), 2, true);
  }, 60_000);

  // The seeded rounds catch this only when a client happens not to type right after its
  // reconnect; this is the same fault, made certain: a reader's presence after a half-open cut.
  it('NET-6: a client that only reads keeps its presence when its half-open session is reaped after it reconnected', async () => {
    const server = await startServerProcess(FAULT_SERVER_ENV);
    closers.push(() => server.process.stop('SIGKILL'));
    const proxy = await startFaultProxy({ targetPort: server.port, seed: 3 });
    closers.push(() => proxy.close());
    const reader = connectStockClient(`ws://127.0.0.1:${proxy.port}/sync`, 'net6-reader');
    closers.push(() => reader.destroy());
    reader.provider.awareness.setLocalStateField('user', { name: 'reader' });
    const observer = connectStockClient(server.syncUrl, 'net6-reader');
    closers.push(() => observer.destroy());
    const removedAt = watchRemovals(observer, reader);
    await waitFor(() => observer.provider.awareness.getStates().has(reader.doc.clientID), { what: 'presence seen' });
    reader.text.insert(0, 'one edit, then only reading');
    await waitFor(() => observer.text.toString() === 'one edit, then only reading');

    proxy.injectAll({ kind: 'half-open' });
    await waitFor(() => !reader.provider.synced, { what: 'the cut noticed' });
    await waitFor(() => reader.provider.synced, { what: 'reconnected' });
    const resyncedAt = Date.now();
    // The old session is reaped by the heartbeat (about 2 s) and leaves its room.
    await afterReaping(server, reader, [observer]);
    expect(reader.provider.wsconnected).toBe(true);
    expect(removedAt.filter((at) => at >= resyncedAt)).toEqual([]);
  }, 20_000);

  it('NET-6: a client cut half-open on one node that goes on typing on the other keeps its presence on both when the first node reaps the old session', async () => {
    const { nodeA, nodeB, proxy } = await twoNodesBehindProxy(4);
    const token = await signToken({ secret: TEST_SECRET, sub: 'writer' });
    const writer = connectStockClient(`ws://127.0.0.1:${proxy.port}/sync`, 'net6-moved', { token });
    closers.push(() => writer.destroy());
    writer.provider.awareness.setLocalStateField('user', { name: 'writer' });
    const observerToken = await signToken({ secret: TEST_SECRET, sub: 'observer' });
    // One observer on each node: the old node's own clients must not lose the writer either.
    const [observerA, observer] = [nodeA, nodeB].map((node) => {
      const watcher = connectStockClient(node.syncUrl, 'net6-moved', { token: observerToken });
      closers.push(() => watcher.destroy());
      return watcher;
    }) as [StockClient, StockClient];
    const removedAt = watchRemovals(observer, writer);
    const removedOnA = watchRemovals(observerA, writer);
    await waitFor(() => [observerA, observer].every((o) => o.provider.awareness.getStates().has(writer.doc.clientID)), {
      what: 'presence seen on both nodes',
    });

    proxy.retarget(nodeB.port);
    proxy.injectAll({ kind: 'half-open' });
    await waitFor(() => !writer.provider.synced, { what: 'the cut noticed' });
    await waitFor(() => writer.provider.synced, { what: 'reconnected to the other node' });
    const resyncedAt = Date.now();
    writer.text.insert(0, 'typing on node B');
    await waitFor(() => observer.text.toString() === 'typing on node B');
    // Node A's removal, had it sent one, goes out through Redis before the later change.
    await afterReaping(nodeA, writer, [observerA, observer]);
    expect(writer.provider.wsconnected).toBe(true);
    expect(removedAt.filter((at) => at >= resyncedAt)).toEqual([]);
    expect(removedOnA.filter((at) => at >= resyncedAt)).toEqual([]);
  }, 30_000);

  it('NET-6: a stock reader moved to another node, whose old node then reaps its stale session, never disappears on either node', async () => {
    const { nodeA, nodeB, proxy } = await twoNodesBehindProxy(6);
    const reader = connectStockClient(`ws://127.0.0.1:${proxy.port}/sync`, 'net6-moved-reader', {
      token: await signToken({ secret: TEST_SECRET, sub: 'reader' }),
    });
    closers.push(() => reader.destroy());
    reader.provider.awareness.setLocalStateField('user', { name: 'reader' });
    const observerToken = await signToken({ secret: TEST_SECRET, sub: 'observer' });
    const [observerA, observerB] = [nodeA, nodeB].map((node) => {
      const watcher = connectStockClient(node.syncUrl, 'net6-moved-reader', { token: observerToken });
      closers.push(() => watcher.destroy());
      return watcher;
    }) as [StockClient, StockClient];
    const removedOnA = watchRemovals(observerA, reader);
    const removedOnB = watchRemovals(observerB, reader);
    await waitFor(
      () => [observerA, observerB].every((o) => o.provider.awareness.getStates().has(reader.doc.clientID)),
      { what: 'presence seen on both nodes' },
    );

    proxy.retarget(nodeB.port);
    proxy.injectAll({ kind: 'half-open' });
    await waitFor(() => !reader.provider.synced, { what: 'the cut noticed' });
    await waitFor(() => reader.provider.synced, { what: 'reconnected to the other node' });
    const resyncedAt = Date.now();
    // The reader only reads: nothing it sends on node B claims its id; node A must still not remove it.
    await afterReaping(nodeA, reader, [observerA, observerB]);
    expect(reader.provider.wsconnected).toBe(true);
    expect(removedOnB.filter((at) => at >= resyncedAt)).toEqual([]);
    expect(removedOnA.filter((at) => at >= resyncedAt)).toEqual([]);
  }, 30_000);

  it('NET-6: a reader whose stale session was reaped before it got back in is shown again as soon as it reconnects', async () => {
    const server = await startServerProcess(FAULT_SERVER_ENV);
    closers.push(() => server.process.stop('SIGKILL'));
    const proxy = await startFaultProxy({ targetPort: server.port, seed: 7 });
    closers.push(() => proxy.close());
    const reader = connectStockClient(`ws://127.0.0.1:${proxy.port}/sync`, 'net6-late-reader');
    closers.push(() => reader.destroy());
    reader.provider.awareness.setLocalStateField('user', { name: 'reader' });
    const observer = connectStockClient(server.syncUrl, 'net6-late-reader');
    closers.push(() => observer.destroy());
    const present = () => observer.provider.awareness.getStates().has(reader.doc.clientID);
    await waitFor(present, { what: 'presence seen' });

    // The removal is right; the reconnect must bring the reader back at once, though its unchanged
    // presence state carries an older clock than the removal (AW-7).
    await cutUntilReaped(server, proxy, () => reader.provider.synced, present);
    await waitFor(present, { what: "the reader's presence back", timeoutMs: 2_000 });
  }, 30_000);

  it('NET-6/CLIENT-13: a @tandem/client reader whose stale session was reaped before it got back in is shown again as soon as it reconnects', async () => {
    const server = await startServerProcess(FAULT_SERVER_ENV);
    closers.push(() => server.process.stop('SIGKILL'));
    const proxy = await startFaultProxy({ targetPort: server.port, seed: 8 });
    closers.push(() => proxy.close());
    const reader = connectTandemFaultClient('reader', proxy, ['net6-late-tandem'], 'tandem', () => new Y.Doc(), null);
    closers.push(() => reader.destroy());
    const observer = connectStockClient(server.syncUrl, 'net6-late-tandem');
    closers.push(() => observer.destroy());
    const present = () => observer.provider.awareness.getStates().has(reader.presenceId);
    await waitFor(present, { what: 'presence seen' });

    await cutUntilReaped(server, proxy, () => reader.timeline.up, present);
    await waitFor(present, { what: "the reader's presence back", timeoutMs: 2_000 });
  }, 30_000);

  it('NET-6/CLIENT-13: a @tandem/client reader moved to another node, whose old node then reaps its stale session, re-announces itself at once', async () => {
    const { nodeA, nodeB, proxy } = await twoNodesBehindProxy(5);
    const reader = connectTandemFaultClient(
      'reader',
      proxy,
      ['net6-tandem'],
      'tandem',
      () => new Y.Doc(),
      await signToken({ secret: TEST_SECRET, sub: 'reader' }),
    );
    closers.push(() => reader.destroy());
    const observer = connectStockClient(nodeB.syncUrl, 'net6-tandem', {
      token: await signToken({ secret: TEST_SECRET, sub: 'observer' }),
    });
    closers.push(() => observer.destroy());
    // A client on node A whose later presence change marks that the reaping's messages have passed.
    const marker = connectStockClient(nodeA.syncUrl, 'net6-tandem', {
      token: await signToken({ secret: TEST_SECRET, sub: 'marker' }),
    });
    closers.push(() => marker.destroy());
    marker.provider.awareness.setLocalStateField('user', { name: 'marker' });
    const present = () => observer.provider.awareness.getStates().has(reader.presenceId);
    await waitFor(() => present() && observer.provider.awareness.getStates().has(marker.doc.clientID), {
      what: "the reader's and the marker's presence on node B",
    });
    let removals = 0;
    observer.provider.awareness.on('change', ({ removed }: { removed: number[] }) => {
      if (removed.includes(reader.presenceId)) removals++;
    });

    proxy.retarget(nodeB.port);
    proxy.injectAll({ kind: 'half-open' });
    await waitFor(() => !reader.timeline.up, { what: 'the cut noticed' });
    await waitFor(() => reader.timeline.up, { what: 'reconnected to node B' });
    // Node A reaps the half-open session; the reader's presence must be there on node B afterwards
    // (node B told node A that the reader continues there, AW-6; were a removal relayed, the reader
    // would re-announce itself at once, CLIENT-13).
    const reaped = await nodeA.process.waitForLine(/"reason":"heartbeat missed".*terminating session/, 6_000);
    const { session } = JSON.parse(reaped) as { session: string };
    await nodeA.process.waitForLine(new RegExp(`"session":"${session}".*session ended`), 3_000);
    marker.provider.awareness.setLocalStateField('user', { name: 'marker', round: 2 });
    await waitFor(
      () => (observer.provider.awareness.getStates().get(marker.doc.clientID)?.user as { round?: number })?.round === 2,
      { what: "the marker's change on node B" },
    );
    await waitFor(present, { what: "the reader's presence back on node B", timeoutMs: 2_000 });
    console.info(`[net6-tandem] removals of the reader's presence seen on node B: ${removals}`);
  }, 30_000);
});
