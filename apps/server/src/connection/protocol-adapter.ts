import type { WebSocket } from 'ws';
import type { Connection } from './connection.js';
import type { FrameIntake, FrameSink } from './frame-intake.js';

/**
 * The seam where a wire protocol plugs into the pipeline: it takes the frames the intake admitted
 * (its own decoder's frames) and routes them to the document channels it opens, and it leaves
 * them when the socket ends. Plain y-websocket and tandem.v1 on `/sync/<room>` are
 * {@link DocumentAdapter}; tandem.v1 multiplexing on `/sync` is {@link MultiplexAdapter}.
 */
export interface ProtocolAdapter<F> extends FrameSink<F> {
  /** The socket has closed: leave every document. */
  ended(): void;
}

/** A live socket as the heartbeat, the drain and the connection gauge see it. */
export type LiveConnection = Pick<Connection, 'id' | 'bufferedAmount' | 'heartbeat' | 'close' | 'closed' | 'terminate'>;

/**
 * The live sockets. A one-document socket is there as its session (the drain closes room sessions
 * and these together, each once), a multiplexed one as its carrier connection.
 */
export type LiveConnections = Set<LiveConnection>;

/**
 * Runs one socket through the pipeline: messages into the intake (which hands frames to the
 * adapter), WebSocket pongs to the connection's liveness, and the close to the connection and the
 * adapter. `tracked` stands for the socket in `live` while it is open. `endedMessage` is logged with the close code and reason.
 */
export function runPipeline<F>(
  socket: WebSocket,
  connection: Connection,
  tracked: LiveConnection,
  intake: FrameIntake<F & { readonly type: string }>,
  adapter: ProtocolAdapter<F>,
  live: LiveConnections,
  endedMessage: string,
): void {
  live.add(tracked);
  socket.on('message', (data, isBinary) => intake.receive(data, isBinary));
  socket.on('pong', () => connection.markAlive());
  socket.on('close', (code, reason) => {
    connection.handleTransportClosed();
    live.delete(tracked);
    adapter.ended();
    connection.log.info({ code, reason: reason.toString('utf8') }, endedMessage);
  });
}
