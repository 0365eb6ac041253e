import { CloseCode } from '@tandem/protocol';
import type { RawData } from 'ws';
import type { ConnectionMetrics } from './connection-metrics.js';
import { ConnectionRateLimiter, type RateLimits } from './token-bucket.js';

/** A wire protocol's decoder: bytes to one of its frames, or why not. */
export type FrameDecoder<F> = (
  bytes: Uint8Array,
) => { readonly ok: true; readonly frame: F } | { readonly ok: false; readonly error: { readonly message: string } };

/** Where admitted frames go: a protocol adapter. */
export interface FrameSink<F> {
  /** One decoded frame; `bytes` is its encoding and views the socket's buffer (copy to keep it). */
  frame(frame: F, bytes: Uint8Array): void;
}

/** The connection frames arrive on, as the intake sees it: refused frames close it. */
export interface IntakeConnection {
  readonly isOpen: boolean;
  close(code: number, reason: string): void;
}

/**
 * Turns each WebSocket message into a frame or a refusal: a text frame closes the connection with
 * 1007, a frame over the connection's rate limits with 1008 (LIMIT-1; the intake is the connection's
 * rate limiter too), an undecodable one with 1007; every frame is counted by type. Nothing here
 * allocates beyond the decoder's result: it runs for every frame.
 */
export class FrameIntake<F extends { readonly type: string }> extends ConnectionRateLimiter {
  constructor(
    private readonly connection: IntakeConnection,
    limits: RateLimits,
    private readonly metrics: Pick<ConnectionMetrics, 'frameIn'>,
    private readonly decode: FrameDecoder<F>,
    private readonly sink: FrameSink<F>,
    now?: () => number,
  ) {
    super(limits, now);
  }

  /** Takes one message as ws delivers it. */
  receive(data: RawData, isBinary: boolean): void {
    if (!this.connection.isOpen) return;
    if (!isBinary) {
      this.connection.close(CloseCode.undecodable, 'text frames are not part of the protocol; send binary frames');
      return;
    }
    const bytes = toBytes(data);
    if (!this.admit(bytes.byteLength)) {
      this.connection.close(CloseCode.policyViolation, 'rate limit exceeded');
      return;
    }
    const decoded = this.decode(bytes);
    if (!decoded.ok) {
      this.metrics.frameIn('undecodable', bytes.byteLength);
      this.connection.close(CloseCode.undecodable, `undecodable frame: ${decoded.error.message}`);
      return;
    }
    this.metrics.frameIn(decoded.frame.type, bytes.byteLength);
    this.sink.frame(decoded.frame, bytes);
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}
