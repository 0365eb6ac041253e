import type { Logger } from 'pino';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Connection } from './connection.js';
import type { ConnectionMetrics } from './connection-metrics.js';
import type { ChannelLimits, FrameRecorder, RoomDirectory } from './document-channel.js';
import type { RateLimits } from './token-bucket.js';

/** The limits the pipeline applies (config.ts provides them; nothing else of the config is read). */
export interface PipelineLimits extends ChannelLimits {
  /** How long a closed slow consumer's socket lives before it is destroyed (CONN-2). */
  readonly slowCloseGraceMs: number;
  /** Outgoing messages larger than this leave in fragments of this size (CONN-6). */
  readonly sendFragmentBytes: number;
  readonly rateLimits: RateLimits;
  /** Documents one multiplexed connection may hold open (MUX-4). */
  readonly maxDocsPerConnection: number;
}

/** A live socket as the heartbeat, the drain and the connection gauge see it. */
export type LiveConnection = Pick<Connection, 'id' | 'bufferedAmount' | 'heartbeat' | 'close' | 'closed' | 'terminate'>;

/**
 * The live sockets. A one-document socket is there as its session (the drain closes room sessions
 * and these together, each once), a multiplexed one as its carrier connection.
 */
export type LiveConnections = Set<LiveConnection>;

/** What every protocol adapter's connection needs. */
/** Open sockets per client address (LIMIT-2): the pipeline counts each socket while it is open. */
export interface AddressCounts {
  add(address: string): void;
  remove(address: string): void;
}

export interface PipelineDeps {
  readonly limits: PipelineLimits;
  readonly registry: RoomDirectory;
  /** Every live connection (joined or still waiting for its room), for the heartbeat and the drain. */
  readonly live: LiveConnections;
  readonly connections: AddressCounts;
  readonly logger: Logger;
  /** Token verification; null in open mode. */
  readonly verifier: TokenVerifier | null;
  readonly metrics: ConnectionMetrics;
  /** Opt-in recording of inbound frames per room. */
  readonly recorder: FrameRecorder;
}
