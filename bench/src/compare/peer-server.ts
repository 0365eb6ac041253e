/**
 * Runs one peer server (Hocuspocus 3 or 4, the reference y-websocket server, or the relay floor)
 * as a child process of the comparison harness, configured from the environment:
 *
 *   PEER=hocuspocus|y-websocket|relay-floor  HOST, PORT
 *   HOCUSPOCUS_MODULE   '@hocuspocus/server' (3.x, Node 20) or 'hocuspocus4' (4.x, Node 22)
 *   SEED_DOC, SEED_FILE documents (comma-separated names) whose stored state (one Yjs update in a
 *                       file) is read on load, as a store would; every other document starts
 *                       empty (in-memory)
 *   REDIS_URL           Hocuspocus only: its Redis extension, for the cross-node scenario
 *
 * Prints `READY <port>` once listening. Compression is off (ws's perMessageDeflate: false).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as Y from 'yjs';
import { EMPTY_UPDATE, syncStep2Frame, syncUpdateFrame } from './frames.js';

interface HocuspocusServer {
  listen(): Promise<unknown>;
}
type HocuspocusCtor = new (
  config: Record<string, unknown>,
  websocketOptions?: Record<string, unknown>,
) => HocuspocusServer;

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? '0');
const seedDocs = new Set((process.env.SEED_DOC ?? '').split(',').filter((n) => n !== ''));
const seedFile = process.env.SEED_FILE;
const isSeeded = (name: string) => seedFile !== undefined && seedDocs.has(name);

/** Reads a seeded document's stored state, as a store would on every cold load. */
function loadSeed(name: string, doc: Y.Doc): void {
  if (seedFile === undefined || !isSeeded(name)) return;
  Y.applyUpdate(doc, readFileSync(seedFile));
}

async function startHocuspocus(): Promise<void> {
  const moduleName = process.env.HOCUSPOCUS_MODULE ?? '@hocuspocus/server';
  const mod = (await import(moduleName)) as { Server: HocuspocusCtor };
  const extensions: unknown[] = [
    {
      async onLoadDocument(data: { documentName: string; document: Y.Doc }) {
        loadSeed(data.documentName, data.document);
      },
    },
  ];
  const redisUrl = process.env.REDIS_URL;
  if (redisUrl !== undefined && redisUrl !== '') {
    const { Redis: RedisExtension } = (await import('@hocuspocus/extension-redis')) as unknown as {
      Redis: new (config: Record<string, unknown>) => unknown;
    };
    const { Redis } = await import('ioredis');
    const url = new URL(redisUrl);
    // ECOSYSTEM.md: the extension's bundled ioredis 5 relays nothing unless given an ioredis 6 client.
    extensions.push(
      new RedisExtension({
        createClient: () => new Redis({ host: url.hostname, port: Number(url.port), enableReadyCheck: false }),
      }),
    );
  }
  const wsOptions = { perMessageDeflate: false };
  const config = { port, address: host, quiet: true, stopOnSignals: true, extensions, websocketOptions: wsOptions };
  const server = new mod.Server(config, wsOptions);
  await server.listen();
}

async function startYWebsocket(): Promise<void> {
  const { WebSocketServer } = await import('ws');
  const utils = (await import('@y/websocket-server/utils')) as unknown as {
    setupWSConnection: (conn: unknown, req: unknown) => void;
    setPersistence: (p: unknown) => void;
  };
  utils.setPersistence({
    provider: null,
    bindState: async (name: string, doc: Y.Doc) => loadSeed(name, doc),
    writeState: async () => {},
  });
  // The package's own bin (src/server.js), plus an explicit perMessageDeflate: false.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  wss.on('connection', utils.setupWSConnection);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('okay');
  });
  server.on('upgrade', (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  process.on('SIGTERM', () => process.exit(0));
}

/**
 * The relay floor: not a server anyone should run, but the least any y-websocket relay on ws and
 * Node must do. Per room it forwards every update and awareness frame, as received, to the room's
 * other sockets, and keeps the update frames to replay to a client that asks (sync step 1), then
 * answers with an empty step 2. No Y.Doc, no validation, no storage, no timers: what it costs per
 * delivered message is the platform's share of every server's cost.
 */
async function startRelayFloor(): Promise<void> {
  const { WebSocketServer } = await import('ws');
  type Socket = import('ws').WebSocket;
  const rooms = new Map<string, { sockets: Set<Socket>; updates: Buffer[] }>();
  const emptyStep2 = syncStep2Frame('y-websocket', '', EMPTY_UPDATE);
  const roomOf = (name: string) => {
    let room = rooms.get(name);
    if (room === undefined) {
      room = { sockets: new Set(), updates: [] };
      if (seedFile !== undefined && isSeeded(name)) {
        room.updates.push(syncUpdateFrame('y-websocket', name, readFileSync(seedFile)));
      }
      rooms.set(name, room);
    }
    return room;
  };
  const wss = new WebSocketServer({ host, port, perMessageDeflate: false });
  wss.on('connection', (ws, request) => {
    const room = roomOf(decodeURIComponent((request.url ?? '/').slice(1)));
    room.sockets.add(ws);
    ws.on('close', () => room.sockets.delete(ws));
    ws.on('message', (data: Buffer) => {
      const type = data[0];
      const sub = data[1];
      if (type === 0 && sub === 0) {
        for (const update of room.updates) ws.send(update);
        ws.send(emptyStep2);
        return;
      }
      if (type === 0 && (sub === 1 || sub === 2)) {
        // A step 2 is kept and relayed as an update frame (same payload, sub-type 2).
        const frame = sub === 2 ? data : Buffer.concat([Buffer.from([0, 2]), data.subarray(2)]);
        room.updates.push(frame);
        for (const other of room.sockets) if (other !== ws) other.send(frame);
        return;
      }
      if (type === 1) for (const other of room.sockets) if (other !== ws) other.send(data);
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  process.on('SIGTERM', () => process.exit(0));
}

const peer = process.env.PEER;
const starters: Record<string, () => Promise<void>> = {
  hocuspocus: startHocuspocus,
  'y-websocket': startYWebsocket,
  'relay-floor': startRelayFloor,
};
const started = peer === undefined ? null : (starters[peer]?.() ?? null);
if (started === null) {
  process.stderr.write(`peer-server: unknown PEER "${peer}"\n`);
  process.exit(2);
}
started.then(
  () => process.stdout.write(`READY ${port}\n`),
  (err: unknown) => {
    process.stderr.write(`peer-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
