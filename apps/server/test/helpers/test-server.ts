import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import { type Config, configWith } from '../../src/config.js';
import type { Fanout } from '../../src/fanout/fanout.js';
import { createMemoryFanout } from '../../src/fanout/memory-fanout.js';
import type { DocStore } from '../../src/storage/doc-store.js';
import { createMemoryDocStore } from '../../src/storage/memory-doc-store.js';

/** One parsed pino log line. */
export type LogLine = Record<string, unknown> & { msg?: string; level: number };

/** An in-process server on a loopback port, with its log lines captured. */
export interface TestServer {
  readonly app: FastifyInstance;
  readonly config: Config;
  readonly store: DocStore;
  /** `ws://127.0.0.1:PORT/sync` — the serverUrl a y-websocket client takes. */
  readonly syncUrl: string;
  readonly httpUrl: string;
  readonly logs: LogLine[];
  /** Log lines whose message is `msg`. */
  logsWith(msg: string): LogLine[];
  close(): Promise<void>;
}

/** Options for {@link startTestServer}. */
export interface TestServerOptions {
  readonly config?: Partial<Config>;
  readonly store?: DocStore;
  readonly fanout?: Fanout;
}

/** Starts a server on 127.0.0.1 with a free port. Close it in `afterEach`. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  // Never the repository's ./data (recordings live under the data directory).
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-inproc-'));
  const config = configWith({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    logLevel: 'debug',
    nodeId: 'test-node',
    webDir: null,
    ...options.config,
  });
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') logs.push(JSON.parse(line) as LogLine);
      }
      callback();
    },
  });
  const logger = pino({ level: config.logLevel }, sink);
  const store = options.store ?? createMemoryDocStore();
  const fanout = options.fanout ?? createMemoryFanout(config.nodeId);
  const app = await buildApp(config, { store, fanout, logger });
  const address = await app.listen({ port: config.port, host: config.host });
  const host = new URL(address).host;
  let closed = false;
  return {
    app,
    config,
    store,
    syncUrl: `ws://${host}/sync`,
    httpUrl: `http://${host}`,
    logs,
    logsWith: (msg) => logs.filter((line) => line.msg === msg),
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await fanout.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
