/**
 * Runs one peer server (Hocuspocus 3 or 4, or the reference y-websocket server) as a child process
 * of the comparison harness, configured from the environment:
 *
 *   PEER=hocuspocus|y-websocket  HOST, PORT
 *   HOCUSPOCUS_MODULE   '@hocuspocus/server' (3.x, Node 20) or 'hocuspocus4' (4.x, Node 22)
 *   SEED_DOC, SEED_FILE a document whose stored state (a Yjs update in a file) is read on load,
 *                       as a store would; every other document starts empty (in-memory)
 *   REDIS_URL           Hocuspocus only: its Redis extension, for the cross-node scenario
 *
 * Prints `READY <port>` once listening. Compression is off (ws's perMessageDeflate: false).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as Y from 'yjs';

interface HocuspocusServer {
  listen(): Promise<unknown>;
}
type HocuspocusCtor = new (
  config: Record<string, unknown>,
  websocketOptions?: Record<string, unknown>,
) => HocuspocusServer;

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? '0');
const seedDoc = process.env.SEED_DOC;
const seedFile = process.env.SEED_FILE;

/** Reads the seeded document's stored state, as a store would on every cold load. */
function loadSeed(name: string, doc: Y.Doc): void {
  if (seedDoc === undefined || seedFile === undefined || name !== seedDoc) return;
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

const peer = process.env.PEER;
const started = peer === 'hocuspocus' ? startHocuspocus() : peer === 'y-websocket' ? startYWebsocket() : null;
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
