#!/usr/bin/env node
import { resolve } from 'node:path';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createMemoryFanout } from './fanout/memory-fanout.js';
import { openSqliteDocStore, SQLITE_FILE } from './storage/sqlite-doc-store.js';

/** The only side-effecting entry: config → deps → listen → signals. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tandem: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel, base: { node: config.nodeId } });
  const store = openSqliteDocStore({ dataDir: config.dataDir });
  const storePath = resolve(config.dataDir, SQLITE_FILE);
  const fanout = createMemoryFanout(config.nodeId);
  const app = await buildApp(config, { store, fanout, logger });

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining sessions');
    const force = setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5_000);
    force.unref();
    try {
      await app.close();
      await fanout.close();
      await store.close();
      logger.info('shutdown complete');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', (s) => void stop(s));
  process.on('SIGINT', (s) => void stop(s));

  const address = await app.listen({ port: config.port, host: config.host });
  const url = new URL(address);
  const httpUrl = `http://${url.host}`;
  logger.warn(
    'open mode: no authentication is configured, anyone who can reach this port can read and edit every document',
  );
  logger.info({ url: httpUrl, ws: `ws://${url.host}/sync`, store: storePath }, 'tandem server listening');
  process.stdout.write(
    `\n  Tandem is running.\n  Open:       ${httpUrl}\n  WebSocket:  ws://${url.host}/sync  (y-websocket serverUrl; room name is appended)\n  Storage:    ${storePath} (SQLite)\n\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`tandem: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
