import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { type TandemDependencies, tandem } from './plugin.js';

export type { TandemState } from './plugin.js';

/** Everything the app uses that has a lifetime of its own; the caller creates and closes them. */
export interface AppDeps extends TandemDependencies {
  readonly logger: Logger;
}

/**
 * Builds the standalone server: a Fastify app whose only plugin is Tandem (PLUGIN-1). It never
 * listens by itself; `app.close()` drains sessions with 1012 first.
 */
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
  const { logger, ...dependencies } = deps;
  await app.register(tandem, { config, dependencies, logger });
  return app;
}
