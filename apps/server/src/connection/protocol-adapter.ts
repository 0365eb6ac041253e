import type { FrameSink } from './frame-intake.js';

/**
 * The seam where a wire protocol plugs into the pipeline: it takes the frames the intake admitted
 * (decoded by the protocol's own decoder), routes them to the document channels it opens, and
 * leaves those when the socket ends. Plain y-websocket and tandem.v1 on `/sync/<room>` are
 * {@link DocumentAdapter}; tandem.v1 multiplexing on `/sync` is {@link MultiplexAdapter}.
 */
export interface ProtocolAdapter<F> extends FrameSink<F> {
  /** The socket has closed: leave every document. */
  ended(): void;
}
