import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import WebSocket, { WebSocketServer } from 'ws';
import { formatRecordingLine } from '../../src/recording.js';

/** A WebSocket proxy in front of a server that records every client→server frame as JSON Lines. */
export interface RecordingProxy {
  /** `ws://127.0.0.1:PORT/sync` */
  readonly syncUrl: string;
  /** Frames recorded so far. */
  readonly recorded: () => number;
  close(): Promise<void>;
}

/**
 * Starts a proxy to `ws://127.0.0.1:targetPort` that forwards `/sync/<room>` sockets both ways
 * and appends each frame a client sends to `file`, in the recording format the CLI replays.
 */
export async function startRecordingProxy(targetPort: number, file: string): Promise<RecordingProxy> {
  let count = 0;
  const sockets = new Set<WebSocket>();
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    // Mirror the server's negotiation: tandem.v1 when offered, plain otherwise.
    handleProtocols: (offered) => (offered.has(TANDEM_SUBPROTOCOL) ? TANDEM_SUBPROTOCOL : false),
  });
  server.on('connection', (client, request) => {
    const path = request.url ?? '/';
    const room = decodeURIComponent(path.replace(/^\/sync\//, '').replace(/\?.*$/, ''));
    const session = randomUUID();
    const upstream = new WebSocket(`ws://127.0.0.1:${targetPort}${path}`, client.protocol ? [client.protocol] : []);
    sockets.add(client);
    sockets.add(upstream);
    const pending: Buffer[] = [];
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('message', (data: Buffer) => {
      appendFileSync(file, `${formatRecordingLine({ t: Date.now(), room, session, frame: data })}\n`);
      count++;
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data);
      else pending.push(data);
    });
    upstream.on('open', () => {
      for (const data of pending.splice(0)) upstream.send(data);
    });
    upstream.on('message', (data: Buffer) => {
      if (client.readyState === WebSocket.OPEN) client.send(data);
    });
    const closeBoth = (code: number, reason: Buffer) => {
      const safe = code === 1005 || code === 1006 ? 1000 : code;
      if (client.readyState === WebSocket.OPEN) client.close(safe, reason);
      if (upstream.readyState === WebSocket.OPEN) upstream.close(safe, reason);
      if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    syncUrl: `ws://127.0.0.1:${port}/sync`,
    recorded: () => count,
    async close() {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
