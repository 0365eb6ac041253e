import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { RedisAddress, RedisTopology } from './fanout/redis-connections.js';
import { parsePostgresUrl } from './storage/postgres-hosts.js';

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

/** A comma-separated list; empty items are dropped. */
const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/** 'true' / 'false' (also 1/0, yes/no). */
const flag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** An origin as a browser sends it: scheme://host[:port], nothing else. */
const origins = commaList.pipe(
  z.array(
    z.string().refine((value) => URL.canParse(value) && new URL(value).origin === value, {
      message: 'must list origins such as https://app.example.com (scheme, host and port only)',
    }),
  ),
);

/** `host:port,host:port` (IPv6 in brackets): Redis sentinels or cluster seed nodes. */
const addressList = commaList.pipe(
  z
    .array(
      z
        .string()
        .regex(/^(\[[^\]]+\]|[^:[\]]+):\d{1,5}$/, 'must list host:port addresses separated by commas')
        .transform((item): RedisAddress => {
          const at = item.lastIndexOf(':');
          return { host: item.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(item.slice(at + 1)) };
        })
        .refine((address) => address.port >= 1 && address.port <= 65_535, { message: 'port must be 1-65535' }),
    )
    .min(1, 'must list at least one host:port'),
);

/** A Postgres URL, possibly listing several hosts (libpq's multi-host form, HA-5). */
const postgresUrl = z
  .string()
  .trim()
  .superRefine((value, context) => {
    try {
      parsePostgresUrl(value);
    } catch (err) {
      context.addIssue({
        code: 'custom',
        message: `${err instanceof Error ? err.message : String(err)} (e.g. postgres://user@h1:5432,h2:5432/db?target_session_attrs=read-write)`,
      });
    }
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
  SEND_FRAGMENT_BYTES: intFrom(4096, 1024 * MiB).default(256 * 1024),
  SLOW_CLOSE_GRACE_MS: intFrom(0, 60_000).default(1_000),
  SHUTDOWN_TIMEOUT_MS: intFrom(100, 600_000).default(10_000),
  MAX_DOCS_PER_CONNECTION: intFrom(1, 100_000).default(100),
  COMPACT_AFTER_UPDATES: intFrom(1, 10_000_000).default(500),
  WEB_DIR: z.string().min(1).optional(),
  COMPACT_AFTER_BYTES: intFrom(1, 1024 * 1024 * MiB).default(4 * MiB),
  REDIS_URL: urlWithScheme(['redis:', 'rediss:']).optional(),
  DATABASE_URL: postgresUrl.optional(),
  REDIS_SENTINELS: addressList.optional(),
  REDIS_SENTINEL_MASTER: z.string().min(1).optional(),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  REDIS_CLUSTER_NODES: addressList.optional(),
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  AWARENESS_TIMEOUT_MS: intFrom(1_000, 3_600_000).default(30_000),
  COMMIT_INTERVAL_MS: intFrom(0, 1_000).default(100),
  ACK_COMMIT_INTERVAL_MS: intFrom(0, 1_000).default(2),
  MAX_PENDING_BYTES: intFrom(64 * 1024, 1024 * 1024 * MiB).default(64 * MiB),
  RETRY_MIN_MS: intFrom(1, 60_000).default(100),
  RETRY_MAX_MS: intFrom(1, 600_000).default(2_000),
  DEPENDENCY_PROBE_MS: intFrom(100, 60_000).default(1_000),
  NODE_ENV: z.string().optional(),
  AUTH_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  AUTH_PUBLIC_KEY: z
    .string()
    .transform((value) => value.replaceAll('\\n', '\n'))
    .refine((value) => value.includes('-----BEGIN PUBLIC KEY-----'), { message: 'must be a PEM public key' })
    .optional(),
  AUTH_JWKS_URL: urlWithScheme(['https:', 'http:']).optional(),
  AUTH_AUDIENCE: z.string().min(1).default('tandem'),
  ALLOW_OPEN_MODE: flag.default(false),
  ALLOWED_ORIGINS: origins.optional(),
  READONLY_PRESENCE: flag.default(true),
  RATE_MESSAGES_PER_SECOND: intFrom(1, 1_000_000).default(500),
  RATE_MESSAGE_BURST: intFrom(1, 10_000_000).default(2_000),
  RATE_BYTES_PER_SECOND: intFrom(1024, 1024 * MiB).default(16 * MiB),
  RATE_BYTE_BURST: intFrom(1024, 1024 * MiB).default(64 * MiB),
  MAX_CONNECTIONS_PER_IP: intFrom(1, 1_000_000).default(500),
  TRUSTED_PROXIES: commaList.optional(),
  AUTH_TIMEOUT_MS: intFrom(100, 600_000).default(10_000),
  MAX_PREAUTH_BYTES: intFrom(1024, 1024 * MiB).default(MiB),
  MAX_AWARENESS_STATE_BYTES: intFrom(64, 16 * MiB).default(16 * 1024),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  WEBHOOK_URL: urlWithScheme(['https:', 'http:']).optional(),
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  WEBHOOK_DEBOUNCE_MS: intFrom(0, 3_600_000).default(2_000),
  WEBHOOK_ATTEMPTS: intFrom(1, 100).default(5),
  WEBHOOK_RETRY_MS: intFrom(1, 600_000).default(500),
  RECORDING_MAX_BYTES: intFrom(1024, 1024 * MiB).default(10 * MiB),
  ACCESS_CHANGE_TTL_MS: intFrom(1_000, 400 * 86_400_000).default(86_400_000),
  HOCUSPOCUS_KEEPALIVE_MS: intFrom(50, 600_000).default(10_000),
  CONTENT_MAX_BYTES: intFrom(1024, 1024 * MiB).default(4 * MiB),
  CONTENT_RATE_PER_MINUTE: intFrom(1, 1_000_000).default(600),
  WEBHOOK_CONTENT: z.enum(['none', 'prosemirror', 'html', 'markdown', 'text']).default('none'),
  VERSION_IDLE_MS: intFrom(100, 86_400_000).default(60_000),
  VERSION_MAX_INTERVAL_MS: intFrom(100, 7 * 86_400_000).default(600_000),
  VERSION_KEEP_ALL_MS: intFrom(0, 3_650 * 86_400_000).default(86_400_000),
  VERSION_HOURLY_MS: intFrom(0, 3_650 * 86_400_000).default(30 * 86_400_000),
});

/** A content format a webhook payload may carry (WEBHOOK_CONTENT). */
export type WebhookContentFormat = 'prosemirror' | 'html' | 'markdown' | 'text';

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
  /** Outgoing messages larger than this leave in fragments of this size, one per event-loop turn (CONN-6). */
  readonly sendFragmentBytes: number;
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
  /**
   * Where the fan-out's Redis is (HA-1, HA-3): REDIS_URL (one server), REDIS_SENTINELS with
   * REDIS_SENTINEL_MASTER (a Sentinel-managed master) or REDIS_CLUSTER_NODES (a cluster, sharded
   * pub/sub); null with none of them.
   */
  readonly redisTopology: RedisTopology | null;
  /** Postgres shared by every node; null keeps the embedded SQLite store in `dataDir`. */
  readonly databaseUrl: string | null;
  /** The built editor app to serve at `/` (default: apps/web/dist next to this server); null serves none. */
  readonly webDir: string | null;
  /** Presence learned from another node disappears once that node has not renewed it for this long. */
  readonly awarenessTimeoutMs: number;
  /**
   * Group commit: a commit starts at least this long after the previous one started, so under load
   * one fsync covers every update of the interval; an update arriving when the store is idle commits at once.
   */
  readonly commitIntervalMs: number;
  /**
   * The same bound while an update someone waits on is queued (a tandem.v1 ack, a Hocuspocus sync
   * status, an HTTP write): at most `commitIntervalMs`, so acks come sooner than plain batching.
   */
  readonly ackCommitIntervalMs: number;
  /**
   * Bound of the updates held in memory that the store has not taken yet (it is down or slow); past
   * it, new writes are refused with 1013 until the backlog commits (PERSIST-5).
   */
  readonly maxPendingBytes: number;
  /** First delay of the jittered exponential backoff used when Redis or the store fails… */
  readonly retryMinMs: number;
  /** …and its cap. */
  readonly retryMaxMs: number;
  /** How often Redis connections are pinged; one unanswered for this long is treated as lost. */
  readonly dependencyProbeMs: number;
  /** Token verification; all null means open mode (anyone may read and write). */
  readonly auth: {
    readonly secret: string | null;
    readonly publicKey: string | null;
    readonly jwksUrl: string | null;
    readonly audience: string;
  };
  /** Origins allowed to open WebSockets besides the server's own; null: the server's own and loopback. */
  readonly allowedOrigins: readonly string[] | null;
  /** Whether read-only sessions may publish presence. */
  readonly readOnlyPresence: boolean;
  /** Per-session budgets; a session over them is closed with 1008. */
  readonly rateLimits: {
    readonly messagesPerSecond: number;
    readonly messageBurst: number;
    readonly bytesPerSecond: number;
    readonly byteBurst: number;
  };
  /** Open WebSockets per client address; more are refused with HTTP 429. */
  readonly maxConnectionsPerIp: number;
  /** Proxy addresses whose X-Forwarded-For is believed. */
  readonly trustedProxies: readonly string[];
  /** A connection that must authenticate with an auth-token frame has this long to do so (else 4401). */
  readonly authTimeoutMs: number;
  /** What an unauthenticated connection may send before its token (else 4401). */
  readonly maxPreAuthBytes: number;
  /** Largest awareness state of one client (JSON bytes); larger closes the session with 1008. */
  readonly maxAwarenessStateBytes: number;
  /** Bearer token of the admin API (/admin); null disables it. */
  readonly adminToken: string | null;
  /** Signed, debounced POSTs when documents change; null sends none. */
  readonly webhook: {
    readonly url: string;
    readonly secret: string;
    readonly debounceMs: number;
    readonly attempts: number;
    readonly retryMs: number;
  } | null;
  /** Default size bound of a room recording started through the admin API. */
  readonly recordingMaxBytes: number;
  /**
   * How long a revocation or permission push binds the tokens issued before it, unless the admin
   * call names its own `until` (REVOKE-2): at least the longest lifetime of the tokens you issue.
   */
  readonly accessChangeTtlMs: number;
  /** How often an idle `/hocuspocus` socket gets a message (the provider reconnects after 30 s without one; HP-7). */
  readonly hocuspocusKeepaliveMs: number;
  /** The content API (`/api/documents/:id/content`): largest request body, and requests per minute per caller. */
  readonly content: { readonly maxBytes: number; readonly ratePerMinute: number };
  /** The document content webhook payloads carry, in this format; null (the default) sends none. */
  readonly webhookContent: WebhookContentFormat | null;
  /** Version history (VER-3, VER-8): when automatic versions are taken and how they are thinned. */
  readonly versions: {
    /** An automatic version once a document has been idle this long after a change… */
    readonly idleMs: number;
    /** …and at least this often while it keeps changing. */
    readonly maxIntervalMs: number;
    /** Every automatic version younger than this is kept; up to `hourlyMs` old, one per hour; older, one per day. */
    readonly keepAllMs: number;
    readonly hourlyMs: number;
  };
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
  if (e.WEBHOOK_URL !== undefined && e.WEBHOOK_SECRET === undefined) {
    throw new ConfigError('invalid configuration: WEBHOOK_URL needs WEBHOOK_SECRET (receivers verify the signature)');
  }
  const redisTopology = redisTopologyOf(e);
  const keys = [e.AUTH_SECRET, e.AUTH_PUBLIC_KEY, e.AUTH_JWKS_URL].filter((k) => k !== undefined);
  if (keys.length > 1) {
    throw new ConfigError('invalid configuration: set only one of AUTH_SECRET, AUTH_PUBLIC_KEY and AUTH_JWKS_URL');
  }
  if (keys.length === 0 && e.NODE_ENV === 'production' && !e.ALLOW_OPEN_MODE) {
    throw new ConfigError(
      'refusing to start in open mode with NODE_ENV=production: set AUTH_SECRET, AUTH_PUBLIC_KEY or AUTH_JWKS_URL, or ALLOW_OPEN_MODE=true',
    );
  }
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
    sendFragmentBytes: e.SEND_FRAGMENT_BYTES,
    slowCloseGraceMs: e.SLOW_CLOSE_GRACE_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    maxDocsPerConnection: e.MAX_DOCS_PER_CONNECTION,
    compactAfterUpdates: e.COMPACT_AFTER_UPDATES,
    compactAfterBytes: e.COMPACT_AFTER_BYTES,
    redisUrl: e.REDIS_URL ?? null,
    redisTopology,
    databaseUrl: e.DATABASE_URL ?? null,
    webDir: e.WEB_DIR === 'none' ? null : (e.WEB_DIR ?? fileURLToPath(new URL('../../web/dist', import.meta.url))),
    awarenessTimeoutMs: e.AWARENESS_TIMEOUT_MS,
    commitIntervalMs: e.COMMIT_INTERVAL_MS,
    ackCommitIntervalMs: Math.min(e.ACK_COMMIT_INTERVAL_MS, e.COMMIT_INTERVAL_MS),
    maxPendingBytes: e.MAX_PENDING_BYTES,
    retryMinMs: e.RETRY_MIN_MS,
    retryMaxMs: Math.max(e.RETRY_MIN_MS, e.RETRY_MAX_MS),
    dependencyProbeMs: e.DEPENDENCY_PROBE_MS,
    auth: {
      secret: e.AUTH_SECRET ?? null,
      publicKey: e.AUTH_PUBLIC_KEY ?? null,
      jwksUrl: e.AUTH_JWKS_URL ?? null,
      audience: e.AUTH_AUDIENCE,
    },
    allowedOrigins: e.ALLOWED_ORIGINS ?? null,
    readOnlyPresence: e.READONLY_PRESENCE,
    rateLimits: {
      messagesPerSecond: e.RATE_MESSAGES_PER_SECOND,
      messageBurst: e.RATE_MESSAGE_BURST,
      bytesPerSecond: e.RATE_BYTES_PER_SECOND,
      // A single frame may be as large as the frame limit.
      byteBurst: Math.max(e.RATE_BYTE_BURST, e.MAX_MESSAGE_BYTES),
    },
    maxConnectionsPerIp: e.MAX_CONNECTIONS_PER_IP,
    trustedProxies: e.TRUSTED_PROXIES ?? [],
    authTimeoutMs: e.AUTH_TIMEOUT_MS,
    maxPreAuthBytes: e.MAX_PREAUTH_BYTES,
    maxAwarenessStateBytes: e.MAX_AWARENESS_STATE_BYTES,
    adminToken: e.ADMIN_TOKEN ?? null,
    webhook:
      e.WEBHOOK_URL === undefined || e.WEBHOOK_SECRET === undefined
        ? null
        : {
            url: e.WEBHOOK_URL,
            secret: e.WEBHOOK_SECRET,
            debounceMs: e.WEBHOOK_DEBOUNCE_MS,
            attempts: e.WEBHOOK_ATTEMPTS,
            retryMs: e.WEBHOOK_RETRY_MS,
          },
    recordingMaxBytes: e.RECORDING_MAX_BYTES,
    accessChangeTtlMs: e.ACCESS_CHANGE_TTL_MS,
    hocuspocusKeepaliveMs: e.HOCUSPOCUS_KEEPALIVE_MS,
    content: { maxBytes: e.CONTENT_MAX_BYTES, ratePerMinute: e.CONTENT_RATE_PER_MINUTE },
    webhookContent: e.WEBHOOK_CONTENT === 'none' ? null : e.WEBHOOK_CONTENT,
    versions: {
      idleMs: e.VERSION_IDLE_MS,
      maxIntervalMs: e.VERSION_MAX_INTERVAL_MS,
      keepAllMs: e.VERSION_KEEP_ALL_MS,
      // The hourly tier starts where keeping everything ends.
      hourlyMs: Math.max(e.VERSION_KEEP_ALL_MS, e.VERSION_HOURLY_MS),
    },
  });
}

/** The fan-out's Redis from REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES (at most one of them). */
function redisTopologyOf(e: z.infer<typeof envSchema>): RedisTopology | null {
  const given = [
    e.REDIS_URL === undefined ? null : 'REDIS_URL',
    e.REDIS_SENTINELS === undefined ? null : 'REDIS_SENTINELS',
    e.REDIS_CLUSTER_NODES === undefined ? null : 'REDIS_CLUSTER_NODES',
  ].filter((name) => name !== null);
  if (given.length > 1) throw new ConfigError(`invalid configuration: set only one of ${given.join(', ')}`);
  const credentials = { username: e.REDIS_USERNAME ?? null, password: e.REDIS_PASSWORD ?? null };
  if (e.REDIS_URL !== undefined) {
    if (e.REDIS_USERNAME !== undefined || e.REDIS_PASSWORD !== undefined) {
      throw new ConfigError(
        'invalid configuration: REDIS_USERNAME and REDIS_PASSWORD go with REDIS_SENTINELS or REDIS_CLUSTER_NODES; put the credentials in REDIS_URL',
      );
    }
    return { kind: 'single', url: e.REDIS_URL };
  }
  if (e.REDIS_SENTINELS !== undefined) {
    if (e.REDIS_SENTINEL_MASTER === undefined) {
      throw new ConfigError(
        'invalid configuration: REDIS_SENTINELS needs REDIS_SENTINEL_MASTER (the master group name)',
      );
    }
    return {
      kind: 'sentinel',
      sentinels: e.REDIS_SENTINELS,
      masterName: e.REDIS_SENTINEL_MASTER,
      credentials,
      sentinelPassword: e.REDIS_SENTINEL_PASSWORD ?? null,
    };
  }
  if (e.REDIS_SENTINEL_MASTER !== undefined || e.REDIS_SENTINEL_PASSWORD !== undefined) {
    throw new ConfigError(
      'invalid configuration: REDIS_SENTINEL_MASTER and REDIS_SENTINEL_PASSWORD need REDIS_SENTINELS',
    );
  }
  if (e.REDIS_CLUSTER_NODES !== undefined) return { kind: 'cluster', nodes: e.REDIS_CLUSTER_NODES, credentials };
  if (e.REDIS_USERNAME !== undefined || e.REDIS_PASSWORD !== undefined) {
    throw new ConfigError(
      'invalid configuration: REDIS_USERNAME and REDIS_PASSWORD need REDIS_SENTINELS or REDIS_CLUSTER_NODES',
    );
  }
  return null;
}

/** A full configuration for tests and embedding: defaults with overrides. */
export function configWith(overrides: Partial<Config> = {}): Config {
  return Object.freeze({ ...loadConfig({}), ...overrides });
}
