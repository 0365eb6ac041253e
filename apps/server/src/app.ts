import type { Socket } from 'node:net';
import { join } from 'node:path';
import websocket from '@fastify/websocket';
import { negotiateSubprotocol } from '@tandem/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, LogController } from 'fastify';
import type { Logger } from 'pino';
import { createTokenVerifier } from './auth/token-verifier.js';
import type { Config } from './config.js';
import { startHeartbeat } from './connection/heartbeat.js';
import type { LiveConnection } from './connection/pipeline-deps.js';
import { type Deadline, deadlineIn } from './deadline.js';
import { documentDeletion } from './document-deletion.js';
import type { Fanout } from './fanout/fanout.js';
import { adminRoutes } from './http/admin-routes.js';
import { ConnectionCounter } from './http/client-address.js';
import { createDocumentAccess } from './http/document-access.js';
import { documentsRoutes } from './http/documents-routes.js';
import { healthRoutes } from './http/health-routes.js';
import { syncRoute } from './http/sync-route.js';
import { versionsRoutes } from './http/versions-routes.js';
import { webApp } from './http/web-app.js';
import { Recorder } from './ops/recorder.js';
import { createPrometheusTelemetry, instrumentFanout, instrumentStore } from './ops/telemetry.js';
import { createWebhookNotifier, notifyingStore } from './ops/webhooks.js';
import { createAutoVersions } from './rooms/auto-versions.js';
import { createCompactor } from './rooms/compactor.js';
import { createPersistenceScheduler, type PersistenceScheduler } from './rooms/persistence-scheduler.js';
import { createRoomRegistry, type RoomRegistry, type ShutdownReport } from './rooms/room-registry.js';
import { DEFAULT_WRITE_POLICY } from './rooms/write-policy.js';
import type { DocStore } from './storage/doc-store.js';
import { createMemoryDocumentDirectory, type DocumentDirectory } from './storage/document-directory.js';
import { createMemoryVersionStore } from './storage/memory-version-store.js';
import type { VersionStore } from './storage/version-store.js';
import { versionRendering } from './versions/version-content.js';
import { createVersionService } from './versions/version-service.js';

/** Everything the app uses that has a lifetime of its own; the caller creates and closes them. */
export interface AppDeps {
  readonly store: DocStore;
  readonly fanout: Fanout;
  readonly logger: Logger;
  /** Titles for the document list (default: in memory). */
  readonly directory?: DocumentDirectory;
  /** Version history (default: in memory). */
  readonly versions?: VersionStore;
}

/** What the app exposes beyond Fastify: the room registry and live connections. */
export interface TandemState {
  readonly registry: RoomRegistry;
  /** Every live socket: a `/sync/<room>` socket as its session, a multiplexed one as its carrier connection. */
  readonly sessions: ReadonlySet<LiveConnection>;
  /** Drains every session by `deadline` (CONN-3); later calls, and `app.close()`, join the first drain. */
  drain(deadline: Deadline): Promise<ShutdownReport>;
}

declare module 'fastify' {
  interface FastifyInstance {
    tandem: TandemState;
  }
}

/** Builds the server. It never listens by itself; `app.close()` drains sessions with 1012 first. */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Sessions are drained in preClose; what is left at close are plain HTTP sockets, which must not hold shutdown.
    forceCloseConnections: true,
    frameworkErrors: (error, request, reply) => {
      // An upgrade request answered with an error must not leave its socket open: nothing else will close it.
      if (request.headers.upgrade !== undefined) reply.raw.once('finish', () => request.raw.socket.destroy());
      void (reply as FastifyReply).code(400).send({ error: 'bad_request', message: error.message });
    },
  });
  const sessions = new Set<LiveConnection>();
  const directory = deps.directory ?? createMemoryDocumentDirectory();
  const versions = deps.versions ?? createMemoryVersionStore();
  let registryRef: RoomRegistry | undefined;
  let persistenceRef: PersistenceScheduler | undefined;
  const { telemetry, registry: metrics } = createPrometheusTelemetry({
    connections: () => sessions.size,
    rooms: () => registryRef?.stats().rooms ?? 0,
    storeBacklogBytes: () => persistenceRef?.pendingBytes ?? 0,
    documentsStored: async () => (await store.list()).length,
    dependencies: async () => {
      const [stored, fannedOut] = await Promise.allSettled([store.check(), fanout.check()]);
      return { store: stored.status === 'fulfilled', fanout: fannedOut.status === 'fulfilled' };
    },
  });
  const notifier = config.webhook === null ? null : createWebhookNotifier(config.webhook, deps.logger);
  // The store and the fan-out are decorated once (commit metrics, webhooks, message metrics), and every
  // path that reads or writes documents — live edits, admin import and export, deletion — uses these.
  const store: DocStore = notifyingStore(instrumentStore(deps.store, telemetry), notifier);
  const fanout: Fanout = instrumentFanout(deps.fanout, telemetry);
  const recorder = new Recorder(join(config.dataDir, 'recordings'));
  // Appends that fail are retried with backoff (acks wait), instead of dropping the room's state.
  const persistence = createPersistenceScheduler(store, {
    retry: { minMs: config.retryMinMs, maxMs: config.retryMaxMs },
    minIntervalMs: config.commitIntervalMs,
    maxPendingBytes: config.maxPendingBytes,
    logger: deps.logger,
  });
  persistenceRef = persistence;
  const registry = createRoomRegistry({
    store,
    fanout,
    persistence,
    compactor: createCompactor({
      store,
      logger: deps.logger,
      policy: { afterUpdates: config.compactAfterUpdates, afterBytes: config.compactAfterBytes },
    }),
    logger: deps.logger,
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
      logger: deps.logger,
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
  const verifier = createTokenVerifier(config.auth);
  const documentAccess = createDocumentAccess({ verifier, adminToken: config.adminToken });
  const heartbeat = startHeartbeat(() => sessions, config.heartbeatIntervalMs);
  // One drain per app, by one deadline, whoever asks first: SIGTERM in main.ts or app.close() (CONN-3, CONN-5).
  // Every TCP connection, upgraded or not, so that none outlives the drain's deadline.
  const connections = new Set<Socket>();
  let refuseConnections = false;
  app.server.on('connection', (socket: Socket) => {
    if (refuseConnections) {
      socket.destroy();
      return;
    }
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
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
  app.decorate('tandem', { registry, sessions, drain });

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
      refuseConnections = true;
      for (const client of wss.clients) client.terminate();
      for (const socket of connections) socket.destroy();
    },
  });
  await app.register(healthRoutes, { store, fanout, persistence });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));
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
    notifier?.close();
    await recorder.close();
  });
  await app.register(documentsRoutes, {
    directory,
    store,
    deleteDocument,
    access: documentAccess,
  });
  await app.register(versionsRoutes, {
    versions,
    service: versionService,
    registry,
    access: documentAccess,
    // The editor's field (@tandem/transform's DEFAULT_FIELD), without loading the transform at start.
    render: versionRendering(async () => (await import('@tandem/transform')).createTransform(), 'default'),
  });
  await app.register(webApp, { webDir: config.webDir });
  await app.register(syncRoute, {
    limits: config,
    registry,
    live: sessions,
    logger: deps.logger,
    verifier,
    connections: new ConnectionCounter(),
    metrics: telemetry,
    recorder,
  });
  return app;
}
