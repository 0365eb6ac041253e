import { createServer, type Server, Socket } from 'node:net';

/** A loopback TCP proxy a test can pause to cut one process off from a service. */
export interface TcpProxy {
  /** The port clients connect to instead of the target's. */
  readonly port: number;
  /**
   * Partitions: from now on no byte passes in either direction, and connections are not closed
   * (packets vanish, as on a broken network), so the client must notice by itself.
   */
  pause(): void;
  /** Heals: connections opened before or during the pause are reset; new ones pass normally. */
  resume(): void;
  readonly paused: boolean;
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket | null;
  /** Lived through a pause: bytes were lost on it, so it is reset at resume. */
  tainted: boolean;
}

/** Starts a proxy on 127.0.0.1 that forwards to 127.0.0.1:`targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let paused = false;
  const drop = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };
  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (paused) {
      // A connection attempt during a partition hangs: its bytes go nowhere.
      const pair: Pair = { client, upstream: null, tainted: true };
      pairs.add(pair);
      client.on('data', () => {});
      client.on('close', () => pairs.delete(pair));
      return;
    }
    const upstream = new Socket();
    const pair: Pair = { client, upstream, tainted: false };
    pairs.add(pair);
    upstream.on('error', () => drop(pair));
    client.on('close', () => drop(pair));
    upstream.on('close', () => drop(pair));
    // Forward only while not paused; bytes during a pause are discarded like lost packets.
    client.on('data', (chunk) => {
      if (!paused) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!paused) client.write(chunk);
    });
    upstream.connect(targetPort, '127.0.0.1');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    get paused() {
      return paused;
    },
    pause() {
      paused = true;
      // Existing connections now silently lose bytes; from here they can never be trusted again.
      for (const pair of pairs) pair.tainted = true;
    },
    resume() {
      paused = false;
      for (const pair of [...pairs]) if (pair.tainted) drop(pair);
    },
    async close() {
      for (const pair of [...pairs]) drop(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
