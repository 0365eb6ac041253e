import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode, decodeFrame, encode, type Frame, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import {
  createRng,
  type PostgresServer,
  type RunningProcess,
  SERVER_ENTRY,
  startPostgres,
  startProcess,
  startServerProcess,
  startTcpProxy,
  type TcpProxy,
  waitFor,
} from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectRaw, frameOfType, type RawClient } from './helpers/raw-client.js';
import { fetchDocument } from './helpers/tandem-writer.js';

/** Must match CLOSE_MARGIN_MS in src/main.ts: what the process may take past the deadline to close its store. */
const CLOSE_MARGIN_MS = 1000;
/** Scheduling slack on a shared 2-core machine: signal delivery, process exit, the test's own timers. */
const SCHEDULING_SLACK_MS = 500;

/** Blocks for `ms` (fractions allowed; timers round to whole milliseconds). The edit is already on the wire. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy-wait on purpose: the delay between an edit and SIGTERM is the input under test
  }
}

/** One masked binary WebSocket frame, as a client must send it (RFC 6455 §5.3). */
function clientFrame(payload: Uint8Array): Buffer {
  if (payload.byteLength >= 126) throw new Error('clientFrame: short payloads only');
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.of(0x82, 0x80 | payload.byteLength), mask, masked]);
}

/**
 * A peer that completes the WebSocket upgrade and then never answers anything, not even a close
 * frame: the server's side stays half-open until the server gives up on it.
 */
async function connectSilent(port: number, path: string, protocol?: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  const headers = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    ...(protocol === undefined ? [] : [`Sec-WebSocket-Protocol: ${protocol}`]),
  ];
  socket.write(`${headers.join('\r\n')}\r\n\r\n`);
  let head = '';
  // Keeps reading (so nothing backs up) and never writes a byte back.
  socket.on('data', (chunk: Buffer) => {
    if (head.length < 12) head += chunk.toString('latin1');
  });
  await waitFor(() => head.startsWith('HTTP/1.1 101'), { what: `upgrade of a silent peer on ${path}` });
  return socket;
}

/** Inner frames a multiplexed client received for `doc`, with their index among all its frames. */
function innerFrames(client: RawClient, doc: string): { index: number; frame: Frame }[] {
  const out: { index: number; frame: Frame }[] = [];
  for (const [index, frame] of client.frames.entries()) {
    if (frame.type !== 'doc' || frame.doc !== doc) continue;
    const inner = decodeFrame(frame.frame);
    if (inner.ok) out.push({ index, frame: inner.frame });
  }
  return out;
}

/** An update inserting `text` into a fresh document's `content` text. */
function textUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('content').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

describe('the server process', () => {
  let server: RunningProcess | undefined;
  let postgres: PostgresServer | undefined;
  let proxy: TcpProxy | undefined;
  const raw: RawClient[] = [];
  const silent: Socket[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    for (const c of raw.splice(0)) c.close();
    for (const s of silent.splice(0)) s.destroy();
    await server?.stop('SIGKILL');
    server = undefined;
    await proxy?.close();
    proxy = undefined;
    await postgres?.stop();
    postgres = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const start = async (env: Record<string, string> = {}) => {
    const started = await startServerProcess(env);
    server = started.process;
    return started;
  };
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-shutdown-'));
    dirs.push(dir);
    return dir;
  };

  it('CONN-5: an upgrade answered while the server drains, and a peer that never answers the close, do not hold the exit past the deadline', async () => {
    const timeoutMs = 1500;
    const { port } = await start({ SHUTDOWN_TIMEOUT_MS: String(timeoutMs) });
    // A half-open peer keeps the drain busy until the deadline.
    silent.push(await connectSilent(port, '/sync/held'));
    await waitFor(
      async () => (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).includes('tandem_connections 1'),
      {
        what: 'the silent peer joined',
      },
    );
    const signalled = performance.now();
    server?.child.kill('SIGTERM');
    await server?.waitForLine(/shutting down: draining sessions/);
    // A client reconnecting meanwhile is refused; it does not close its socket at once.
    const late = connect(port, '127.0.0.1');
    late.on('error', () => {});
    silent.push(late);
    let head = '';
    late.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
    });
    late.write(
      `GET /sync/held HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await waitFor(() => head.startsWith('HTTP/1.1 503'), { what: 'the late upgrade refused with 503' });
    const exit = await server?.exited;
    const elapsed = performance.now() - signalled;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(elapsed).toBeLessThanOrEqual(timeoutMs + SCHEDULING_SLACK_MS);
  }, 20_000);

  it('CONN-3: SIGTERM closes every session with 1012 and exits 0, quickly', async () => {
    const { syncUrl } = await start();
    for (const room of ['alpha', 'alpha', 'beta']) raw.push(connectRaw(`${syncUrl}/${room}`, [TANDEM_SUBPROTOCOL]));
    raw.push(connectRaw(`${syncUrl}/beta`));
    const mux = connectRaw(syncUrl, [TANDEM_SUBPROTOCOL]);
    raw.push(mux);
    await Promise.all(raw.map((c) => c.opened()));
    mux.send(encode.open('beta'));
    await Promise.all(raw.filter((c) => c !== mux).map((c) => c.waitForFrame(frameOfType('sync-step1'))));
    await waitFor(() => innerFrames(mux, 'beta').some(({ frame }) => frame.type === 'sync-step1'), {
      what: 'sync step 1 on the multiplexed connection',
    });
    raw[0]?.send(encode.syncUpdate(textUpdate('last words')));
    await raw[1]?.waitForFrame(frameOfType('sync-update'));

    const signalled = performance.now();
    server?.child.kill('SIGTERM');
    const exit = await server?.exited;
    const elapsed = performance.now() - signalled;
    expect(exit).toEqual({ code: 0, signal: null });
    const closes = await Promise.all(raw.map((c) => c.waitForClose()));
    for (const closed of closes) expect(closed.code).toBe(CloseCode.serviceRestart);
    expect(server?.lines.some((l) => l.includes('shutdown complete'))).toBe(true);
    // Every peer answers its close at once: nothing waits for SHUTDOWN_TIMEOUT_MS (10 s by default).
    expect(elapsed).toBeLessThan(2000);
  });

  /** How a test talks to one document: a socket of its own on /sync/<room>, or a document of a multiplexed /sync. */
  interface Endpoint {
    readonly room: string;
    /** Connects and resolves once the document is joined (sync step 1 arrived). */
    join(syncUrl: string): Promise<RawClient>;
    sendUpdate(client: RawClient, update: Uint8Array): void;
    /** Index among the client's frames of the ack "persisted through `through`", or -1. */
    ackAt(client: RawClient, through: number): number;
    /** Index of the frame that closes the document with 1012, or -1. */
    closeAt(client: RawClient): number;
  }
  const ownSocket: Endpoint = {
    room: 'late',
    async join(syncUrl) {
      const client = connectRaw(`${syncUrl}/late`, [TANDEM_SUBPROTOCOL]);
      await client.waitForFrame(frameOfType('sync-step1'));
      return client;
    },
    sendUpdate: (client, update) => client.send(encode.syncUpdate(update)),
    ackAt: (client, through) => client.frames.findIndex((f) => f.type === 'ack' && f.through === through),
    // tandem.v1 sessions get the 1012 as a notice frame right before the close frame.
    closeAt: (client) => client.frames.findIndex((f) => f.type === 'notice' && f.code === CloseCode.serviceRestart),
  };
  const multiplexed: Endpoint = {
    room: 'late-mux',
    async join(syncUrl) {
      const client = connectRaw(syncUrl, [TANDEM_SUBPROTOCOL]);
      await client.opened();
      client.send(encode.open('late-mux'));
      await waitFor(() => innerFrames(client, 'late-mux').some(({ frame }) => frame.type === 'sync-step1'), {
        what: 'sync step 1',
      });
      return client;
    },
    sendUpdate: (client, update) => client.send(encode.doc('late-mux', encode.syncUpdate(update))),
    ackAt: (client, through) =>
      innerFrames(client, 'late-mux').find(({ frame }) => frame.type === 'ack' && frame.through === through)?.index ??
      -1,
    closeAt: (client) =>
      client.frames.findIndex(
        (f) => f.type === 'close-doc' && f.doc === 'late-mux' && f.code === CloseCode.serviceRestart,
      ),
  };

  /**
   * Five runs of "edit, a seeded 0–2 ms, SIGTERM" (the race is timing-dependent): in every one the
   * edit's ack arrives before its document's 1012, the process exits 0, and the next process on the
   * same DATA_DIR has the edit.
   */
  const lateEdits = async (endpoint: Endpoint, seed: number) => {
    const rng = createRng(seed);
    const runs: unknown[] = [];
    const expected: unknown[] = [];
    for (const delayMs of Array.from({ length: 5 }, () => rng.next() * 2)) {
      const dir = dataDir();
      const { syncUrl } = await start({ DATA_DIR: dir });
      const client = await endpoint.join(syncUrl);
      raw.push(client);
      // A first edit committed just before makes the next commit wait out COMMIT_INTERVAL_MS: a wider race.
      endpoint.sendUpdate(client, textUpdate('first '));
      await waitFor(() => endpoint.ackAt(client, 1) >= 0, { what: 'ack of the first edit' });
      const text = `late by ${delayMs.toFixed(3)} ms`;
      endpoint.sendUpdate(client, textUpdate(text));
      spin(delayMs);
      server?.child.kill('SIGTERM');

      const closed = await client.waitForClose();
      const ackAt = endpoint.ackAt(client, 2);
      const exit = (await server?.exited)?.code ?? null;
      const next = await start({ DATA_DIR: dir });
      const stored = (await fetchDocument(next.syncUrl, endpoint.room)).getText('content').toString();
      await server?.stop('SIGTERM');
      for (const c of raw.splice(0)) c.close();
      runs.push({
        delayMs,
        closed: closed.code,
        ackedBeforeClose: ackAt >= 0 && ackAt < endpoint.closeAt(client),
        exit,
        stored: stored.includes(text),
      });
      expected.push({ delayMs, closed: CloseCode.serviceRestart, ackedBeforeClose: true, exit: 0, stored: true });
    }
    expect(runs).toEqual(expected);
  };

  it(
    'CONN-3/EXT-3: an edit sent just before SIGTERM on /sync/<room> is acked, then the session closes with 1012',
    () => lateEdits(ownSocket, 6),
    60_000,
  );

  it(
    'CONN-3/MUX-3: an edit sent just before SIGTERM on a multiplexed document is acked, then closed with 1012',
    () => lateEdits(multiplexed, 7),
    60_000,
  );

  it('CONN-5: with the store hanging and peers that never answer the close, the process exits by SHUTDOWN_TIMEOUT_MS + the close margin and logs what it did not store', async () => {
    const timeoutMs = 1500;
    postgres = await startPostgres();
    proxy = await startTcpProxy(postgres.port);
    const { syncUrl, port } = await start({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/postgres`,
      SHUTDOWN_TIMEOUT_MS: String(timeoutMs),
    });
    const writer = connectRaw(`${syncUrl}/stuck`, [TANDEM_SUBPROTOCOL]);
    const reader = connectRaw(`${syncUrl}/stuck`);
    raw.push(writer, reader);
    await writer.waitForFrame(frameOfType('sync-step1'));
    await reader.waitForFrame(frameOfType('sync-step1'));
    writer.send(encode.syncUpdate(textUpdate('stored ')));
    await writer.waitForFrame(frameOfType('ack'));
    // One peer in the room and one multiplexed connection that will never answer the 1012 close.
    silent.push(await connectSilent(port, '/sync/stuck'));
    const muxPeer = await connectSilent(port, '/sync', TANDEM_SUBPROTOCOL);
    muxPeer.write(clientFrame(encode.open('stuck')));
    silent.push(muxPeer);
    await waitFor(
      async () => {
        const live = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).match(
          /^tandem_connections (\d+)/m,
        );
        return live !== null && Number(live[1]) >= 4;
      },
      { what: 'four live connections' },
    );

    // The store stops answering (packets vanish); an edit is applied and relayed but cannot be stored.
    proxy.pause();
    writer.send(encode.syncUpdate(textUpdate('never stored')));
    await waitFor(() => reader.frames.filter((f) => f.type === 'sync-update').length >= 2, {
      what: 'the unstored edit relayed',
    });

    const signalled = performance.now();
    server?.child.kill('SIGTERM');
    const exit = await server?.exited;
    const elapsed = performance.now() - signalled;
    // Exit 1: updates were left unstored. The one deadline bounds the whole drain; the store gets the margin to close.
    expect(exit).toEqual({ code: 1, signal: null });
    expect(elapsed).toBeLessThanOrEqual(timeoutMs + CLOSE_MARGIN_MS + SCHEDULING_SLACK_MS);
    // Clients that answer get a clean 1012 (the store had half the time), the silent ones are cut at the deadline.
    expect((await writer.waitForClose()).code).toBe(CloseCode.serviceRestart);
    expect((await reader.waitForClose()).code).toBe(CloseCode.serviceRestart);
    const terminated = server?.lines.find((l) => l.includes('terminating sockets that did not close'));
    expect(JSON.parse(terminated ?? '{}')).toMatchObject({ open: 2 });
    // Never acked unless stored: the writer saw only the first ack.
    expect(writer.frames.filter((f) => f.type === 'ack').map((f) => (f as { through: number }).through)).toEqual([1]);
    const unstored = server?.lines.find((l) => l.includes('updates not stored'));
    expect(unstored).toBeDefined();
    expect(JSON.parse(unstored as string)).toMatchObject({ pending: 1, documents: ['stuck'] });
    // The hung store could not close either: the process ended at the margin and said so.
    const margin = server?.lines.find((l) => l.includes('not closed within the margin'));
    expect(JSON.parse(margin ?? '{}')).toMatchObject({
      notClosed: expect.arrayContaining(['store']),
      marginMs: CLOSE_MARGIN_MS,
    });
  });

  it('prints the URL to open and the WebSocket URL at start', async () => {
    const { syncUrl } = await start();
    const httpUrl = syncUrl.replace('ws://', 'http://').replace('/sync', '');
    await server?.waitForLine(new RegExp(`Open:\\s+${httpUrl.replaceAll('.', '\\.')}`));
    await server?.waitForLine(new RegExp(`WebSocket:\\s+${syncUrl.replaceAll('.', '\\.')}`));
    const health = await fetch(`${httpUrl}/healthz`);
    expect(health.status).toBe(200);
  });

  it('refuses to start on invalid configuration and names the variable', async () => {
    server = startProcess(process.execPath, [SERVER_ENTRY], { env: { PORT: 'not-a-port' } });
    const exit = await server.exited;
    expect(exit.code).toBe(2);
    await waitFor(() => server?.lines.some((l) => l.includes('PORT')), { what: 'error naming PORT' });
  });
});
