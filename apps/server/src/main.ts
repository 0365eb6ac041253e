#!/usr/bin/env node
import { resolve } from 'node:path';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { deadlineIn } from './deadline.js';
import type { Fanout } from './fanout/fanout.js';
import { createMemoryFanout } from './fanout/memory-fanout.js';
import { createRedisFanout } from './fanout/redis-fanout.js';
import type { DocStore } from './storage/doc-store.js';
import { openPostgresDocStore } from './storage/postgres-doc-store.js';
import { openPostgresDocumentDirectory } from './storage/postgres-document-directory.js';
import { openPostgresVersionStore } from './storage/postgres-version-store.js';
import { openSqliteDocStore, SQLITE_FILE } from './storage/sqlite-doc-store.js';
import { openSqliteDocumentDirectory } from './storage/sqlite-document-directory.js';
import { openSqliteVersionStore } from './storage/sqlite-version-store.js';

/**
 * What closing the fan-out, the store and the document directory may take past the shutdown
 * deadline (CONN-5). The drain has handed everything to the store by then; this is only their close.
 */
const CLOSE_MARGIN_MS = 1_000;

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
  const retry = { minMs: config.retryMinMs, maxMs: config.retryMaxMs };
  // Postgres and Redis make a cluster; without them this is one node with its embedded store.
  const store: DocStore =
    config.databaseUrl === null
      ? await openSqliteDocStore({ dataDir: config.dataDir })
      : openPostgresDocStore({ url: config.databaseUrl, logger });
  const storePath = config.databaseUrl === null ? resolve(config.dataDir, SQLITE_FILE) : redactUrl(config.databaseUrl);
  const storeKind = config.databaseUrl === null ? 'SQLite' : 'Postgres';
  const fanout: Fanout =
    config.redisUrl === null
      ? createMemoryFanout(config.nodeId)
      : createRedisFanout({
          url: config.redisUrl,
          nodeId: config.nodeId,
          logger,
          retry,
          probeMs: config.dependencyProbeMs,
        });
  const fanoutKind = config.redisUrl === null ? 'single node (in-memory)' : `Redis ${redactUrl(config.redisUrl)}`;
  // The document list's titles live beside the documents: in SQLite, or in the shared Postgres.
  const directory =
    config.databaseUrl === null
      ? openSqliteDocumentDirectory({ dataDir: config.dataDir })
      : openPostgresDocumentDirectory({ url: config.databaseUrl });
  // Versions live beside the documents too.
  const versions =
    config.databaseUrl === null
      ? openSqliteVersionStore({ dataDir: config.dataDir })
      : openPostgresVersionStore({ url: config.databaseUrl });
  const app = await buildApp(config, { store, fanout, logger, directory, versions });

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    // One deadline for the whole drain, taken now (CONN-5); only closing fan-out and store may take the margin past it.
    const deadline = deadlineIn(config.shutdownTimeoutMs);
    const notClosed = new Set(['fan-out', 'store', 'directory', 'versions']);
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: draining sessions');
    // The drain ends by the deadline by itself (every commit is over or abandoned by then): this only stops a close
    // that hangs. Not unref'd: the process must end here with a code, not drift out with 0 when nothing is left.
    setTimeout(() => {
      logger.error(
        { notClosed: [...notClosed], marginMs: CLOSE_MARGIN_MS },
        'shutdown: not closed within the margin; exiting',
      );
      process.exit(1);
    }, deadline.extendedBy(CLOSE_MARGIN_MS).remaining());
    const close = async (name: string, dependency: { close(): Promise<void> }) => {
      await dependency.close();
      notClosed.delete(name);
    };
    try {
      const drained = app.tandem.drain(deadline);
      await app.close();
      const report = await drained;
      const results = await Promise.allSettled([
        close('fan-out', fanout),
        close('store', store),
        close('directory', directory),
        close('versions', versions),
      ]);
      const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      for (const err of failed) logger.error({ err }, 'shutdown: closing a dependency failed');
      // The drain logged which documents; a non-zero exit tells the supervisor too.
      if (report.unstored > 0) {
        logger.error({ unstored: report.unstored }, 'shutdown incomplete');
        process.exit(1);
      }
      if (failed.length > 0) process.exit(1);
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
  const auth = config.auth;
  const authMode =
    auth.secret !== null
      ? 'JWT (HS256)'
      : auth.publicKey !== null
        ? 'JWT (public key)'
        : auth.jwksUrl !== null
          ? 'JWT (JWKS)'
          : null;
  if (authMode === null) {
    logger.warn(
      'OPEN MODE: no authentication is configured; anyone who can reach this port can read and edit every document',
    );
  }
  logger.info(
    { url: httpUrl, ws: `ws://${url.host}/sync`, store: storePath, fanout: fanoutKind },
    'tandem server listening',
  );
  process.stdout.write(
    `\n  Tandem is running.\n  Open:       ${httpUrl}\n  WebSocket:  ws://${url.host}/sync  (y-websocket serverUrl; room name is appended)\n  Storage:    ${storePath} (${storeKind})\n  Fan-out:    ${fanoutKind}\n  Auth:       ${authMode ?? 'OPEN MODE (no authentication: set AUTH_SECRET, AUTH_PUBLIC_KEY or AUTH_JWKS_URL)'}\n\n`,
  );
}

/** A URL fit for logs: the password replaced. */
function redactUrl(raw: string): string {
  const url = new URL(raw);
  if (url.password !== '') url.password = '***';
  return url.toString();
}

main().catch((err: unknown) => {
  process.stderr.write(`tandem: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
