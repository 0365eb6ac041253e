import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { AccessChangeLog } from './auth/access-changes.js';
import type { Config } from './config.js';
import type { Fanout } from './fanout/fanout.js';
import { createMemoryFanout } from './fanout/memory-fanout.js';
import { describeRedisTopology, redisConnector } from './fanout/redis-connections.js';
import { createRedisFanout } from './fanout/redis-fanout.js';
import type { DocStore } from './storage/doc-store.js';
import type { DocumentDirectory } from './storage/document-directory.js';
import { openPostgresAccessChangeLog } from './storage/postgres-access-change-log.js';
import { openPostgresDocStore } from './storage/postgres-doc-store.js';
import { openPostgresDocumentDirectory } from './storage/postgres-document-directory.js';
import { redactPostgresUrl } from './storage/postgres-hosts.js';
import { openPostgresVersionStore } from './storage/postgres-version-store.js';
import { openSqliteAccessChangeLog } from './storage/sqlite-access-change-log.js';
import { openSqliteDocStore, SQLITE_FILE } from './storage/sqlite-doc-store.js';
import { openSqliteDocumentDirectory } from './storage/sqlite-document-directory.js';
import { openSqliteVersionStore } from './storage/sqlite-version-store.js';
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
  const retry = { minMs: config.retryMinMs, maxMs: config.retryMaxMs };
  const store: DocStore =
    config.databaseUrl === null
      ? await openSqliteDocStore({ dataDir: config.dataDir })
      : openPostgresDocStore({ url: config.databaseUrl, logger });
  const storePath =
    config.databaseUrl === null ? resolve(config.dataDir, SQLITE_FILE) : redactPostgresUrl(config.databaseUrl);
  const storeKind = config.databaseUrl === null ? 'SQLite' : 'Postgres';
  // One Redis, a Sentinel-managed master or a cluster (sharded pub/sub): the fan-out gets its clients from the connector.
  const fanout: Fanout =
    config.redisTopology === null
      ? createMemoryFanout(config.nodeId)
      : createRedisFanout({
          ...redisConnector(config.redisTopology),
          nodeId: config.nodeId,
          logger,
          retry,
          probeMs: config.dependencyProbeMs,
        });
  const fanoutKind =
    config.redisTopology === null ? 'single node (in-memory)' : describeRedisTopology(config.redisTopology, redactUrl);
  // The document list's titles live beside the documents: in SQLite, or in the shared Postgres.
  const directory =
    config.databaseUrl === null
      ? openSqliteDocumentDirectory({ dataDir: config.dataDir })
      : openPostgresDocumentDirectory({ url: config.databaseUrl });
  // Access changes too, so every node refuses the same tokens (decision 0021).
  const accessChanges =
    config.databaseUrl === null
      ? openSqliteAccessChangeLog({ dataDir: config.dataDir })
      : openPostgresAccessChangeLog({ url: config.databaseUrl });
  // Versions live beside the documents too.
  const versions =
    config.databaseUrl === null
      ? openSqliteVersionStore({ dataDir: config.dataDir })
      : openPostgresVersionStore({ url: config.databaseUrl });
  return { store, fanout, directory, accessChanges, versions, storePath, storeKind, fanoutKind };
}

/** A URL fit for logs: the password replaced. */
function redactUrl(raw: string): string {
  const url = new URL(raw);
  if (url.password !== '') url.password = '***';
  return url.toString();
}
