import type { Socket } from 'node:net';
import { join } from 'node:path';
import websocket from '@fastify/websocket';
import { negotiateSubprotocol } from '@tandem/protocol';
import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { Logger } from 'pino';
import { createAccessEnforcer } from './access-enforcer.js';
import { type AccessChangeLog, changeAwareVerifier, createMemoryAccessChangeLog } from './auth/access-changes.js';
import { loadTokenVerifier } from './auth/load-token-verifier.js';
import { type Config, configWith } from './config.js';
import { startHeartbeat } from './connection/heartbeat.js';
import type { LiveConnection } from './connection/pipeline-deps.js';
import type { Session } from './connection/session.js';
import { type Deadline, deadlineIn } from './deadline.js';
import { openDependencies } from './dependencies.js';
import { documentDeletion } from './document-deletion.js';
import type { Fanout } from './fanout/fanout.js';
import { accessRoutes } from './http/access-routes.js';
import { adminRoutes } from './http/admin-routes.js';
import { ConnectionCounter } from './http/client-address.js';
import { contentRoutes } from './http/content-routes.js';
import { createDocumentAccess } from './http/document-access.js';
import { documentsRoutes } from './http/documents-routes.js';
import { healthRoutes } from './http/health-routes.js';
import { OpenSockets } from './http/open-sockets.js';
import { openApi } from './http/openapi.js';
import { syncRoute } from './http/sync-route.js';
import { versionsRoutes } from './http/versions-routes.js';
import { webApp } from './http/web-app.js';
import { createInProcessDocuments, type InProcessDocuments } from './in-process-documents.js';
import { Recorder } from './ops/recorder.js';
import { createPrometheusTelemetry, instrumentFanout, instrumentStore } from './ops/telemetry.js';
import { createWebhookNotifier, notifyingStore } from './ops/webhooks.js';
import { createAutoVersions } from './rooms/auto-versions.js';
import { createCompactor } from './rooms/compactor.js';
import { currentDoc } from './rooms/current-doc.js';
import { createPersistenceScheduler, type PersistenceScheduler } from './rooms/persistence-scheduler.js';
import { createRoomRegistry, type RoomRegistry, type ShutdownReport } from './rooms/room-registry.js';
import { DEFAULT_WRITE_POLICY } from './rooms/write-policy.js';
import type { DocStore } from './storage/doc-store.js';
import { createMemoryDocumentDirectory, type DocumentDirectory } from './storage/document-directory.js';
import { createMemoryVersionStore } from './storage/memory-version-store.js';
import { openSnapshotThread } from './storage/snapshot-thread.js';
import type { VersionStore } from './storage/version-store.js';
import { lazyTransform } from './transform-loader.js';
import { versionRendering } from './versions/version-content.js';
import { createVersionService } from './versions/version-service.js';

/** Everything the server uses that has a lifetime of its own; whoever creates them closes them. */
export interface TandemDependencies {
  readonly store: DocStore;
  readonly fanout: Fanout;
  /** Titles for the document list (default: in memory). */
  readonly directory?: DocumentDirectory;
  /** Revocations and pushed permissions, where every node reads them (default: in memory; REVOKE-2). */
  readonly accessChanges?: AccessChangeLog;
  /** Version history (default: in memory). */
  readonly versions?: VersionStore;
}

/** Options of the Tandem plugin (PLUGIN-1). */
export interface TandemOptions {
  /**
   * The same settings as the environment configuration (README "Configuration"), any subset:
   * what is left out takes the default the environment loader gives it.
   */
  readonly config?: Partial<Config>;
  /**
   * The store, fan-out and directory to use; the caller closes them. Without them the plugin opens
   * what `config` names (SQLite in `dataDir`, or Postgres and Redis) and closes them when the host closes.
   */
  readonly dependencies?: TandemDependencies;
  /** The logger (default: the host's). */
  readonly logger?: Logger;
}

/** What the plugin exposes on the host as `app.tandem`. */
export interface TandemState {
  /** The configuration in effect, defaults filled in. */
  readonly config: Config;
  readonly registry: RoomRegistry;
  /** Every live socket: a `/sync/<room>` socket as its session, a multiplexed one as its carrier connection. */
  readonly sessions: ReadonlySet<LiveConnection>;
  /** Open, read, change and watch documents from inside the host application (PLUGIN-2, PLUGIN-3). */
  readonly documents: InProcessDocuments;
  /** Drains every session by `deadline` (CONN-3); later calls, and `app.close()`, join the first drain. */
  drain(deadline: Deadline): Promise<ShutdownReport>;
}

declare module 'fastify' {
  interface FastifyInstance {
    tandem: TandemState;
  }
}

/**
 * Tandem inside a Fastify application (PLUGIN-1): `await app.register(tandem, options)` adds the
 * sync endpoint, the HTTP APIs and `app.tandem`; the host's `close()` drains Tandem's sessions
 * (CONN-3) and closes what the plugin opened. It registers `@fastify/websocket` itself.
 */
async function tandemPlugin(app: FastifyInstance, options: TandemOptions): Promise<void> {
  // A setting given as undefined (an unset environment variable passed through) keeps its default.
  const given = Object.entries(options.config ?? {}).filter(([, value]) => value !== undefined);
  const config = configWith(Object.fromEntries(given) as Partial<Config>);
  const logger = options.logger ?? (app.log as unknown as Logger);
  const owned = options.dependencies === undefined ? await openDependencies(config, logger) : null;
  const deps = owned ?? (options.dependencies as TandemDependencies);
  if (owned !== null) {
    // After the drain (preClose): the store has taken everything by then.
    app.addHook('onClose', async () => {
      await Promise.allSettled([
        owned.fanout.close(),
        owned.store.close(),
        owned.directory.close(),
        owned.accessChanges.close(),
        owned.versions.close(),
      ]);
    });
  }
  const sessions = new Set<LiveConnection>();
  const directory = deps.directory ?? createMemoryDocumentDirectory();
  const versions = deps.versions ?? createMemoryVersionStore();
  let registryRef: RoomRegistry | undefined;
  let persistenceRef: PersistenceScheduler | undefined;
  const {
    telemetry,
    registry: metrics,
    scrape,
  } = createPrometheusTelemetry({
    connections: () => sessions.size,
    rooms: () => registryRef?.stats().rooms ?? 0,
    storeBacklogBytes: () => persistenceRef?.pendingBytes ?? 0,
    documentsStored: async () => (await store.list()).length,
    dependencies: async () => {
      const [stored, fannedOut] = await Promise.allSettled([store.check(), fanout.check()]);
      return { store: stored.status === 'fulfilled', fanout: fannedOut.status === 'fulfilled' };
    },
  });
  // The content API and webhook payloads read and write documents in the editor's schema.
  const transform = lazyTransform();
  const webhookContent =
    config.webhookContent === null
      ? null
      : { format: config.webhookContent, read: (id: string) => currentDoc(registry, store, id), transform };
  const notifier = config.webhook === null ? null : createWebhookNotifier(config.webhook, logger, webhookContent);
  // The store and the fan-out are decorated once (commit metrics, webhooks, message metrics), and every
  // path that reads or writes documents — live edits, admin import and export, deletion — uses these.
  const store: DocStore = notifyingStore(instrumentStore(deps.store, telemetry), notifier);
  const fanout: Fanout = instrumentFanout(deps.fanout, telemetry);
  const recorder = new Recorder(join(config.dataDir, 'recordings'));
  // Compactions and the loads of large documents merge on a thread of their own, started when one runs (snapshot-thread.ts).
  const snapshots = openSnapshotThread();
  // Appends that fail are retried with backoff (acks wait), instead of dropping the room's state.
  const persistence = createPersistenceScheduler(store, {
    retry: { minMs: config.retryMinMs, maxMs: config.retryMaxMs },
    minIntervalMs: config.commitIntervalMs,
    awaitedIntervalMs: config.ackCommitIntervalMs,
    maxPendingBytes: config.maxPendingBytes,
    logger: logger,
  });
  persistenceRef = persistence;
  const registry = createRoomRegistry({
    store,
    fanout,
    persistence,
    compactor: createCompactor({
      store,
      logger: logger,
      policy: { afterUpdates: config.compactAfterUpdates, afterBytes: config.compactAfterBytes, spread: true },
      snapshots,
    }),
    snapshots,
    logger: logger,
    idleMs: config.roomIdleMs,
    awarenessTimeoutMs: config.awarenessTimeoutMs,
    // The configured part of the write policy; the rest keeps the rooms' defaults.
    writePolicy: {
      ...DEFAULT_WRITE_POLICY,
      readOnlyPresence: config.readOnlyPresence,
      maxAwarenessStateBytes: config.maxAwarenessStateBytes,
    },
    versions: createAutoVersions({
      versions,
      logger,
      merger: snapshots,
      policy: {
        idleMs: config.versions.idleMs,
        maxIntervalMs: config.versions.maxIntervalMs,
        retention: { keepAllMs: config.versions.keepAllMs, hourlyMs: config.versions.hourlyMs },
      },
    }),
  });
  registryRef = registry;
  const versionService = createVersionService({ versions, registry });
  const deleteDocument = documentDeletion({
    closeRoom: (id, code, reason) => registry.closeRoom(id, code, reason),
    store,
    directory,
    versions,
  });
  // One verifier for every endpoint: the sync socket and the document HTTP APIs (AUTH-8).
  // Every verification sees the access changes made since its token was issued (REVOKE-2).
  const accessChanges = deps.accessChanges ?? createMemoryAccessChangeLog();
  const tokens = await loadTokenVerifier(config.auth);
  const verifier = tokens === null ? null : changeAwareVerifier(tokens, accessChanges);
  const enforcer = createAccessEnforcer({
    log: accessChanges,
    fanout,
    members: () => registry.members(),
    logger,
  });
  const documentAccess = createDocumentAccess({ verifier, adminToken: config.adminToken });
  const heartbeat = startHeartbeat(() => sessions, config.heartbeatIntervalMs);
  // One drain per app, by one deadline, whoever asks first: SIGTERM in main.ts or app.close() (CONN-3, CONN-5).
  // Every TCP connection, so that none outlives the drain's deadline: ours until it becomes a
  // WebSocket client, the WebSocket server's from then on.
  const openSockets = new OpenSockets();
  app.server.on('connection', (socket: Socket) => openSockets.add(socket));
  let draining: Promise<ShutdownReport> | null = null;
  let drainDeadline: Deadline | null = null;
  const drain = (deadline: Deadline): Promise<ShutdownReport> => {
    drainDeadline ??= deadline;
    draining ??= (async () => {
      heartbeat.stop();
      // Multiplexed connections and sessions still waiting for a room are closed with the room sessions.
      const report = await registry.shutdown(deadline, sessions);
      // Sockets that never became a session (still authenticating their upgrade) must not hold the close.
      for (const client of app.websocketServer.clients) client.terminate();
      return report;
    })();
    return draining;
  };
  const documents = createInProcessDocuments({ registry, logger });
  app.decorate('tandem', { config, registry, sessions, documents, drain });

  await app.register(websocket, {
    options: {
      maxPayload: config.maxMessageBytes,
      perMessageDeflate: false,
      handleProtocols: (offered) => {
        const negotiated = negotiateSubprotocol(offered);
        return negotiated.kind === 'plain' ? false : negotiated.selected;
      },
    },
    errorHandler: (err, _socket, request) => {
      // ws closes the socket itself (e.g. 1009 for an oversized frame); this only records why.
      request.log.warn({ err }, 'websocket error');
    },
    preClose: async function drainOnClose(this: FastifyInstance) {
      // A drain main.ts already started at SIGTERM keeps its deadline; this one is ignored then.
      await drain(deadlineIn(config.shutdownTimeoutMs));
      const wss = this.websocketServer;
      const closed = new Promise<void>((resolve) => wss.close(() => resolve()));
      // A socket that upgraded while the drain ran, or one whose close handshake never completes
      // (a half-open peer), must not hold the close past the deadline (CONN-5).
      await (drainDeadline as Deadline).race(closed);
      // Then nothing may hold the HTTP server's close: an upgrade answered 503 while closing keeps
      // its socket open (Node hands upgrade sockets over and never closes them), and so does a
      // half-open peer. The drain is over, so every remaining connection goes, and new ones too.
      for (const client of wss.clients) client.terminate();
      openSockets.destroyAll();
    },
  });
  // Before every route, so the description covers all that carry schemas.
  await openApi(app);
  await app.register(healthRoutes, { store, fanout, persistence });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await scrape()));
  await app.register(adminRoutes, {
    adminToken: config.adminToken,
    store,
    directory,
    registry,
    deleteDocument,
    recorder,
    recordingMaxBytes: config.recordingMaxBytes,
    versionService,
  });
  app.addHook('onClose', async () => {
    enforcer.close();
    notifier?.close();
    await Promise.all([recorder.close(), snapshots.close()]);
  });
  await app.register(accessRoutes, { adminToken: config.adminToken, enforcer, ttlMs: config.accessChangeTtlMs });
  await app.register(documentsRoutes, {
    directory,
    store,
    deleteDocument,
    access: documentAccess,
  });
  await app.register(contentRoutes, {
    access: documentAccess,
    registry,
    store,
    transform,
    limits: config.content,
  });
  await app.register(versionsRoutes, {
    versions,
    service: versionService,
    registry,
    exists: async (id) =>
      (await directory.get(id)) !== null || registry.get(id) !== undefined || (await store.list()).includes(id),
    access: documentAccess,
    render: versionRendering(transform),
  });
  await app.register(webApp, { webDir: config.webDir });
  // Sessions take the access changes this node saw while their token was being verified, before and after the join.
  const admittingRegistry = {
    async join(session: Session) {
      enforcer.admit(session);
      const room = await registry.join(session);
      enforcer.admit(session);
      return room;
    },
    leave: (session: Session) => registry.leave(session),
    // Hocuspocus stateless messages read a room's members (HP-8).
    get: (roomId: string) => registry.get(roomId),
  };
  await app.register(syncRoute, {
    limits: config,
    registry: admittingRegistry,
    live: sessions,
    logger: logger,
    verifier,
    connections: new ConnectionCounter(),
    sockets: openSockets,
    metrics: telemetry,
    recorder,
  });
}

/** The Tandem Fastify plugin (PLUGIN-1); not encapsulated, so `app.tandem` is the host's. */
export const tandem = fastifyPlugin(tandemPlugin, { fastify: '5.x', name: '@tandem/server' });

export type { Config } from './config.js';
export { DocumentChangeError, type DocumentHandle, type InProcessDocuments } from './in-process-documents.js';
