import type { FastifyInstance } from 'fastify';
import type { Fanout } from '../fanout/fanout.js';
import type { PersistenceScheduler } from '../rooms/persistence-scheduler.js';
import type { DocStore } from '../storage/doc-store.js';

/** Dependencies the readiness probe checks. */
export interface HealthDeps {
  readonly store: Pick<DocStore, 'check'>;
  readonly fanout: Pick<Fanout, 'check'>;
  /**
   * When given, a store that answers pings but refuses appends also makes the node unready, and so
   * does a backlog over its bound (the node refuses writes until it commits).
   */
  readonly persistence?: Pick<PersistenceScheduler, 'failure' | 'pending' | 'pendingBytes' | 'overBound'>;
}

/** A dependency check must not hang the probe: a silent partition fails it after this long. */
const CHECK_TIMEOUT_MS = 2_000;

/** GET /healthz (the process answers) and GET /readyz (its dependencies answer). */
export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const failure = deps.persistence?.failure() ?? null;
    const paused = deps.persistence?.overBound() ?? false;
    const [store, fanout] = await Promise.allSettled([
      withTimeout(deps.store.check(), 'store'),
      withTimeout(deps.fanout.check(), 'fan-out'),
    ]);
    const waiting = `${deps.persistence?.pending ?? 0} updates (${deps.persistence?.pendingBytes ?? 0} bytes) waiting, not acked`;
    const problems = [
      ...(failure === null
        ? []
        : [`appends failing since ${new Date(failure.since).toISOString()} (${failure.message})`]),
      ...(paused ? ['backlog over MAX_PENDING_BYTES: writes paused'] : []),
    ];
    const storeState = problems.length === 0 ? describe(store) : `${problems.join('; ')}; ${waiting}`;
    const checks = { store: storeState, fanout: describe(fanout) };
    const ready = problems.length === 0 && store.status === 'fulfilled' && fanout.status === 'fulfilled';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
  });
}

function withTimeout(check: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} check timed out after ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
  });
  return Promise.race([check, timeout]).finally(() => clearTimeout(timer));
}

function describe(result: PromiseSettledResult<void>): string {
  if (result.status === 'fulfilled') return 'ok';
  return result.reason instanceof Error ? result.reason.message : String(result.reason);
}
