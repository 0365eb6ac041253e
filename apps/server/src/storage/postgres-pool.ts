import pg from 'pg';
import type { Logger } from 'pino';
import { type PostgresHost, parsePostgresUrl } from './postgres-hosts.js';

type ConnectCallback = (
  err: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: boolean | Error) => void,
) => void;

/** Options for {@link createPostgresPool}: the pool's own, without the connection string. */
export type PostgresPoolOptions = Omit<pg.PoolConfig, 'connectionString' | 'Client' | 'onConnect'> & {
  readonly logger?: Logger;
};

/**
 * A pg pool for `url`, which may list several hosts (HA-5). node-postgres connects to one host,
 * so with several (or with `target_session_attrs=read-write`) each new connection goes to the
 * host that served last; a host that refuses the connection or turns out read-only (a standby)
 * moves the attempt on to the following host, and one checkout tries every host once, as libpq
 * does. While no host is a writable primary the checkout fails, and the store's callers retry
 * with backoff (commits wait meanwhile, so nothing unacknowledged is lost).
 */
export function createPostgresPool(url: string, options: PostgresPoolOptions = {}): pg.Pool {
  return keepingConnectionErrors(failoverPool(url, options));
}

/**
 * `pool` with a listener for 'error' on every connection it opens, for its whole life. pg-pool
 * listens only while a connection is idle or inside `pool.query`, and a connection that fails
 * once (Postgres killed, `57P01` terminating the backend) can report a second error after that
 * listener is gone — while the pool is destroying it — which would crash the process. The
 * failure still reaches whoever was using the connection (their query fails) and the pool's own
 * 'error' event for idle ones; this only keeps it from being an uncaught exception.
 */
function keepingConnectionErrors(pool: pg.Pool): pg.Pool {
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

function failoverPool(url: string, options: PostgresPoolOptions): pg.Pool {
  const { logger, ...poolOptions } = options;
  const target = parsePostgresUrl(url);
  if (target.hosts.length === 1 && target.targetSessionAttrs === 'any') {
    return new pg.Pool({ ...poolOptions, connectionString: url });
  }
  const hosts = target.hosts;
  let current = 0;
  const moveOn = (from: number, reason: string) => {
    // Only the first failure of a host moves the cursor: concurrent attempts must not skip the next one.
    if (current !== from) return;
    current = (from + 1) % hosts.length;
    const next = hosts[current] as PostgresHost;
    logger?.warn(
      { dependency: 'postgres', reason, next: `${next.host}:${next.port}` },
      'postgres host unusable; trying the next',
    );
  };

  /** A client bound at construction to the current host; a failed connect moves the cursor on. */
  class FailoverClient extends pg.Client {
    readonly hostIndex: number;
    constructor(config: pg.ClientConfig) {
      const index = current;
      super({ ...config, connectionString: target.urlFor(hosts[index] as PostgresHost) });
      this.hostIndex = index;
    }
    override connect(): Promise<pg.Client>;
    override connect(callback: (err: Error) => void): void;
    override connect(callback?: (err: Error) => void): Promise<pg.Client> | undefined {
      const connecting = super.connect().catch((err: Error) => {
        moveOn(this.hostIndex, err.message);
        throw err;
      });
      if (callback === undefined) return connecting;
      connecting.then(
        () => callback(undefined as unknown as Error),
        (err: Error) => callback(err),
      );
      return undefined;
    }
  }

  /** Like libpq, one checkout tries each host once before it fails (the hosts' own errors say why). */
  class FailoverPool extends pg.Pool {
    override connect(): Promise<pg.PoolClient>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | undefined {
      const attempt = (left: number): Promise<pg.PoolClient> =>
        super.connect().catch((err: unknown) => {
          if (left <= 1 || this.ending) throw err;
          return attempt(left - 1);
        });
      const connecting = attempt(hosts.length);
      if (callback === undefined) return connecting;
      connecting.then(
        (client) => callback(undefined, client, (release) => client.release(release)),
        (err: Error) => callback(err, undefined, () => {}),
      );
      return undefined;
    }
  }

  return new FailoverPool({
    ...poolOptions,
    Client: FailoverClient as unknown as new () => pg.ClientBase,
    // pg-pool awaits this hook before lending a new connection; a rejection ends that connection.
    onConnect: (async (client: pg.ClientBase) => {
      if (target.targetSessionAttrs !== 'read-write') return;
      const result = await client.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
      if (result.rows[0]?.transaction_read_only !== 'off') {
        const index = (client as FailoverClient).hostIndex;
        const host = hosts[index] as PostgresHost;
        moveOn(index, 'read-only (a standby)');
        throw new Error(`postgres at ${host.host}:${host.port} is read-only (a standby), not the primary`);
      }
    }) as unknown as (client: pg.ClientBase) => void,
  });
}
