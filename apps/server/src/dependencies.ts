import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { AccessChangeLog } from './auth/access-changes.js';
import type { Config } from './config.js';
import type { Fanout } from './fanout/fanout.js';
import { createMemoryFanout } from './fanout/memory-fanout.js';
import type { DocStore } from './storage/doc-store.js';
import type { DocumentDirectory } from './storage/document-directory.js';
import { redactPostgresUrl } from './storage/postgres-hosts.js';
import { openSqliteAccessChangeLog } from './storage/sqlite-access-change-log.js';
import { SQLITE_FILE, sqliteDocStoreOn } from './storage/sqlite-doc-store.js';
import { openSqliteDocumentDirectory } from './storage/sqlite-document-directory.js';
import { openSqliteThread } from './storage/sqlite-thread.js';
import { sqliteVersionStoreOn } from './storage/sqlite-version-store.js';
import type { VersionStore } from './storage/version-store.js';

/** The store, fan-out and directory a configuration names, and how to describe them in logs. */
export interface Dependencies {
  readonly store: DocStore;
  readonly fanout: Fanout;
  readonly directory: DocumentDirectory;
  /** Revocations and pushed permissions (REVOKE-2), beside the documents. */
  readonly accessChanges: AccessChangeLog;
  /** Version history, beside the documents. */
  readonly versions: VersionStore;
  /** Where the documents live (a file path, or the Postgres URL with its password redacted). */
  readonly storePath: string;
  readonly storeKind: 'SQLite' | 'Postgres';
  readonly fanoutKind: string;
}

/**
 * Opens what `config` names: Postgres and Redis make a cluster; without them this is one node with
 * its embedded store. The caller closes `store`, `fanout`, `directory`, `accessChanges` and `versions`.
 */
export async function openDependencies(config: Config, logger: Logger): Promise<Dependencies> {
  const stores =
    config.databaseUrl === null ? await openEmbedded(config) : await openShared(config.databaseUrl, logger);
  const fanout = await openFanout(config, logger);
  return { ...stores, ...fanout };
}

type Stores = Pick<Dependencies, 'store' | 'directory' | 'accessChanges' | 'versions' | 'storePath' | 'storeKind'>;

/** One node's embedded SQLite: documents, their titles, access changes and versions side by side in DATA_DIR. */
async function openEmbedded(config: Config): Promise<Stores> {
  // The document log and the versions share the store's thread; each releases it once.
  const thread = openSqliteThread({ dataDir: config.dataDir, users: 2 });
  try {
    await thread.opened;
  } catch (err) {
    await Promise.allSettled([thread.close(), thread.close()]);
    throw err;
  }
  return {
    store: sqliteDocStoreOn(thread),
    // The document list's titles live beside the documents.
    directory: openSqliteDocumentDirectory({ dataDir: config.dataDir }),
    // Access changes too, so every node refuses the same tokens (decision 0021).
    accessChanges: openSqliteAccessChangeLog({ dataDir: config.dataDir }),
    versions: sqliteVersionStoreOn(thread),
    storePath: resolve(config.dataDir, SQLITE_FILE),
    storeKind: 'SQLite',
  };
}

/** The shared Postgres of a cluster; its driver is loaded only when one is configured. */
async function openShared(url: string, logger: Logger): Promise<Stores> {
  const [{ openPostgresDocStore }, { openPostgresDocumentDirectory }, { openPostgresAccessChangeLog }, versionsModule] =
    await Promise.all([
      import('./storage/postgres-doc-store.js'),
      import('./storage/postgres-document-directory.js'),
      import('./storage/postgres-access-change-log.js'),
      import('./storage/postgres-version-store.js'),
    ]);
  return {
    store: openPostgresDocStore({ url, logger }),
    directory: openPostgresDocumentDirectory({ url }),
    accessChanges: openPostgresAccessChangeLog({ url }),
    versions: versionsModule.openPostgresVersionStore({ url }),
    storePath: redactPostgresUrl(url),
    storeKind: 'Postgres',
  };
}

/**
 * One Redis, a Sentinel-managed master or a cluster (sharded pub/sub): the fan-out gets its clients
 * from the connector; without Redis this is one node and its fan-out is in memory. The Redis client
 * library is loaded only when Redis is configured.
 */
async function openFanout(config: Config, logger: Logger): Promise<Pick<Dependencies, 'fanout' | 'fanoutKind'>> {
  if (config.redisTopology === null) {
    return { fanout: createMemoryFanout(config.nodeId), fanoutKind: 'single node (in-memory)' };
  }
  const [{ describeRedisTopology, redisConnector }, { createRedisFanout }] = await Promise.all([
    import('./fanout/redis-connections.js'),
    import('./fanout/redis-fanout.js'),
  ]);
  const fanout: Fanout = createRedisFanout({
    ...redisConnector(config.redisTopology),
    nodeId: config.nodeId,
    logger,
    retry: { minMs: config.retryMinMs, maxMs: config.retryMaxMs },
    probeMs: config.dependencyProbeMs,
  });
  return { fanout, fanoutKind: describeRedisTopology(config.redisTopology, redactUrl) };
}

/** A URL fit for logs: the password replaced. */
function redactUrl(raw: string): string {
  const url = new URL(raw);
  if (url.password !== '') url.password = '***';
  return url.toString();
}
