import { type ServerProcess, startServerProcess, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { TandemProvider, type WebSocketConstructor } from '../../../packages/client/dist/index.js';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { type Cluster, startCluster } from './helpers/cluster.js';
import { HOCUSPOCUS_RELEASES, hocuspocusClients } from './helpers/hocuspocus-clients.js';

const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;
const hocuspocusUrl = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/hocuspocus`;

/** The three client kinds in one room: what each one's document and presence look like. */
interface Member {
  readonly name: string;
  readonly doc: Y.Doc;
  readonly states: () => Map<number, Record<string, unknown>>;
  readonly setUser: (name: string) => void;
}

const text = (m: Member) => m.doc.getText('content').toString();
const names = (m: Member) =>
  [...m.states().values()]
    .map((s) => (s.user as { name?: string } | undefined)?.name)
    .filter((n): n is string => n !== undefined)
    .sort();

describe.each(HOCUSPOCUS_RELEASES)('mixed rooms with $name, y-websocket and @tandem/client', (release) => {
  const servers: ServerProcess[] = [];
  const hp = hocuspocusClients(release);
  const stock: StockClient[] = [];
  const tandem: TandemProvider[] = [];
  let cluster: Cluster | undefined;

  afterEach(async () => {
    hp.destroyAll();
    for (const c of stock.splice(0)) c.destroy();
    for (const p of tandem.splice(0)) p.destroy();
    for (const s of servers.splice(0)) await s.process.stop('SIGKILL');
    await cluster?.stop();
    cluster = undefined;
  });

  /** One member of each kind in `room`: Hocuspocus on `urls[0]`, y-websocket on `urls[1]`, tandem on `urls[2]`. */
  const membersOn = (httpUrls: readonly [string, string, string], room: string): Member[] => {
    const hpClient = hp.open(hp.socket(hocuspocusUrl(httpUrls[0])), room);
    const ys = connectStockClient(`${httpUrls[1].replace(/^http/, 'ws')}/sync`, room);
    stock.push(ys);
    const td = new TandemProvider(room, new Y.Doc(), {
      url: `${httpUrls[2].replace(/^http/, 'ws')}/sync`,
      WebSocket: NodeWebSocket,
      crossTab: false,
      offline: false,
    });
    tandem.push(td);
    const awarenessOf = (a: { getStates(): Map<number, Record<string, unknown>> } | null | undefined) => () =>
      a?.getStates() ?? new Map();
    return [
      {
        name: 'hocuspocus',
        doc: hpClient.doc,
        states: awarenessOf(hpClient.provider.awareness),
        setUser: (n) => hpClient.provider.setAwarenessField('user', { name: n }),
      },
      {
        name: 'y-websocket',
        doc: ys.doc,
        states: awarenessOf(ys.provider.awareness),
        setUser: (n) => ys.provider.awareness.setLocalStateField('user', { name: n }),
      },
      {
        name: '@tandem/client',
        doc: td.doc,
        states: awarenessOf(td.awareness),
        setUser: (n) => td.awareness.setLocalStateField('user', { name: n }),
      },
    ];
  };

  const converge = async (members: Member[]) => {
    for (const m of members) {
      m.setUser(`user of ${m.name}`);
      m.doc.getText('content').insert(0, `[${m.name}]`);
    }
    const expectedNames = members.map((m) => `user of ${m.name}`).sort();
    await waitFor(
      () =>
        members.every((m) => text(m) === text(members[0] as Member) && members.every((o) => text(m).includes(o.name))),
      { what: 'the three documents converge', timeoutMs: 20_000 },
    );
    await waitFor(() => members.every((m) => JSON.stringify(names(m)) === JSON.stringify(expectedNames)), {
      what: 'every client sees all three presences',
      timeoutMs: 20_000,
    });
    for (const m of members) expect(names(m)).toEqual(expectedNames);
  };

  it('HP-3: the three client kinds converge with presence across all three on one node', async () => {
    const server = await startServerProcess();
    servers.push(server);
    await converge(membersOn([server.httpUrl, server.httpUrl, server.httpUrl], 'mixed-one-node'));
  });

  it('HP-8: a stateless message reaches the document’s Hocuspocus providers on the other node, once each', async () => {
    cluster = await startCluster({ nodes: 2 });
    const [a, b] = cluster.nodes.map((n) => hocuspocusUrl(n.server.httpUrl)) as [string, string];
    const here = hp.open(hp.socket(a), 'chat-cluster');
    const there = hp.open(hp.socket(b), 'chat-cluster');
    const elsewhere = hp.open(hp.socket(b), 'other-cluster');
    await waitFor(() => [here, there, elsewhere].every((c) => c.provider.isSynced), { what: 'all three synced' });
    // A stateless message sent before the other node subscribed to the room would be lost like any other:
    // a document edit that crossed proves both nodes hold the room.
    here.doc.getText('content').insert(0, 'hi');
    await waitFor(() => there.doc.getText('content').toString() === 'hi', { what: 'the edit crosses nodes' });
    here.provider.sendStateless('{"ping":1}');
    await waitFor(() => there.stateless.length === 1, { what: 'the other node’s provider receives it' });
    there.provider.sendStateless('reply');
    await waitFor(() => here.stateless.length === 1, { what: 'the reply crosses back' });
    expect(here.stateless).toEqual(['reply']);
    expect(there.stateless).toEqual(['{"ping":1}']);
    expect(elsewhere.stateless).toEqual([]);
  });

  it('HP-3: the three client kinds converge with presence across two nodes of a cluster', async () => {
    cluster = await startCluster({ nodes: 2 });
    const [a, b] = cluster.nodes.map((n) => n.server.httpUrl) as [string, string];
    await converge(membersOn([a, b, a], 'mixed-cluster'));
  });
});
