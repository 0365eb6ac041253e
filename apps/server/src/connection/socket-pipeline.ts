import type { WebSocket } from 'ws';
import type { Connection } from './connection.js';
import { type FrameDecoder, FrameIntake } from './frame-intake.js';
import type { LiveConnection, PipelineDeps } from './pipeline-deps.js';
import type { ProtocolAdapter } from './protocol-adapter.js';

/** One socket's place in the pipeline. */
export interface PipelineEnds<F> {
  /** The socket's transport. */
  readonly connection: Connection;
  /** What stands for the socket among the live ones while it is open. */
  readonly tracked: LiveConnection;
  readonly decode: FrameDecoder<F>;
  readonly adapter: ProtocolAdapter<F>;
  /** Logged with the close code and reason when the socket ends. */
  readonly endedMessage: string;
  /** The client's address, which the socket counts against while it is open (LIMIT-2). */
  readonly address: string;
}

/**
 * Runs one socket through the pipeline: messages into a frame intake (which is its rate limiter) that
 * hands frames to the adapter, WebSocket pongs to the connection's liveness unless it reads them off its stream (CONN-1), and the close
 * to the connection and then the adapter. The socket counts against its address until then (LIMIT-2):
 * one 'close' listener does all of it (every listener, and a third one's array, is kept per socket).
 */
export function runPipeline<F extends { readonly type: string }>(
  socket: WebSocket,
  ends: PipelineEnds<F>,
  deps: Pick<PipelineDeps, 'limits' | 'metrics' | 'live' | 'connections'>,
): void {
  // Locals, not `ends`: the listeners below keep what they name alive for the socket's life.
  const { connection, tracked, adapter, endedMessage, address } = ends;
  const intake = new FrameIntake(connection, deps.limits.rateLimits, deps.metrics, ends.decode, adapter);
  deps.live.add(tracked);
  deps.connections.add(address);
  socket.on('message', (data, isBinary) => intake.receive(data, isBinary));
  // Over a stream, any bytes read answer a ping (a pong is some): no listener needed (one fewer per socket).
  if (!connection.readsAnswerPings) socket.on('pong', () => connection.markAlive());
  socket.on('close', (code, reason) => {
    connection.handleTransportClosed();
    deps.live.delete(tracked);
    deps.connections.remove(address);
    adapter.ended();
    connection.log.info({ code, reason: reason.toString('utf8') }, endedMessage);
  });
}
