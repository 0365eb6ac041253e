import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningProcess, startProcess } from './child-process.js';
import { freePort } from './ports.js';

/** A redis-server child process on 127.0.0.1, without persistence. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly process: RunningProcess;
  /** Its working directory (replication and cluster files land here); removed by {@link stop}. */
  readonly dir: string;
  /** Kills the process with SIGKILL (a crash) and waits for it; the directory stays, for a restart. */
  kill(): Promise<void>;
  /** Stops the process by its PID (SIGTERM, SIGKILL after a bound) and removes its directory. */
  stop(): Promise<void>;
}

/** Options for {@link startRedisServer}. */
export interface RedisServerOptions {
  readonly port?: number;
  /** A configuration file written beforehand (Sentinel needs one it may rewrite): passed first. */
  readonly configFile?: string;
  /** More arguments after the defaults, e.g. `['--replicaof', '127.0.0.1', '6379']` or `['--sentinel']`. */
  readonly args?: readonly string[];
  /** The line that says it is ready (default: "Ready to accept connections"). */
  readonly readyLine?: RegExp;
  /** The working directory (default: a fresh temporary one). */
  readonly dir?: string;
}

/** Starts redis-server on `port` (a free one by default) and waits until it accepts connections. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  // A replica writes the RDB it receives, and a cluster node its nodes.conf, into its directory: never the cwd.
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tandem-redis-'));
  const child = startProcess(
    'redis-server',
    [
      ...(options.configFile === undefined ? [] : [options.configFile]),
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      // Tests run as root on CI; protected mode only matters for non-loopback binds anyway.
      '--protected-mode',
      'no',
      ...(options.args ?? []),
    ],
    { cwd: dir },
  );
  try {
    await child.waitForLine(options.readyLine ?? /Ready to accept connections/, 10_000);
  } catch (err) {
    await child.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: child,
    dir,
    async kill() {
      await child.stop('SIGKILL');
    },
    async stop() {
      await child.stop('SIGTERM', 5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
