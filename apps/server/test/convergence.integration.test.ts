import { createRng, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { connectStockClient, converged, type StockClient } from './helpers/clients.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('stock y-websocket clients', () => {
  let server: TestServer | undefined;
  const clients: StockClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await server?.close();
  });

  const connect = (room: string, count: number) => {
    const made = Array.from({ length: count }, () => connectStockClient((server as TestServer).syncUrl, room));
    clients.push(...made);
    return made;
  };

  it('SYNC-1/SYNC-3: two clients editing one room converge', async () => {
    server = await startTestServer();
    const [a, b] = connect('two', 2) as [StockClient, StockClient];
    await waitFor(() => a.provider.synced && b.provider.synced, { what: 'both synced' });
    a.text.insert(0, 'hello ');
    b.text.insert(0, 'world ');
    await waitFor(() => converged([a, b]) && a.text.length === 12, { what: 'convergence' });
    expect(a.text.toString()).toBe(b.text.toString());
    expect(a.text.toString()).toContain('hello ');
    expect(a.text.toString()).toContain('world ');
  });

  it('SYNC-3: ten clients editing concurrently converge with every edit', async () => {
    server = await startTestServer();
    const ten = connect('ten', 10);
    await waitFor(() => ten.every((c) => c.provider.synced), { what: 'all synced' });
    const rng = createRng(42);
    const expected: string[] = [];
    for (let round = 0; round < 20; round++) {
      for (const [i, client] of ten.entries()) {
        const token = `<${i}:${round}>`;
        expected.push(token);
        // At either end, so no insert lands inside another token and splits it.
        client.text.insert(rng.pick([0, client.text.length]), token);
      }
    }
    const totalLength = expected.join('').length;
    await waitFor(() => converged(ten) && ten[0]?.text.length === totalLength, {
      what: 'ten clients converged',
      timeoutMs: 15_000,
    });
    const final = ten[0]?.text.toString() ?? '';
    for (const token of expected) expect(final).toContain(token);
  });

  it('SYNC-2: a client that joins late gets the full document', async () => {
    server = await startTestServer();
    const [a, b] = connect('late', 2) as [StockClient, StockClient];
    await waitFor(() => a.provider.synced && b.provider.synced);
    a.text.insert(0, 'written before the late client came');
    b.doc.getMap('meta').set('title', 'Late joiners');
    await waitFor(() => converged([a, b]) && b.text.length > 0);
    const [late] = connect('late', 1) as [StockClient];
    await waitFor(() => late.provider.synced && converged([a, b, late]), { what: 'late client synced' });
    expect(late.text.toString()).toBe('written before the late client came');
    expect(late.doc.getMap('meta').get('title')).toBe('Late joiners');
  });

  it('rooms are isolated from each other', async () => {
    server = await startTestServer();
    const [a] = connect('room-a', 1) as [StockClient];
    const [b] = connect('room-b', 1) as [StockClient];
    const [a2] = connect('room-a', 1) as [StockClient];
    await waitFor(() => a.provider.synced && b.provider.synced && a2.provider.synced);
    a.text.insert(0, 'only in a');
    b.text.insert(0, 'only in b');
    await waitFor(() => a2.text.toString() === 'only in a');
    expect(b.text.toString()).toBe('only in b');
  });
});
