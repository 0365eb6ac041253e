import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// deploy/ is not a workspace package: its helpers live with the CLI's tests, which have the deps.
import { connectProvider, TEST_BACKOFF } from '../../apps/cli/test/helpers/clients.js';
import {
  createMultiplexedConnection,
  readEnvFile,
  signToken,
  startTopology,
  type TandemProvider,
  type Topology,
  type TopologyNode,
  WebSocket,
  type WebSocketConstructor,
  waitFor,
} from '../../apps/cli/test/helpers/topology.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NGINX_CONF = `${ROOT}/deploy/nginx.conf`;

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('docker-compose.yml', () => {
  it('is valid for docker-compose, and its nginx renders deploy/nginx.conf from the nodes it names', async () => {
    const { code, stdout, stderr } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config']);
    expect(code, stderr).toBe(0);
    const services = await run('docker-compose', ['-f', 'docker-compose.yml', 'config', '--services']);
    expect(services.stdout.trim().split('\n').sort()).toEqual(['nginx', 'postgres', 'redis', 'tandem-1', 'tandem-2']);
    expect(stdout).toMatch(/deploy\/nginx\.conf:\/etc\/nginx\/templates\/nginx\.conf\.template:ro/);
    expect(stdout).toContain('TANDEM_NODE_1: tandem-1:1234');
    expect(stdout).toContain('TANDEM_NODE_2: tandem-2:1234');
    expect(stdout).toMatch(/pgdata:\/var\/lib\/postgresql\/data/);
  });
});

describe('the compose topology, run natively (redis, postgres, two nodes, nginx)', () => {
  let topology: Topology;
  const secret = randomBytes(32).toString('hex');
  const token = signToken(secret, {
    sub: 'deploy-test',
    aud: 'tandem',
    exp: Math.floor(Date.now() / 1000) + 3600,
    docs: { '*': 'write' },
  });
  const providers: TandemProvider[] = [];
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    // The same settings a deployment starts from: .env.example, with the secret a user fills in.
    const settings = {
      ...readEnvFile(`${ROOT}/.env.example`),
      AUTH_SECRET: secret,
      RETRY_MIN_MS: '50',
      RETRY_MAX_MS: '500',
      DEPENDENCY_PROBE_MS: '300',
    };
    topology = await startTopology(NGINX_CONF, settings);
  }, 60_000);

  afterAll(async () => {
    for (const p of providers.splice(0)) p.destroy();
    for (const close of closers.splice(0)) close();
    await topology?.stop();
  });

  /** The node whose log shows a new session for `room` since `before` (counts per node). */
  const servedBy = (room: string, before: number[]) =>
    topology.nodes.find((node, i) => node.sessionsFor(room) > (before[i] ?? 0));
  const counts = (room: string) => topology.nodes.map((node) => node.sessionsFor(room));

  it('routes every socket of a document to one node (hash of the path) and spreads documents over both', async () => {
    const placed = new Map<string, TopologyNode>();
    const open = async (room: string) => {
      const before = counts(room);
      const ws = new WebSocket(`${topology.syncUrl}/${room}`, { headers: { authorization: `Bearer ${token}` } });
      ws.on('error', () => {});
      const node = await waitFor(() => servedBy(room, before), { what: `a node to open a session for ${room}` });
      ws.terminate();
      return node;
    };
    // Bounded: at most 24 candidate rooms until each node holds two.
    for (let i = 0; i < 24; i++) {
      const room = `route-${i}`;
      placed.set(room, await open(room));
      const perNode = topology.nodes.map((n) => [...placed.values()].filter((p) => p === n).length);
      if (perNode.every((count) => count >= 2)) break;
    }
    expect(new Set(placed.values()).size).toBe(2);
    // Same path, same node: every room's second socket lands where its first did.
    for (const [room, node] of placed) expect((await open(room)).id).toBe(node.id);
  });

  it('clients on different nodes converge; SIGTERM on a node moves its clients through nginx, nothing lost', async () => {
    const room = 'shared-doc';
    const written: string[] = [];
    const acked = new Set<string>();
    const write = (provider: TandemProvider, name: string) => {
      const item = `${name}:${written.length}`;
      written.push(item);
      provider.doc.transact(() => {
        provider.doc.getArray<string>('tokens').push([item]);
        provider.doc.getText('content').insert(0, name);
      });
      void provider.flush().then(() => acked.add(item));
    };

    // A: /sync/<room>, routed by the hash.
    let before = counts(room);
    const a = connectProvider(topology.syncUrl, room, { token });
    providers.push(a);
    await waitFor(() => a.synced, { what: 'A synced through nginx' });
    const nodeA = servedBy(room, before);
    if (nodeA === undefined) throw new Error('no node logged A');
    const nodeB = topology.nodes.find((n) => n !== nodeA) as TopologyNode;

    // B: the multiplexed /sync endpoint, balanced by least_conn; until it lands on the other node (bounded).
    let b: TandemProvider | undefined;
    for (let attempt = 0; attempt < 6 && b === undefined; attempt++) {
      const muxBefore = topology.nodes.map((n) => n.muxConnections());
      const connection = createMultiplexedConnection({
        url: topology.syncUrl,
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        token,
        backoff: TEST_BACKOFF,
      });
      const candidate = connectProvider(topology.syncUrl, room, { token, connection });
      await waitFor(() => candidate.synced, { what: 'B synced through nginx' });
      if (nodeB.muxConnections() > (muxBefore[topology.nodes.indexOf(nodeB)] ?? 0)) {
        b = candidate;
        providers.push(candidate);
        closers.push(() => connection.destroy());
      } else {
        candidate.destroy();
        connection.destroy();
      }
    }
    if (b === undefined) throw new Error('the multiplexed endpoint never balanced B onto the other node');
    const clientB = b;

    for (let i = 0; i < 10; i++) {
      write(a, 'a');
      write(clientB, 'b');
    }
    const tokensOf = (p: TandemProvider) => p.doc.getArray<string>('tokens').toArray();
    await waitFor(() => tokensOf(a).length === written.length && tokensOf(clientB).length === written.length, {
      what: 'A and B to converge across nodes',
    });

    // Stop A's node gracefully; both clients keep writing while A moves over (bounded by the timeout).
    before = counts(room);
    const exited = nodeA.process.stop('SIGTERM', 15_000);
    await waitFor(
      () => {
        write(a, 'a');
        write(clientB, 'b');
        return (
          nodeA.process.child.exitCode !== null &&
          nodeB.sessionsFor(room) > (before[1 - topology.nodes.indexOf(nodeA)] ?? 0) &&
          a.synced
        );
      },
      { what: 'A to reconnect through nginx to the surviving node', intervalMs: 25, timeoutMs: 20_000 },
    );
    expect((await exited).code).toBe(0);
    for (let i = 0; i < 10; i++) {
      write(a, 'a');
      write(clientB, 'b');
    }
    await waitFor(() => acked.size === written.length, {
      what: `every edit acknowledged (${acked.size}/${written.length})`,
      timeoutMs: 15_000,
    });
    await waitFor(() => tokensOf(a).length === written.length && tokensOf(clientB).length === written.length, {
      what: 'both clients to hold every edit',
    });
    // A fresh reader through nginx (served by the survivor, from Postgres + memory) sees every acked edit.
    const reader = connectProvider(topology.syncUrl, room, { token });
    providers.push(reader);
    await waitFor(() => reader.synced, { what: 'a fresh reader synced' });
    expect(new Set(tokensOf(reader))).toEqual(new Set(written));
    expect(tokensOf(reader)).toHaveLength(written.length);
    expect(reader.doc.getText('content').toString()).toBe(a.doc.getText('content').toString());
    expect(clientB.doc.getText('content').toString()).toBe(a.doc.getText('content').toString());
    console.info(`[deploy] ${written.length} edits, all acked and present after ${nodeA.id} stopped`);
  });
});
