import type { ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';

/** The listener {@link releaseUpgrade} puts on every socket: it logs (one closure per server, none per socket). */
export function socketErrorLogger(log: Logger): (err: Error) => void {
  return (err) => log.warn({ err }, 'websocket error');
}

type TcpSocket = NonNullable<FastifyRequest['raw']['socket']> & { _httpMessage?: ServerResponse | null };

/**
 * @fastify/websocket routes an upgrade through Fastify with a stand-in ServerResponse attached to
 * the TCP socket, and its socket error listener closes over the request and the reply: a few KB
 * per connection (request, response, headers), kept for the connection's whole life although
 * nothing needs them after the handshake. This swaps that listener for `onError`, one listener
 * shared by every socket that only logs (ws closes the socket itself, as before), and detaches the
 * stand-in response.
 */
export function releaseUpgrade(socket: WebSocket, request: FastifyRequest, onError: (err: Error) => void): void {
  socket.removeAllListeners('error');
  socket.on('error', onError);
  const tcp = request.raw.socket as TcpSocket | null;
  const response = tcp?._httpMessage;
  if (tcp != null && response != null) response.detachSocket(tcp);
}
