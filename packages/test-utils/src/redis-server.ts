import { type RunningProcess, startProcess } from './child-process.js';
import { freePort } from './ports.js';

/** A redis-server child process on 127.0.0.1, without persistence. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly process: RunningProcess;
  /** Stops the process by its PID (SIGTERM, SIGKILL after a bound). */
  stop(): Promise<void>;
}

/** Starts redis-server on `port` (a free one by default) and waits until it accepts connections. */
export async function startRedisServer(options: { port?: number } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const child = startProcess('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    // Tests run as root on CI; protected mode only matters for non-loopback binds anyway.
    '--protected-mode',
    'no',
  ]);
  await child.waitForLine(/Ready to accept connections/, 10_000);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: child,
    async stop() {
      await child.stop('SIGTERM', 5_000);
    },
  };
}
