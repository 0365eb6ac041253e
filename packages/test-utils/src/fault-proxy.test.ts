import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { waitFor } from './wait-for.js';

/** The server end of one connection: what it received and how it ended. */
interface ServerSide {
  readonly socket: Socket;
  received: Buffer;
  ended: boolean;
  closed: boolean;
}

/** A local echo server that records each of its sockets. */
interface EchoServer {
  readonly port: number;
  readonly sides: ServerSide[];
  /** When false, received bytes are kept but not echoed. */
  echo: boolean;
  close(): Promise<void>;
}

async function startEchoServer(): Promise<EchoServer> {
  const sides: ServerSide[] = [];
  const state = { echo: true };
  const server: Server = createServer((socket) => {
    const side: ServerSide = { socket, received: Buffer.alloc(0), ended: false, closed: false };
    sides.push(side);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      side.received = Buffer.concat([side.received, chunk]);
      if (state.echo) socket.write(chunk);
    });
    socket.on('end', () => {
      side.ended = true;
    });
    socket.on('close', () => {
      side.closed = true;
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    sides,
    get echo() {
      return state.echo;
    },
    set echo(value: boolean) {
      state.echo = value;
    },
    async close() {
      for (const side of sides) side.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A client socket through the proxy that records what it received and how it ended. */
interface ClientSide {
  readonly socket: Socket;
  received: Buffer;
  readonly arrivals: { at: number; bytes: number }[];
  closed: boolean;
  error: string | null;
}

async function connectClient(port: number): Promise<ClientSide> {
  const socket = connect(port, '127.0.0.1');
  const side: ClientSide = { socket, received: Buffer.alloc(0), arrivals: [], closed: false, error: null };
  socket.on('data', (chunk: Buffer) => {
    side.received = Buffer.concat([side.received, chunk]);
    side.arrivals.push({ at: Date.now(), bytes: chunk.byteLength });
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    side.error = err.code ?? err.message;
  });
  socket.on('close', () => {
    side.closed = true;
  });
  await once(socket, 'connect');
  return side;
}

describe('fault proxy (against a local echo server)', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  const setup = async (seed = 7) => {
    const echo = await startEchoServer();
    closers.push(() => echo.close());
    const proxy: FaultProxy = await startFaultProxy({ targetPort: echo.port, seed });
    closers.push(() => proxy.close());
    const client = async () => {
      const c = await connectClient(proxy.port);
      closers.push(() => {
        c.socket.destroy();
      });
      await waitFor(() => echo.sides.length >= proxy.accepted, { what: 'server side accepted' });
      return c;
    };
    return { echo, proxy, client };
  };

  it('NET-1: forwards both ways unchanged when no fault is injected', async () => {
    const { proxy, client } = await setup();
    const c = await client();
    c.socket.write('hello through the proxy');
    await waitFor(() => c.received.toString() === 'hello through the proxy', { what: 'echo' });
    expect(proxy.connections()).toHaveLength(1);
    expect(proxy.connections()[0]?.bytesToServer).toBe(23);
  });

  it('NET-1: half-open closes the client side and leaves the server side open and silent until the server ends it', async () => {
    const { echo, proxy, client } = await setup();
    const c = await client();
    c.socket.write('before');
    await waitFor(() => c.received.toString() === 'before');
    const [connection] = proxy.connections();
    connection?.inject({ kind: 'half-open' });
    await waitFor(() => c.closed, { what: 'client side closed' });
    expect(proxy.connections()).toHaveLength(0);
    expect(proxy.injected['half-open']).toBe(1);
    // The server keeps talking; nothing comes back and nothing ends its socket.
    const stale = echo.sides[0] as ServerSide;
    stale.socket.write('anyone there?');
    // A second connection's full round trip is the clock: by then the stale side would have seen a FIN.
    const other = await client();
    other.socket.write('ping');
    await waitFor(() => other.received.toString() === 'ping');
    stale.socket.write('still there?');
    const second = echo.sides[1] as ServerSide;
    second.socket.write('!');
    await waitFor(() => other.received.toString() === 'ping!');
    expect(stale.received.toString()).toBe('before');
    expect(stale.ended).toBe(false);
    expect(stale.closed).toBe(false);
    // Only the server's own close (its heartbeat, in real use) ends it; the proxy then lets go.
    stale.socket.destroy();
    await waitFor(() => stale.closed);
  });

  it('NET-1: reset destroys both sides abruptly', async () => {
    const { echo, proxy, client } = await setup();
    const c = await client();
    c.socket.write('x');
    await waitFor(() => c.received.toString() === 'x');
    expect(proxy.injectAll({ kind: 'reset' })).toBe(1);
    await waitFor(() => c.closed && echo.sides[0]?.closed, { what: 'both sides closed' });
    expect(c.error).toBe('ECONNRESET');
  });

  it('NET-1: stall holds every byte for the given time, then delivers what it held, in order', async () => {
    const { proxy, client } = await setup();
    const c = await client();
    const stallMs = 300;
    const startedAt = Date.now();
    proxy.injectAll({ kind: 'stall', ms: stallMs });
    const parts = Array.from({ length: 20 }, (_, i) => `part-${i};`);
    for (const part of parts) c.socket.write(part);
    await waitFor(() => c.received.toString() === parts.join(''), { what: 'held bytes delivered' });
    expect(c.arrivals[0]?.at ?? 0).toBeGreaterThanOrEqual(startedAt + stallMs - 5);
    expect(c.closed).toBe(false);
  });

  it('NET-1: latency and jitter delay every chunk in both directions and keep their order', async () => {
    const { proxy, client } = await setup();
    const c = await client();
    proxy.setConditions({ latencyMs: 60, jitterMs: 40 });
    const rtts: number[] = [];
    let expected = '';
    for (let i = 0; i < 10; i++) {
      const sentAt = Date.now();
      const part = `chunk-${i}.`;
      expected += part;
      c.socket.write(part);
      await waitFor(() => c.received.toString() === expected, { what: `echo of chunk ${i}` });
      rtts.push(Date.now() - sentAt);
    }
    expect(Math.min(...rtts)).toBeGreaterThanOrEqual(2 * 60 - 5);
    // Jitter is random per chunk: the round trips differ.
    expect(new Set(rtts).size).toBeGreaterThan(1);
    // Many chunks written at once still arrive in order.
    const burst = Array.from({ length: 50 }, (_, i) => `b${i},`).join('');
    for (const piece of burst.match(/.{1,7}/g) ?? []) c.socket.write(piece);
    await waitFor(() => c.received.toString() === expected + burst, { what: 'burst in order' });
  });

  it('NET-1: a bandwidth limit paces the bytes (bytes/s) and loses none', async () => {
    const { echo, proxy, client } = await setup();
    echo.echo = false;
    const c = await client();
    proxy.connections()[0]?.setConditions({ bytesPerSecond: 40_000 });
    const payload = Buffer.alloc(20_000, 'a');
    const startedAt = Date.now();
    for (let i = 0; i < 20; i++) c.socket.write(payload.subarray(i * 1000, (i + 1) * 1000));
    const side = echo.sides[0] as ServerSide;
    await waitFor(() => side.received.byteLength === payload.byteLength, { what: 'all bytes through' });
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(side.received.equals(payload)).toBe(true);
  });

  it('NET-1: drop at a random byte forwards a seeded random prefix, then resets; the same seed cuts at the same byte', async () => {
    const offsets: number[] = [];
    for (const seed of [11, 11, 12]) {
      const { echo, proxy, client } = await setup(seed);
      echo.echo = false;
      const c = await client();
      const offset = proxy.connections()[0]?.inject({ kind: 'drop-at-random-byte', maxBytes: 5000 }) ?? -1;
      offsets.push(offset);
      const payload = Buffer.from(Array.from({ length: 8000 }, (_, i) => i % 251));
      c.socket.write(payload);
      await waitFor(() => c.closed && echo.sides[0]?.closed, { what: 'connection dropped' });
      const side = echo.sides[0] as ServerSide;
      expect(side.received.byteLength).toBeLessThanOrEqual(offset);
      expect(side.received.equals(payload.subarray(0, side.received.byteLength))).toBe(true);
    }
    expect(offsets[0]).toBe(offsets[1]);
    expect(offsets[0]).toBeGreaterThanOrEqual(0);
    expect(offsets[0]).toBeLessThanOrEqual(5000);
    expect(offsets[2]).not.toBe(offsets[0]);
  });

  it('NET-1: a fault armed with no connection open hits the next one; retarget sends new connections elsewhere', async () => {
    const { proxy } = await setup();
    expect(proxy.injectAll({ kind: 'half-open' })).toBe(0);
    const first = await connectClient(proxy.port);
    closers.push(() => {
      first.socket.destroy();
    });
    await waitFor(() => first.closed, { what: 'armed half-open hit the next connection' });
    const other = await startEchoServer();
    closers.push(() => other.close());
    proxy.retarget(other.port);
    const c = await connectClient(proxy.port);
    closers.push(() => {
      c.socket.destroy();
    });
    c.socket.write('elsewhere');
    await waitFor(() => other.sides[0]?.received.toString() === 'elsewhere', { what: 'reached the new target' });
    expect(proxy.targetPort).toBe(other.port);
    expect(proxy.connections().map((connection) => connection.targetPort)).toEqual([other.port]);
  });

  it('NET-1: a partition loses bytes silently and hangs new connections; heal resets what lived through it', async () => {
    const { echo, proxy, client } = await setup();
    const c = await client();
    proxy.partition();
    c.socket.write('lost');
    const during = await connectClient(proxy.port);
    closers.push(() => {
      during.socket.destroy();
    });
    expect(proxy.partitioned).toBe(true);
    proxy.heal();
    await waitFor(() => c.closed && during.closed, { what: 'connections from the partition reset' });
    expect(echo.sides[0]?.received.toString()).toBe('');
    const after = await connectClient(proxy.port);
    closers.push(() => {
      after.socket.destroy();
    });
    after.socket.write('back');
    await waitFor(() => after.received.toString() === 'back');
  });
});
