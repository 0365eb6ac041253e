/**
 * What the connection layer reports as it works. `ops/telemetry.ts`'s Telemetry satisfies it; the
 * layer depends on this interface only, so connections and sessions never import `ops/`.
 */
export interface ConnectionMetrics {
  /** A frame arrived (`type` is the decoded frame's type, or "undecodable"). */
  frameIn(type: string, bytes: number): void;
  frameOut(bytes: number): void;
  /** The server closed a connection or a session with `code`. */
  closed(code: number): void;
  acked(): void;
}

/** Reports nothing (unit tests, and wherever nobody listens). */
export const NO_CONNECTION_METRICS: ConnectionMetrics = {
  frameIn() {},
  frameOut() {},
  closed() {},
  acked() {},
};
