/**
 * WebSocket clients of the comparison. A {@link LoadClient} completes the handshake in the
 * server's own dialect, then only sends pre-framed messages and counts received frames without
 * decoding them. A {@link ProbeClient} also holds a real Y.Doc: it applies every update it
 * receives and reports, per typist of its room, when each of that typist's updates arrived.
 */
import * as decoding from 'lib0/decoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { closeSocket } from '../close-socket.js';
import { type Dialect, hocuspocusAuthFrame, syncStep1Frame, TEXT_NAME, typeOffset } from './frames.js';

/** Where a client connects. */
export interface Target {
  readonly dialect: Dialect;
  url(room: string): string;
}

const SYNC = 0;
const STEP2 = 1;
const UPDATE = 2;

/** A connection that syncs once and then counts what it receives. */
export class LoadClient {
  framesReceived = 0;
  bytesReceived = 0;
  /** Set when the socket closed or failed after the handshake. */
  failure: string | null = null;
  protected readonly offset: number;
  protected syncedResolve: (() => void) | null = null;
  /** performance.now() when the first sync step 2 arrived (the client is synced), or null. */
  syncedAt: number | null = null;
  private step2Waiters: (() => void)[] = [];

  protected constructor(
    readonly ws: WebSocket,
    readonly target: Target,
    readonly room: string,
  ) {
    this.offset = typeOffset(target.dialect, room);
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => this.onFrame(data));
    ws.on('error', (err) => {
      this.failure ??= `socket error: ${err.message}`;
    });
    ws.on('close', (code) => {
      if (!this.closing) this.failure ??= `socket closed by the server (${code})`;
    });
  }

  private closing = false;

  /** Opens a connection to `room` and resolves once the server's sync step 2 has arrived. */
  static open(target: Target, room: string, timeoutMs: number): Promise<LoadClient> {
    return LoadClient.connectAs(target, room, timeoutMs, (ws) => new LoadClient(ws, target, room));
  }

  protected static connectAs<T extends LoadClient>(
    target: Target,
    room: string,
    timeoutMs: number,
    make: (ws: WebSocket) => T,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(target.url(room), { perMessageDeflate: false });
      const client = make(ws);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`${room}: not synced within ${timeoutMs} ms (${client.failure ?? 'no answer'})`));
      }, timeoutMs);
      ws.once('open', () => {
        if (target.dialect === 'hocuspocus') ws.send(hocuspocusAuthFrame(room));
        ws.send(client.firstStep1());
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`${room}: could not connect: ${err.message}`));
      });
      client.syncedResolve = () => {
        clearTimeout(timer);
        resolve(client);
      };
    });
  }

  protected firstStep1(): Buffer {
    return syncStep1Frame(this.target.dialect, this.room);
  }

  /** Sends a pre-framed message. */
  send(frame: Buffer): void {
    this.ws.send(frame);
  }

  /** Sends a sync step 1 with an empty state vector and resolves when the answering step 2 arrives. */
  resync(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.room}: re-sync timed out`)), timeoutMs);
      this.step2Waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.send(syncStep1Frame(this.target.dialect, this.room));
    });
  }

  protected onFrame(data: Buffer): void {
    this.framesReceived += 1;
    this.bytesReceived += data.byteLength;
    if (data[this.offset] === SYNC && data[this.offset + 1] === STEP2) {
      if (this.syncedAt === null) {
        this.syncedAt = performance.now();
        this.syncedResolve?.();
        this.syncedResolve = null;
      } else {
        this.step2Waiters.shift()?.();
      }
    }
  }

  /** Closes the connection (terminates it if the close handshake does not finish in 2 s). */
  close(): Promise<void> {
    this.closing = true;
    return closeSocket(this.ws);
  }
}

/** Scheduled send times (performance.now() ms) of one typist's updates, indexed by Yjs clock. */
export interface TypistSchedule {
  readonly client: number;
  readonly sentAt: Float64Array;
}

/** A load client that also holds a Y.Doc of its room and records delivery latencies. */
export class ProbeClient extends LoadClient {
  readonly doc = new Y.Doc({ gc: false });
  private watched: { schedule: TypistSchedule; seen: number }[] = [];
  private onLatency: (ms: number) => void = () => {};
  private recordFrom = 0;
  decodeErrors = 0;

  /** Opens a probe on `room`; it syncs its Y.Doc from the server's step 2. */
  static openProbe(target: Target, room: string, timeoutMs: number): Promise<ProbeClient> {
    return LoadClient.connectAs(target, room, timeoutMs, (ws) => new ProbeClient(ws, target, room));
  }

  /**
   * Starts recording, for each watched typist, the time from scheduled send to arrival here, for
   * updates scheduled at or after `recordFrom` (performance.now() ms; earlier ones are warm-up).
   */
  watch(typists: readonly TypistSchedule[], onLatency: (ms: number) => void, recordFrom: number): void {
    this.recordFrom = recordFrom;
    this.watched = typists.map((schedule) => ({ schedule, seen: Y.getState(this.doc.store, schedule.client) }));
    this.onLatency = onLatency;
  }

  /** Applies one of this probe's own outgoing updates to its doc (it types too). */
  applyOwn(update: Uint8Array): void {
    Y.applyUpdate(this.doc, update);
  }

  /** Next expected clock of `client` in this probe's doc. */
  clockOf(client: number): number {
    return Y.getState(this.doc.store, client);
  }

  /** The room's text as this probe sees it. */
  text(): string {
    return this.doc.getText(TEXT_NAME).toString();
  }

  protected override onFrame(data: Buffer): void {
    super.onFrame(data);
    try {
      const decoder = decoding.createDecoder(data);
      if (this.offset > 0) decoding.readVarString(decoder);
      if (decoding.readVarUint(decoder) !== SYNC) return;
      const sub = decoding.readVarUint(decoder);
      if (sub !== STEP2 && sub !== UPDATE) return;
      Y.applyUpdate(this.doc, decoding.readVarUint8Array(decoder));
    } catch {
      this.decodeErrors += 1;
      return;
    }
    if (this.watched.length === 0) return;
    const now = performance.now();
    for (const w of this.watched) {
      const state = Y.getState(this.doc.store, w.schedule.client);
      for (let clock = w.seen; clock < state; clock++) {
        const sentAt = w.schedule.sentAt[clock];
        if (sentAt !== undefined && sentAt >= this.recordFrom && sentAt > 0) this.onLatency(now - sentAt);
      }
      w.seen = Math.max(w.seen, state);
    }
  }
}
