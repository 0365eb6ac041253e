import type { FaultProxy, Rng } from '@tandem/test-utils';
import { WebSocket } from 'ws';
import type * as Y from 'yjs';
import {
  createMultiplexedConnection,
  type StatusEvent,
  type TandemConnection,
  TandemProvider,
  type WebSocketConstructor,
} from '../../../../packages/client/dist/index.js';
import { connectStockClient, type StockClient } from './clients.js';

/** The kinds of client a fault scenario runs side by side. */
export type FaultClientKind = 'stock' | 'tandem' | 'mux';

/** A close a client saw: its code and reason. */
export interface SeenClose {
  readonly at: number;
  readonly code: number;
  readonly reason: string;
}

/** One stretch during which a client was connected and synced. */
export interface LinkEpoch {
  readonly syncedAt: number;
  endedAt: number | null;
  /** The first fault injected into the client's path during this stretch. */
  faultAt: number | null;
}

/** Short @tandem/client timings, so a cut path is noticed and replaced within a second. */
export const FAST_TANDEM_CLIENT = {
  backoff: { baseMs: 50, capMs: 500, restartMinMs: 50, restartSpreadMs: 300, stableAfterMs: 1_000 },
  liveness: { pingIntervalMs: 300, pongTimeoutMs: 500, syncTimeoutMs: 1_500, plainIdleTimeoutMs: 30_000 },
} as const;

/** True for the codes a well-behaved client must never be closed with (NET-4). */
export function isPolicyCode(code: number): boolean {
  return code === 1008 || (code >= 4000 && code <= 4999);
}

/** Up/down history of one client: reconnect times and the stretches it was live. */
export class LinkTimeline {
  readonly epochs: LinkEpoch[] = [];
  readonly reconnectMs: number[] = [];
  private downSince: number | null = null;

  /** True while connected and synced. */
  get up(): boolean {
    const last = this.epochs.at(-1);
    return last !== undefined && last.endedAt === null;
  }

  /** The client saw its connection (or a document of it) go down. */
  markDown(at: number): void {
    const last = this.epochs.at(-1);
    if (last !== undefined && last.endedAt === null) last.endedAt = at;
    this.downSince ??= at;
  }

  /** The client is connected and synced (again). */
  markUp(at: number): void {
    if (this.up) return;
    if (this.downSince !== null) this.reconnectMs.push(at - this.downSince);
    this.downSince = null;
    this.epochs.push({ syncedAt: at, endedAt: null, faultAt: null });
  }

  /**
   * A fault touched the client's path at `at`; the path is whole again at `pathBackAt` (a
   * stall's end). A client already down is timed from then on (NET-5 counts from the path's return).
   */
  markFault(at: number, pathBackAt = at): void {
    const last = this.epochs.at(-1);
    if (last !== undefined && last.endedAt === null) last.faultAt ??= at;
    else if (this.downSince !== null) this.downSince = Math.max(this.downSince, pathBackAt);
  }

  /** True when, at `at`, the client was live on a connection no fault had touched yet (NET-6). */
  liveAndUntouched(at: number): boolean {
    return this.epochs.some(
      (e) => e.syncedAt <= at && (e.endedAt === null || e.endedAt > at) && (e.faultAt === null || e.faultAt > at),
    );
  }
}

/** One document a client edits: its room and what was written and acknowledged. */
export interface ClientDoc {
  readonly room: string;
  readonly doc: Y.Doc;
  /** Tokens pushed to the `tokens` array, in order. */
  readonly written: string[];
  /** Tokens whose update the server acknowledged as durable (tandem clients only). */
  readonly acked: Set<string>;
}

/** A client in a fault scenario, behind its own fault proxy. */
export interface FaultClient {
  readonly name: string;
  readonly kind: FaultClientKind;
  readonly proxy: FaultProxy;
  readonly docs: readonly ClientDoc[];
  readonly timeline: LinkTimeline;
  readonly closes: SeenClose[];
  /** The Yjs client id that carries its presence in the main room. */
  readonly presenceId: number;
  /** One edit: a token, some text and a map entry in one of its documents. */
  edit(rng: Rng): void;
  destroy(): void;
}

const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;

function editDoc(target: ClientDoc, name: string, rng: Rng, onWritten: (token: string) => void): void {
  const token = `${name}:${target.written.length + 1}`;
  target.written.push(token);
  const text = target.doc.getText('content');
  target.doc.transact(() => {
    target.doc.getArray<string>('tokens').push([token]);
    text.insert(rng.int(0, text.length), `${name.slice(0, 1)}${rng.int(0, 9)}`);
    target.doc.getMap<string>('state').set(`k${rng.int(0, 9)}`, token);
  });
  onWritten(token);
}

function clientDoc(room: string, doc: Y.Doc): ClientDoc {
  return { room, doc, written: [], acked: new Set() };
}

/** A stock y-websocket provider through `proxy`. */
export function connectStockFaultClient(
  name: string,
  proxy: FaultProxy,
  room: string,
  token: string | null,
): FaultClient {
  const stock: StockClient = connectStockClient(
    `ws://127.0.0.1:${proxy.port}/sync`,
    room,
    token === null ? {} : { token },
  );
  stock.provider.awareness.setLocalStateField('user', { name });
  const timeline = new LinkTimeline();
  const closes: SeenClose[] = [];
  const doc = clientDoc(room, stock.doc);
  stock.provider.on('sync', (synced: boolean) => {
    if (synced) timeline.markUp(Date.now());
    else timeline.markDown(Date.now());
  });
  stock.provider.on('connection-close', (event: { code: number; reason: string } | null) => {
    timeline.markDown(Date.now());
    closes.push({ at: Date.now(), code: event?.code ?? 1006, reason: event?.reason ?? '' });
  });
  return {
    name,
    kind: 'stock',
    proxy,
    docs: [doc],
    timeline,
    closes,
    presenceId: stock.doc.clientID,
    edit: (rng) => editDoc(doc, name, rng, () => {}),
    destroy: () => stock.destroy(),
  };
}

/** Records a tandem provider's acks: a token is acked once `flush()` after its edit resolved. */
function trackAcks(provider: TandemProvider, target: ClientDoc, token: string): void {
  void provider.flush().then(() => target.acked.add(token));
}

/** Single-document @tandem/client providers, or one multiplexed connection carrying `rooms`. */
export function connectTandemFaultClient(
  name: string,
  proxy: FaultProxy,
  rooms: readonly string[],
  kind: 'tandem' | 'mux',
  doc: () => Y.Doc,
  token: string | null,
): FaultClient {
  const url = `ws://127.0.0.1:${proxy.port}/sync`;
  const auth = token === null ? {} : { token };
  const timeline = new LinkTimeline();
  const closes: SeenClose[] = [];
  let connection: TandemConnection | null = null;
  if (kind === 'mux') {
    connection = createMultiplexedConnection({ url, WebSocket: NodeWebSocket, ...auth, ...FAST_TANDEM_CLIENT });
  } else if (rooms.length !== 1) {
    throw new Error('a single-document client has one room');
  }
  const providers = rooms.map(
    (room) =>
      new TandemProvider(room, doc(), {
        ...(connection === null ? { url } : { connection }),
        ...auth,
        WebSocket: NodeWebSocket,
        crossTab: false,
        offline: false,
        ...FAST_TANDEM_CLIENT,
      }),
  );
  const docs = providers.map((p) => clientDoc(p.room, p.doc));
  const refresh = () => {
    const live = providers.every((p) => p.status === 'connected' && p.synced);
    if (live) timeline.markUp(Date.now());
    else timeline.markDown(Date.now());
  };
  const onStatus = (event: StatusEvent) => {
    if (event.code !== undefined && event.status !== 'connected' && event.status !== 'connecting') {
      closes.push({ at: Date.now(), code: event.code, reason: event.reason ?? '' });
    }
    refresh();
  };
  (connection ?? providers[0]?.connection)?.on('status', onStatus);
  for (const p of providers) {
    p.awareness.setLocalStateField('user', { name });
    p.on('synced', refresh);
    // A multiplexed document closed on its own (close-doc) reports it here, not as a status.
    p.on('error', (error) => {
      if (connection !== null) closes.push({ at: Date.now(), code: error.code, reason: error.reason });
    });
  }
  return {
    name,
    kind,
    proxy,
    docs,
    timeline,
    closes,
    presenceId: (providers[0] as TandemProvider).doc.clientID,
    edit(rng) {
      const i = rng.int(0, providers.length - 1);
      const target = docs[i] as ClientDoc;
      editDoc(target, name, rng, (token) => trackAcks(providers[i] as TandemProvider, target, token));
    },
    destroy() {
      for (const p of providers) {
        p.destroy();
        p.doc.destroy();
      }
      connection?.destroy();
    },
  };
}
