import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const MiB = 1024 * 1024;

/** A whole decimal number in [min, max]; whitespace, signs, hex and exponents are refused. */
const intFrom = (min: number, max: number) =>
  z.string().trim().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

/** A URL whose scheme is one of `schemes`; the value itself is kept as written. */
const urlWithScheme = (schemes: readonly string[]) =>
  z
    .string()
    .trim()
    .refine((value) => URL.canParse(value) && schemes.includes(new URL(value).protocol), {
      message: `must be a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}`,
    });

const envSchema = z.object({
  PORT: intFrom(0, 65_535).default(1234),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ID: z.string().min(1).max(64).optional(),
  HEARTBEAT_INTERVAL_MS: intFrom(50, 3_600_000).default(30_000),
  ROOM_IDLE_MS: intFrom(0, 86_400_000).default(30_000),
  MAX_MESSAGE_BYTES: intFrom(1024, 1024 * MiB).default(16 * MiB),
  MAX_BUFFERED_BYTES: intFrom(1024, 1024 * MiB).default(8 * MiB),
  SLOW_CLOSE_GRACE_MS: intFrom(0, 60_000).default(1_000),
  SHUTDOWN_TIMEOUT_MS: intFrom(100, 600_000).default(10_000),
  MAX_DOCS_PER_CONNECTION: intFrom(1, 100_000).default(100),
  COMPACT_AFTER_UPDATES: intFrom(1, 10_000_000).default(500),
  WEB_DIR: z.string().min(1).optional(),
  COMPACT_AFTER_BYTES: intFrom(1, 1024 * 1024 * MiB).default(4 * MiB),
  REDIS_URL: urlWithScheme(['redis:', 'rediss:']).optional(),
  DATABASE_URL: urlWithScheme(['postgres:', 'postgresql:']).optional(),
  AWARENESS_TIMEOUT_MS: intFrom(1_000, 3_600_000).default(30_000),
  RETRY_MIN_MS: intFrom(1, 60_000).default(100),
  RETRY_MAX_MS: intFrom(1, 600_000).default(2_000),
  DEPENDENCY_PROBE_MS: intFrom(100, 60_000).default(1_000),
});

/** The server's configuration: parsed once, validated, typed and frozen. */
export interface Config {
  /** HTTP + WebSocket port (0 picks a free one). */
  readonly port: number;
  /** Bind address. */
  readonly host: string;
  /** Where the embedded store keeps its files. */
  readonly dataDir: string;
  /** pino log level. */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** This process's id in the cluster; fan-out drops its own echoes by it. */
  readonly nodeId: string;
  /** WS ping interval; a session that has not answered the previous ping by the next one is terminated. */
  readonly heartbeatIntervalMs: number;
  /** How long a room with no sessions stays loaded. */
  readonly roomIdleMs: number;
  /** Largest incoming frame; larger ones close the session with 1009. */
  readonly maxMessageBytes: number;
  /** A session whose outgoing buffer passes this is closed with 1013. */
  readonly maxBufferedBytes: number;
  /** How long a slow consumer gets to take its close frame before its socket is destroyed. */
  readonly slowCloseGraceMs: number;
  /** Upper bound on a graceful shutdown before sockets are destroyed. */
  readonly shutdownTimeoutMs: number;
  /** Documents one multiplexed connection may have open at once. */
  readonly maxDocsPerConnection: number;
  /** A document's update log is merged into its snapshot once it holds this many updates… */
  readonly compactAfterUpdates: number;
  /** …or this many bytes. */
  readonly compactAfterBytes: number;
  /** Redis for fan-out across nodes; null runs the single-node in-memory fan-out. */
  readonly redisUrl: string | null;
  /** Postgres shared by every node; null keeps the embedded SQLite store in `dataDir`. */
  readonly databaseUrl: string | null;
  /** The built editor app to serve at `/` (default: apps/web/dist next to this server); null serves none. */
  readonly webDir: string | null;
  /** Presence learned from another node disappears once that node has not renewed it for this long. */
  readonly awarenessTimeoutMs: number;
  /** First delay of the jittered exponential backoff used when Redis or the store fails… */
  readonly retryMinMs: number;
  /** …and its cap. */
  readonly retryMaxMs: number;
  /** How often Redis connections are pinged; one unanswered for this long is treated as lost. */
  readonly dependencyProbeMs: number;
}

/** Error thrown when the environment holds an invalid setting; its message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses configuration from an environment map. The only place that reads environment variables. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    nodeId: e.NODE_ID ?? randomUUID(),
    heartbeatIntervalMs: e.HEARTBEAT_INTERVAL_MS,
    roomIdleMs: e.ROOM_IDLE_MS,
    maxMessageBytes: e.MAX_MESSAGE_BYTES,
    maxBufferedBytes: e.MAX_BUFFERED_BYTES,
    slowCloseGraceMs: e.SLOW_CLOSE_GRACE_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    maxDocsPerConnection: e.MAX_DOCS_PER_CONNECTION,
    compactAfterUpdates: e.COMPACT_AFTER_UPDATES,
    compactAfterBytes: e.COMPACT_AFTER_BYTES,
    redisUrl: e.REDIS_URL ?? null,
    databaseUrl: e.DATABASE_URL ?? null,
    webDir: e.WEB_DIR === 'none' ? null : (e.WEB_DIR ?? fileURLToPath(new URL('../../web/dist', import.meta.url))),
    awarenessTimeoutMs: e.AWARENESS_TIMEOUT_MS,
    retryMinMs: e.RETRY_MIN_MS,
    retryMaxMs: Math.max(e.RETRY_MIN_MS, e.RETRY_MAX_MS),
    dependencyProbeMs: e.DEPENDENCY_PROBE_MS,
  });
}

/** A full configuration for tests and embedding: defaults with overrides. */
export function configWith(overrides: Partial<Config> = {}): Config {
  return Object.freeze({ ...loadConfig({}), ...overrides });
}
