import { CLOSE_CODE_TABLE, decodeFrame, encode, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import type { Rng } from '@tandem/test-utils';
import { WebSocket } from 'ws';
import { type FuzzFrame, mutate } from './fuzz-frames.js';

/** How one offending frame was answered. */
export interface Closure {
  readonly code: number;
  readonly latencyMs: number;
}

/** The codes a client may legitimately see (PROTOCOL.md's table). */
export const DOCUMENTED_CODES: ReadonlySet<number> = new Set(Object.keys(CLOSE_CODE_TABLE).map(Number));

/**
 * One multiplexed fuzzing connection: sends frames for `docs` in batches, waits for a pong
 * after each batch (flow control, so the server is never more than a batch behind), records
 * every close-doc and socket close with its latency, and reopens what was closed.
 */
export class MuxFuzzer {
  readonly closures: Closure[] = [];
  sent = 0;
  private ws!: WebSocket;
  private lastSent = new Map<string, number>();
  private pong: (() => void) | null = null;
  private pingId = 0;

  constructor(
    private readonly url: string,
    private readonly docs: readonly string[],
  ) {}

  async connect(): Promise<void> {
    this.ws = new WebSocket(this.url, [TANDEM_SUBPROTOCOL]);
    this.ws.on('error', () => {});
    const opened = new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    const sentAt = () => Math.max(0, ...this.lastSent.values());
    this.ws.on('message', (data: Buffer) => {
      const decoded = decodeFrame(new Uint8Array(data));
      if (!decoded.ok) return;
      const frame = decoded.frame;
      if (frame.type === 'pong') this.pong?.();
      if (frame.type === 'close-doc') {
        this.closures.push({ code: frame.code, latencyMs: Date.now() - (this.lastSent.get(frame.doc) ?? Date.now()) });
        if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encode.open(frame.doc));
      }
    });
    this.ws.on('close', (code) => {
      this.closures.push({ code, latencyMs: Date.now() - sentAt() });
      this.pong?.();
    });
    await opened;
    for (const doc of this.docs) this.ws.send(encode.open(doc));
  }

  /**
   * Sends `count` frames made by `make` for random documents, then waits for the server to
   * catch up. Frames that end the whole connection (text frames, unwrapped frames) are sent
   * last, one per batch, so they do not cut the batch short.
   */
  async batch(rng: Rng, count: number, make: (rng: Rng) => FuzzFrame, wrapShare = 0.9): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) await this.connect();
    let killer: (() => void) | null = null;
    for (let i = 0; i < count; i++) {
      const frame = make(rng);
      const doc = rng.pick(this.docs);
      if (frame.kind === 'text' || rng.next() >= wrapShare) {
        if (killer === null) {
          killer = () => {
            this.lastSent.set('', Date.now());
            this.ws.send(frame.kind === 'text' ? frame.text : frame.bytes);
          };
          this.sent++;
        }
        continue;
      }
      this.lastSent.set(doc, Date.now());
      // Reopening is a no-op for an open document, and makes every frame land on a live session.
      this.ws.send(encode.open(doc));
      this.ws.send(encode.doc(doc, frame.bytes));
      this.sent++;
    }
    if (killer !== null) (killer as () => void)();
    await this.roundTrip();
  }

  private roundTrip(): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pong = null;
        resolve();
      }, 5_000);
      this.pong = () => {
        clearTimeout(timer);
        this.pong = null;
        resolve();
      };
      this.ws.send(encode.ping(++this.pingId));
    });
  }

  close(): void {
    this.ws?.terminate();
  }
}

/** A fuzz frame generator over the seeds. */
export const fuzzFrames = (seeds: readonly Uint8Array[]) => (rng: Rng) => mutate(rng, seeds);

/** A generator that only replays the well-formed seeds (the baseline load). */
export const validFrames =
  (seeds: readonly Uint8Array[]) =>
  (rng: Rng): FuzzFrame => ({ kind: 'binary', bytes: rng.pick(seeds) });
