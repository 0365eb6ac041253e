import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, configWith, loadConfig } from './config.js';

const MiB = 1024 * 1024;

/** Runs `loadConfig` and returns the ConfigError it throws (fails the test when it does not throw one). */
function configErrorFor(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected loadConfig(${JSON.stringify(env)}) to throw a ConfigError`);
}

describe('loadConfig: security settings', () => {
  it('AUTH-6: open mode is refused with NODE_ENV=production unless explicitly allowed', () => {
    expect(configErrorFor({ NODE_ENV: 'production' }).message).toContain('open mode');
    expect(loadConfig({ NODE_ENV: 'production', ALLOW_OPEN_MODE: 'true' }).auth.secret).toBeNull();
    expect(loadConfig({ NODE_ENV: 'production', AUTH_SECRET: 'a-long-enough-secret' }).auth.secret).toBe(
      'a-long-enough-secret',
    );
  });

  it('AUTH-1: one key source at a time; a short secret and a non-PEM key are refused', () => {
    expect(configErrorFor({ AUTH_SECRET: 'a-long-enough-secret', AUTH_JWKS_URL: 'https://x/jwks' }).message).toContain(
      'only one',
    );
    expect(configErrorFor({ AUTH_SECRET: 'short' }).message).toContain('AUTH_SECRET');
    expect(configErrorFor({ AUTH_PUBLIC_KEY: 'not a key' }).message).toContain('AUTH_PUBLIC_KEY');
  });

  it('ORIGIN-1: ALLOWED_ORIGINS lists exact origins; paths are refused', () => {
    expect(loadConfig({ ALLOWED_ORIGINS: 'https://a.example, http://localhost:5173' }).allowedOrigins).toEqual([
      'https://a.example',
      'http://localhost:5173',
    ]);
    expect(configErrorFor({ ALLOWED_ORIGINS: 'https://a.example/app' }).message).toContain('ALLOWED_ORIGINS');
  });

  it('LIMIT-1: the byte burst is never below the frame size limit', () => {
    expect(loadConfig({ MAX_MESSAGE_BYTES: String(128 * MiB), RATE_BYTE_BURST: '1024' }).rateLimits.byteBurst).toBe(
      128 * MiB,
    );
  });
});

describe('loadConfig: version history (VER-3, VER-8)', () => {
  it('ACK-1: ACK_COMMIT_INTERVAL_MS is read, and never longer than COMMIT_INTERVAL_MS', () => {
    expect(loadConfig({ ACK_COMMIT_INTERVAL_MS: '5' }).ackCommitIntervalMs).toBe(5);
    expect(loadConfig({ COMMIT_INTERVAL_MS: '3', ACK_COMMIT_INTERVAL_MS: '8' }).ackCommitIntervalMs).toBe(3);
    expect(() => loadConfig({ ACK_COMMIT_INTERVAL_MS: '-1' })).toThrow(/ACK_COMMIT_INTERVAL_MS/);
  });

  it('reads the automatic-version periods and the retention tiers; the hourly tier never ends before keep-all', () => {
    expect(
      loadConfig({
        VERSION_IDLE_MS: '5000',
        VERSION_MAX_INTERVAL_MS: '120000',
        VERSION_KEEP_ALL_MS: '7200000',
        VERSION_HOURLY_MS: '3600000',
      }).versions,
    ).toEqual({ idleMs: 5_000, maxIntervalMs: 120_000, keepAllMs: 7_200_000, hourlyMs: 7_200_000 });
  });

  it('refuses periods that are not whole numbers or are too short, naming the variable', () => {
    expect(() => loadConfig({ VERSION_IDLE_MS: '10' })).toThrow(/VERSION_IDLE_MS/);
    expect(() => loadConfig({ VERSION_MAX_INTERVAL_MS: '1e6' })).toThrow(/VERSION_MAX_INTERVAL_MS/);
    expect(() => loadConfig({ VERSION_KEEP_ALL_MS: '-1' })).toThrow(/VERSION_KEEP_ALL_MS/);
  });
});

describe('loadConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    const { nodeId, ...rest } = loadConfig({});
    expect(rest).toEqual({
      port: 1234,
      host: '127.0.0.1',
      dataDir: './data',
      logLevel: 'info',
      heartbeatIntervalMs: 30_000,
      roomIdleMs: 30_000,
      maxMessageBytes: 16 * MiB,
      maxBufferedBytes: 8 * MiB,
      sendFragmentBytes: 256 * 1024,
      slowCloseGraceMs: 1_000,
      shutdownTimeoutMs: 10_000,
      maxDocsPerConnection: 100,
      compactAfterUpdates: 500,
      compactAfterBytes: 4 * MiB,
      redisUrl: null,
      redisTopology: null,
      databaseUrl: null,
      awarenessTimeoutMs: 30_000,
      commitIntervalMs: 100,
      ackCommitIntervalMs: 2,
      maxPendingBytes: 64 * MiB,
      retryMinMs: 100,
      retryMaxMs: 2_000,
      dependencyProbeMs: 1_000,
      webDir: fileURLToPath(new URL('../../web/dist', import.meta.url)),
      auth: { secret: null, publicKey: null, jwksUrl: null, audience: 'tandem' },
      allowedOrigins: null,
      readOnlyPresence: true,
      rateLimits: { messagesPerSecond: 500, messageBurst: 2_000, bytesPerSecond: 16 * MiB, byteBurst: 64 * MiB },
      maxConnectionsPerIp: 500,
      trustedProxies: [],
      authTimeoutMs: 10_000,
      maxPreAuthBytes: MiB,
      maxAwarenessStateBytes: 16 * 1024,
      adminToken: null,
      webhook: null,
      recordingMaxBytes: 10 * MiB,
      accessChangeTtlMs: 86_400_000,
      hocuspocusKeepaliveMs: 10_000,
      content: { maxBytes: 4 * MiB, ratePerMinute: 600 },
      webhookContent: null,
      versions: { idleMs: 60_000, maxIntervalMs: 600_000, keepAllMs: 86_400_000, hourlyMs: 30 * 86_400_000 },
    });
    expect(nodeId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('treats whitespace as unset and refuses numbers written with signs, hex or exponents', () => {
    expect(loadConfig({ PORT: ' ', ROOM_IDLE_MS: '\t' })).toMatchObject({ port: 1234, roomIdleMs: 30_000 });
    expect(loadConfig({ PORT: ' 8080 ' }).port).toBe(8080);
    for (const bad of ['0x50', '1e3', '+80', '80 80']) {
      expect(configErrorFor({ PORT: bad }).message).toContain('PORT');
    }
  });

  it('generates a different node id per load when NODE_ID is unset, and keeps a given one', () => {
    expect(loadConfig({}).nodeId).not.toBe(loadConfig({}).nodeId);
    expect(loadConfig({ NODE_ID: 'node-a' }).nodeId).toBe('node-a');
  });

  it('reads and coerces every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATA_DIR: '/var/lib/tandem',
      LOG_LEVEL: 'debug',
      NODE_ID: 'n1',
      HEARTBEAT_INTERVAL_MS: '50',
      ROOM_IDLE_MS: '0',
      MAX_MESSAGE_BYTES: '1024',
      MAX_BUFFERED_BYTES: '2048',
      SEND_FRAGMENT_BYTES: '8192',
      SLOW_CLOSE_GRACE_MS: '60000',
      SHUTDOWN_TIMEOUT_MS: '100',
      COMPACT_AFTER_UPDATES: '1',
      COMPACT_AFTER_BYTES: '4096',
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://tandem:secret@127.0.0.1:5432/tandem',
      AWARENESS_TIMEOUT_MS: '5000',
      COMMIT_INTERVAL_MS: '0',
      ACK_COMMIT_INTERVAL_MS: '5',
      MAX_PENDING_BYTES: '65536',
      RETRY_MIN_MS: '50',
      RETRY_MAX_MS: '2000',
      DEPENDENCY_PROBE_MS: '500',
      MAX_DOCS_PER_CONNECTION: '7',
      WEB_DIR: 'none',
      VERSION_IDLE_MS: '2000',
      VERSION_MAX_INTERVAL_MS: '60000',
      VERSION_KEEP_ALL_MS: '3600000',
      VERSION_HOURLY_MS: '86400000',
    });
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/var/lib/tandem',
      logLevel: 'debug',
      nodeId: 'n1',
      heartbeatIntervalMs: 50,
      roomIdleMs: 0,
      maxMessageBytes: 1024,
      maxBufferedBytes: 2048,
      sendFragmentBytes: 8192,
      slowCloseGraceMs: 60_000,
      shutdownTimeoutMs: 100,
      maxDocsPerConnection: 7,
      compactAfterUpdates: 1,
      compactAfterBytes: 4096,
      redisUrl: 'redis://127.0.0.1:6379',
      redisTopology: { kind: 'single', url: 'redis://127.0.0.1:6379' },
      databaseUrl: 'postgres://tandem:secret@127.0.0.1:5432/tandem',
      awarenessTimeoutMs: 5000,
      commitIntervalMs: 0,
      ackCommitIntervalMs: 0,
      maxPendingBytes: 65_536,
      retryMinMs: 50,
      retryMaxMs: 2000,
      dependencyProbeMs: 500,
      webDir: null,
      auth: { secret: null, publicKey: null, jwksUrl: null, audience: 'tandem' },
      allowedOrigins: null,
      readOnlyPresence: true,
      rateLimits: { messagesPerSecond: 500, messageBurst: 2_000, bytesPerSecond: 16 * MiB, byteBurst: 64 * MiB },
      maxConnectionsPerIp: 500,
      trustedProxies: [],
      authTimeoutMs: 10_000,
      maxPreAuthBytes: MiB,
      maxAwarenessStateBytes: 16 * 1024,
      adminToken: null,
      webhook: null,
      recordingMaxBytes: 10 * MiB,
      accessChangeTtlMs: 86_400_000,
      hocuspocusKeepaliveMs: 10_000,
      content: { maxBytes: 4 * MiB, ratePerMinute: 600 },
      webhookContent: null,
      versions: { idleMs: 2_000, maxIntervalMs: 60_000, keepAllMs: 3_600_000, hourlyMs: 86_400_000 },
    });
  });

  it('CONTENT-5: reads the content API limits and the webhook content format, and refuses bad ones', () => {
    expect(
      loadConfig({ CONTENT_MAX_BYTES: '2048', CONTENT_RATE_PER_MINUTE: '5', WEBHOOK_CONTENT: 'markdown' }),
    ).toMatchObject({ content: { maxBytes: 2048, ratePerMinute: 5 }, webhookContent: 'markdown' });
    expect(loadConfig({ WEBHOOK_CONTENT: 'none' }).webhookContent).toBeNull();
    expect(configErrorFor({ WEBHOOK_CONTENT: 'pdf' }).message).toContain('WEBHOOK_CONTENT');
    expect(configErrorFor({ CONTENT_MAX_BYTES: '10' }).message).toContain('CONTENT_MAX_BYTES');
    expect(configErrorFor({ CONTENT_RATE_PER_MINUTE: '0' }).message).toContain('CONTENT_RATE_PER_MINUTE');
  });

  it('refuses REDIS_URL and DATABASE_URL values that are not URLs of the right scheme', () => {
    expect(configErrorFor({ REDIS_URL: 'localhost:6379' }).message).toContain('REDIS_URL');
    expect(configErrorFor({ REDIS_URL: 'http://127.0.0.1:6379' }).message).toContain('REDIS_URL');
    expect(configErrorFor({ DATABASE_URL: 'mysql://127.0.0.1/x' }).message).toContain('DATABASE_URL');
    expect(loadConfig({ DATABASE_URL: 'postgresql://127.0.0.1/x' }).databaseUrl).toBe('postgresql://127.0.0.1/x');
    expect(loadConfig({ REDIS_URL: 'rediss://h:6380' }).redisUrl).toBe('rediss://h:6380');
  });

  it('HA-1: REDIS_SENTINELS with REDIS_SENTINEL_MASTER and credentials describe a Sentinel-managed master', () => {
    expect(
      loadConfig({
        REDIS_SENTINELS: '10.0.0.1:26379, sentinel-b:26380,[::1]:26381',
        REDIS_SENTINEL_MASTER: 'tandem',
        REDIS_USERNAME: 'fanout',
        REDIS_PASSWORD: 'data-secret',
        REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      }).redisTopology,
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-b', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      masterName: 'tandem',
      credentials: { username: 'fanout', password: 'data-secret' },
      sentinelPassword: 'sentinel-secret',
    });
    expect(configErrorFor({ REDIS_SENTINELS: '10.0.0.1:26379' }).message).toContain('REDIS_SENTINEL_MASTER');
    expect(configErrorFor({ REDIS_SENTINELS: '10.0.0.1', REDIS_SENTINEL_MASTER: 'm' }).message).toContain(
      'REDIS_SENTINELS',
    );
    expect(configErrorFor({ REDIS_SENTINEL_MASTER: 'm' }).message).toContain('need REDIS_SENTINELS');
  });

  it('HA-3: REDIS_CLUSTER_NODES lists the seed nodes; only one Redis setting may be given', () => {
    expect(
      loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001', REDIS_PASSWORD: 'pw' }).redisTopology,
    ).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
      ],
      credentials: { username: null, password: 'pw' },
    });
    expect(configErrorFor({ REDIS_CLUSTER_NODES: '127.0.0.1:99999' }).message).toContain('REDIS_CLUSTER_NODES');
    expect(configErrorFor({ REDIS_CLUSTER_NODES: ',' }).message).toContain('REDIS_CLUSTER_NODES');
    expect(configErrorFor({ REDIS_URL: 'redis://h:6379', REDIS_CLUSTER_NODES: '127.0.0.1:7000' }).message).toContain(
      'only one of REDIS_URL, REDIS_CLUSTER_NODES',
    );
    expect(configErrorFor({ REDIS_URL: 'redis://h:6379', REDIS_PASSWORD: 'pw' }).message).toContain('REDIS_URL');
    expect(configErrorFor({ REDIS_PASSWORD: 'pw' }).message).toContain('REDIS_PASSWORD');
  });

  it('HA-5: DATABASE_URL may list several hosts with target_session_attrs; other attributes are refused', () => {
    const url = 'postgres://tandem:pw@pg-a:5432,pg-b:5433/tandem?target_session_attrs=read-write';
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(configErrorFor({ DATABASE_URL: 'postgres://a:1,b:x/db' }).message).toContain('DATABASE_URL');
    expect(configErrorFor({ DATABASE_URL: 'postgres://a,b/db?target_session_attrs=standby' }).message).toContain(
      'target_session_attrs=standby is not supported',
    );
  });

  it('accepts PORT 0 (pick a free port) and 65535', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65_535);
  });

  it('treats empty strings and undefined as unset', () => {
    const config = loadConfig({
      PORT: '',
      HOST: '',
      DATA_DIR: undefined,
      LOG_LEVEL: '',
      NODE_ID: '',
      HEARTBEAT_INTERVAL_MS: '',
      MAX_BUFFERED_BYTES: undefined,
    });
    expect(config.port).toBe(1234);
    expect(config.host).toBe('127.0.0.1');
    expect(config.dataDir).toBe('./data');
    expect(config.logLevel).toBe('info');
    expect(config.nodeId.length).toBeGreaterThan(0);
    expect(config.heartbeatIntervalMs).toBe(30_000);
    expect(config.maxBufferedBytes).toBe(8 * MiB);
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' }).port).toBe(1234);
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'INFO'],
    ['NODE_ID', 'x'.repeat(65)],
    ['HEARTBEAT_INTERVAL_MS', '49'],
    ['HEARTBEAT_INTERVAL_MS', '3600001'],
    ['ROOM_IDLE_MS', '-5'],
    ['MAX_MESSAGE_BYTES', '1023'],
    ['MAX_BUFFERED_BYTES', String(1024 * MiB + 1)],
    ['SEND_FRAGMENT_BYTES', '4095'],
    ['SLOW_CLOSE_GRACE_MS', '60001'],
    ['SHUTDOWN_TIMEOUT_MS', '99'],
    ['COMPACT_AFTER_UPDATES', '0'],
    ['COMPACT_AFTER_BYTES', '0'],
    ['MAX_PENDING_BYTES', '65535'],
    ['MAX_PENDING_BYTES', '64MiB'],
  ])('rejects %s=%j with a ConfigError naming it', (name, value) => {
    const err = configErrorFor({ [name]: value });
    expect(err.name).toBe('ConfigError');
    expect(err.message).toContain(name);
  });

  it('names every bad variable in one error, and none of the good ones', () => {
    const err = configErrorFor({
      PORT: 'nope',
      LOG_LEVEL: 'loud',
      HEARTBEAT_INTERVAL_MS: '1',
      MAX_MESSAGE_BYTES: 'big',
      HOST: 'example.org',
      DATA_DIR: '/tmp/x',
    });
    for (const name of ['PORT', 'LOG_LEVEL', 'HEARTBEAT_INTERVAL_MS', 'MAX_MESSAGE_BYTES']) {
      expect(err.message).toContain(name);
    }
    expect(err.message).not.toContain('HOST');
    expect(err.message).not.toContain('DATA_DIR');
  });
});

describe('loadConfig: access changes', () => {
  it('REVOKE-2: ACCESS_CHANGE_TTL_MS bounds how long a change binds earlier tokens (1 s to 400 days)', () => {
    expect(loadConfig({}).accessChangeTtlMs).toBe(86_400_000);
    expect(loadConfig({ ACCESS_CHANGE_TTL_MS: '3600000' }).accessChangeTtlMs).toBe(3_600_000);
    expect(configErrorFor({ ACCESS_CHANGE_TTL_MS: '10' }).message).toContain('ACCESS_CHANGE_TTL_MS');
    expect(configErrorFor({ ACCESS_CHANGE_TTL_MS: 'a day' }).message).toContain('ACCESS_CHANGE_TTL_MS');
  });
});

describe('configWith', () => {
  it('returns the defaults when given no overrides', () => {
    const { nodeId: _nodeId, ...rest } = configWith();
    const { nodeId: _other, ...defaults } = loadConfig({});
    expect(rest).toEqual(defaults);
  });

  it('applies overrides over the defaults and freezes the result', () => {
    const config = configWith({ port: 0, maxBufferedBytes: 4096, nodeId: 'test-node' });
    expect(config.port).toBe(0);
    expect(config.maxBufferedBytes).toBe(4096);
    expect(config.nodeId).toBe('test-node');
    expect(config.host).toBe('127.0.0.1');
    expect(Object.isFrozen(config)).toBe(true);
  });
});

describe('HOCUSPOCUS_KEEPALIVE_MS (HP-7)', () => {
  it('defaults to 10 s, inside the Hocuspocus provider’s 30 s message timeout', () => {
    expect(loadConfig({}).hocuspocusKeepaliveMs).toBe(10_000);
  });

  it('reads a value in range and refuses one outside it, naming the variable', () => {
    expect(loadConfig({ HOCUSPOCUS_KEEPALIVE_MS: '250' }).hocuspocusKeepaliveMs).toBe(250);
    for (const bad of ['49', '600001', 'soon']) {
      expect(() => loadConfig({ HOCUSPOCUS_KEEPALIVE_MS: bad })).toThrow(/HOCUSPOCUS_KEEPALIVE_MS/);
    }
  });
});
