import { parentPort, workerData } from 'node:worker_threads';
import type { AppendEntry } from './doc-store.js';
import { releaseNow, transferableBuffers } from './owned-bytes.js';
import { openSqliteEngine, type SqliteEngine } from './sqlite-engine.js';
import { openSqliteVersionEngine, type SqliteVersionEngine, type SqliteVersionOp } from './sqlite-version-engine.js';
import { errorOf, lowerThreadPriority, type WorkerReply } from './worker-thread.js';

/** What the store's thread is asked to do (sqlite-doc-store.ts posts these). */
export type SqliteRequest =
  | { readonly id: number; readonly op: 'load'; readonly docId: string }
  | { readonly id: number; readonly op: 'append'; readonly entries: readonly AppendEntry[] }
  | {
      readonly id: number;
      readonly op: 'compact';
      readonly docId: string;
      readonly snapshot: Uint8Array;
      readonly throughSeq: number;
    }
  | { readonly id: number; readonly op: 'delete'; readonly docId: string }
  | { readonly id: number; readonly op: 'list' | 'check' | 'close' }
  /** One operation of the version store (sqlite-version-store.ts), with its arguments. */
  | {
      readonly id: number;
      readonly op: 'version';
      readonly method: SqliteVersionOp;
      readonly args: readonly unknown[];
    };

/** The answer to one request, or the outcome of opening the database (id 0). */
export type SqliteReply = WorkerReply;

/** workerData of the store's thread. */
export interface SqliteWorkerData {
  readonly dataDir: string;
}

/** The thread's databases: the document log, and the versions beside it (opened on first use). */
interface Engines {
  readonly docs: SqliteEngine;
  versions(): SqliteVersionEngine;
  close(): void;
}

/** Runs one request against the engines; the transfer list hands loaded bytes over without a copy. */
function run(engines: Engines, request: SqliteRequest): { value?: unknown; transfer: ArrayBuffer[] } {
  const engine = engines.docs;
  switch (request.op) {
    case 'load': {
      const doc = engine.load(request.docId);
      return { value: doc, transfer: transferableBuffers([doc.snapshot, ...doc.updates.map((u) => u.update)]) };
    }
    case 'append':
      engine.append(request.entries);
      return { transfer: [] };
    case 'compact':
      engine.compact(request.docId, request.snapshot, request.throughSeq);
      // Written: the message's own copy of a large snapshot would otherwise stay until this thread's next full GC.
      releaseNow(request.snapshot);
      return { transfer: [] };
    case 'delete':
      engine.delete(request.docId);
      return { transfer: [] };
    case 'list':
      return { value: engine.list(), transfer: [] };
    case 'check':
      engine.check();
      return { transfer: [] };
    case 'version': {
      const versions = engines.versions();
      const method = versions[request.method] as (...args: readonly unknown[]) => unknown;
      return { value: method(...request.args), transfer: [] };
    }
    case 'close':
      engines.close();
      return { transfer: [] };
    default:
      return request satisfies never;
  }
}

/** Niceness of the store's thread: relaying comes first when both want the same core. */
const STORE_THREAD_NICENESS = 10;

/**
 * The store's thread: owns the database connection, so commits (and their fsync), checksums and
 * loads never block the event loop that relays updates. Requests run one at a time, in order.
 */
function serve(): void {
  const port = parentPort;
  if (port === null) throw new Error('sqlite-worker.js must run as a worker thread');
  const { dataDir } = workerData as SqliteWorkerData;
  lowerThreadPriority(STORE_THREAD_NICENESS);
  let engines: Engines;
  try {
    let versions: SqliteVersionEngine | null = null;
    const docs = openSqliteEngine(dataDir);
    engines = {
      docs,
      versions: () => {
        versions ??= openSqliteVersionEngine({ dataDir });
        return versions;
      },
      close: () => {
        docs.close();
        versions?.close();
      },
    };
  } catch (err) {
    port.postMessage({ id: 0, ok: false, error: errorOf(err) } satisfies SqliteReply);
    return;
  }
  port.postMessage({ id: 0, ok: true } satisfies SqliteReply);
  port.on('message', (request: SqliteRequest) => {
    try {
      const { value, transfer } = run(engines, request);
      port.postMessage({ id: request.id, ok: true, value } satisfies SqliteReply, transfer);
    } catch (err) {
      port.postMessage({ id: request.id, ok: false, error: errorOf(err) } satisfies SqliteReply);
    }
    if (request.op === 'close') port.close();
  });
}

serve();
