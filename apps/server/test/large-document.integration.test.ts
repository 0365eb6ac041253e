import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, type ServerProcess, startServerProcess, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { connectStockClient, converged, type StockClient } from './helpers/clients.js';
import { type Cluster, startCluster } from './helpers/cluster.js';
import { type ClusterClient, connectClusterClient, roomConverged } from './helpers/cluster-clients.js';

/** Over the 256 KiB from which a load is merged on the snapshot thread and kept as bytes (room-loader.ts). */
const CHUNKS = 48;
const CHUNK = 8 * 1024;

/** Types about 384 KiB into `client`'s text: 8 KiB chunks at seeded random places. */
function typeLargeText(client: StockClient, seed: number): void {
  const rng = createRng(seed);
  for (let i = 0; i < CHUNKS; i++) {
    const chunk = String.fromCharCode(97 + (i % 26)).repeat(CHUNK);
    client.text.insert(rng.int(0, client.text.length), chunk);
  }
}

describe('a large document, loaded as its merged bytes until an edit needs its Y.Doc', () => {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  const clients: StockClient[] = [];
  let cluster: Cluster | undefined;

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    for (const s of servers.splice(0)) await s.process.stop('SIGKILL');
    await cluster?.stop();
    cluster = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const restart = async (dir: string, previous?: ServerProcess) => {
    if (previous !== undefined) {
      for (const c of clients.splice(0)) c.destroy();
      expect(await previous.process.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      servers.splice(servers.indexOf(previous), 1);
    }
    const server = await startServerProcess({ DATA_DIR: dir });
    servers.push(server);
    return server;
  };
  const joinRoom = (server: ServerProcess, room: string) => {
    const client = connectStockClient(server.syncUrl, room);
    clients.push(client);
    return client;
  };

  it('STORE-5/SYNC-1/PERSIST-1: joiners of a reloaded 384 KiB document get all of it, edits and deletions reach everyone, and a restart keeps them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-large-'));
    dirs.push(dir);
    const first = await restart(dir);
    const writer = joinRoom(first, 'big');
    await waitFor(() => writer.provider.synced, { what: 'the writer synced' });
    typeLargeText(writer, 7);
    const written = writer.text.toString();
    expect(written.length).toBe(CHUNKS * CHUNK);
    // A reader that converges with the writer proves the server holds all of it before the restart.
    const check = joinRoom(first, 'big');
    await waitFor(() => check.provider.synced && converged([writer, check]), { what: 'the server holds the text' });

    const second = await restart(dir, first);
    const joiners = [joinRoom(second, 'big'), joinRoom(second, 'big'), joinRoom(second, 'big')];
    await waitFor(() => joiners.every((c) => c.provider.synced && c.text.toString() === written), {
      what: 'every joiner has the whole reloaded document',
      timeoutMs: 15_000,
    });
    // The reloaded room kept the document as its merged bytes (room-loader.ts logs it).
    const loadedLine = second.process.lines.find((l) => l.includes('"room loaded"') && l.includes('"room":"big"'));
    expect(loadedLine).toContain('"asBytes":true');
    const [a, b, c] = joiners as [StockClient, StockClient, StockClient];
    a.text.insert(0, 'edited by a. ');
    b.text.delete(written.length - 100, 50);
    await waitFor(() => converged(joiners) && c.text.toString().startsWith('edited by a. '), {
      what: "a's insert and b's deletion everywhere",
    });
    const expected = c.text.toString();
    expect(expected.length).toBe(written.length + 'edited by a. '.length - 50);

    const third = await restart(dir, second);
    const later = joinRoom(third, 'big');
    await waitFor(() => later.provider.synced && later.text.toString() === expected, {
      what: 'the edited document after a restart',
      timeoutMs: 15_000,
    });
  });

  it('CLUSTER-3: a node that loads the large document while another holds it converges with it, both ways', async () => {
    cluster = await startCluster({ nodes: 2 });
    const [nodeA, nodeB] = cluster.nodes.map((n) => n.server.syncUrl) as [string, string];
    const onA: ClusterClient = connectClusterClient(nodeA, 'big', 'a');
    clients.push(onA);
    await waitFor(() => onA.provider.synced, { what: 'the client on node A synced' });
    typeLargeText(onA, 11);
    await waitFor(async () => (await cluster?.storedDoc('big'))?.getText('content').length === CHUNKS * CHUNK, {
      what: 'the text stored in Postgres',
      timeoutMs: 15_000,
    });
    const onB: ClusterClient = connectClusterClient(nodeB, 'big', 'b');
    clients.push(onB);
    await waitFor(() => onB.provider.synced && onB.text.toString() === onA.text.toString(), {
      what: 'node B loaded the whole document',
      timeoutMs: 15_000,
    });
    onB.write();
    onA.write();
    const all = [onA, onB];
    await waitFor(() => roomConverged(all, [nodeA, nodeB], 'big'), {
      what: 'both clients and both nodes converged after an edit on each',
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    expect(onA.doc.getArray('tokens').toArray()).toEqual(expect.arrayContaining(['a:1', 'b:1']));
  });
});
