export { AckTracker } from './ack-tracker.js';
export { type BackoffPolicy, DEFAULT_BACKOFF, nextRetry, type RetryDecision } from './backoff.js';
export { type ConnectionOptions, type ConnectionStatus, type StatusEvent, TandemConnection } from './connection.js';
export { DEFAULT_LIVENESS, type LivenessPolicy, livenessVerdict } from './liveness.js';
export {
  createMultiplexedConnection,
  type ProviderEvents,
  type ProviderOptions,
  TandemProvider,
} from './provider.js';
export {
  InvalidTokenError,
  readToken,
  type TokenSource,
  type WebSocketConstructor,
  type WebSocketLike,
} from './types.js';
