import type { FastifyInstance } from 'fastify';
import type { Fanout } from '../fanout/fanout.js';
import type { DocStore } from '../storage/doc-store.js';

/** Dependencies the readiness probe checks. */
export interface HealthDeps {
  readonly store: DocStore;
  readonly fanout: Fanout;
}

/** GET /healthz (the process answers) and GET /readyz (its dependencies answer). */
export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const [store, fanout] = await Promise.allSettled([deps.store.check(), deps.fanout.check()]);
    const checks = { store: describe(store), fanout: describe(fanout) };
    const ready = store.status === 'fulfilled' && fanout.status === 'fulfilled';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
  });
}

function describe(result: PromiseSettledResult<void>): string {
  if (result.status === 'fulfilled') return 'ok';
  return result.reason instanceof Error ? result.reason.message : String(result.reason);
}
