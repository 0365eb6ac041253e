import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { type Cluster, startCluster } from './helpers/cluster.js';
import { signToken, TEST_SECRET } from './helpers/tokens.js';

interface VersionInfo {
  id: string;
  kind: string;
  authors: { userId: string | null; name: string }[];
}

describe('version history in a cluster: two nodes, Redis + Postgres', () => {
  let cluster: Cluster | undefined;
  const clients: StockClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await cluster?.stop();
    cluster = undefined;
  });

  it('VER-12/VER-13: one automatic version per burst across both nodes, with both nodes’ authors; a restore on node A reaches node B', async () => {
    cluster = await startCluster({
      nodes: 2,
      env: { AUTH_SECRET: TEST_SECRET, VERSION_IDLE_MS: '700', VERSION_MAX_INTERVAL_MS: '600000' },
    });
    const [nodeA, nodeB] = cluster.nodes.map((n) => n.server);
    if (nodeA === undefined || nodeB === undefined) throw new Error('two nodes expected');
    const ada = await signToken({ sub: 'ada', name: 'Ada' });
    const bob = await signToken({ sub: 'bob', name: 'Bob' });
    const a = connectStockClient(nodeA.syncUrl, 'plan', { token: ada });
    const b = connectStockClient(nodeB.syncUrl, 'plan', { token: bob });
    clients.push(a, b);
    await waitFor(() => a.provider.synced && b.provider.synced, { what: 'both clients synced', timeoutMs: 15_000 });
    const list = async (node = nodeA) => {
      const response = await fetch(`${node.httpUrl}/api/documents/plan/versions`, {
        headers: { authorization: `Bearer ${ada}` },
      });
      return ((await response.json()) as { versions: VersionInfo[] }).versions;
    };

    // Burst one: both users type, one on each node.
    a.text.insert(0, 'Ada wrote this. ');
    await waitFor(() => b.text.toString() === 'Ada wrote this. ', { what: 'node B relayed A', timeoutMs: 10_000 });
    b.text.insert(b.text.length, 'Bob added that.');
    await waitFor(() => a.text.toString() === 'Ada wrote this. Bob added that.', { timeoutMs: 10_000 });
    const [first] = await waitFor(async () => ((await list()).length >= 1 ? await list() : undefined), {
      what: 'the first automatic version',
      timeoutMs: 15_000,
    });
    expect(first?.kind).toBe('auto');
    await waitFor(
      async () => {
        const authors = (await list())[0]?.authors.map((x) => x.userId).sort();
        return authors?.join(',') === 'ada,bob';
      },
      { what: 'the version lists the authors both nodes saw', timeoutMs: 10_000 },
    );

    // Burst two, after which both nodes' versions of burst one have long been written: exactly two remain.
    a.text.insert(a.text.length, ' More.');
    await waitFor(async () => (await list(nodeB)).length >= 2, { what: 'the second version', timeoutMs: 15_000 });
    expect((await list()).map((v) => v.kind)).toEqual(['auto', 'auto']);

    // A restore asked of node A reaches the client on node B.
    const restore = await fetch(`${nodeA.httpUrl}/api/documents/plan/versions/${first?.id}/restore`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ada}` },
    });
    expect(restore.status).toBe(200);
    await waitFor(() => b.text.toString() === 'Ada wrote this. Bob added that.', {
      what: 'the restore on node B',
      timeoutMs: 10_000,
    });
    expect(a.text.toString()).toBe('Ada wrote this. Bob added that.');
    const stored = await cluster.storedDoc('plan');
    expect(stored.getText('content').toString()).toBe('Ada wrote this. Bob added that.');
  });
});
