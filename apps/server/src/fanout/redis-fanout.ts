import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { type BackoffPolicy, backoffDelay } from '../backoff.js';
import type { Fanout, FanoutHandler, FanoutMessage, FanoutSubscription } from './fanout.js';
import { decodeEnvelope, encodeEnvelope } from './fanout-codec.js';

/** Options for {@link createRedisFanout}. */
export interface RedisFanoutOptions {
  /** `redis://` or `rediss://` URL. */
  readonly url: string;
  /** This node's id: messages carrying it are this node's own echoes. */
  readonly nodeId: string;
  readonly logger: Logger;
  /** Reconnect backoff. */
  readonly retry: BackoffPolicy;
  /** Ping interval; a ping unanswered for this long means the connection is dead (a silent partition). */
  readonly probeMs: number;
  /** Channel name prefix, so several deployments can share one Redis. */
  readonly channelPrefix?: string;
  /**
   * Opens one of the fan-out's two connections with the options it needs (default:
   * `new Redis(url, clientOptions)`): tests inject their clients here. It is called synchronously
   * inside {@link createRedisFanout}, so the fan-out's listeners are on the client before it connects.
   */
  readonly connect?: (role: RedisFanoutRole, clientOptions: RedisOptions) => Redis;
}

/** Which of its two connections the fan-out opens: publishing is pipelined, subscribing is not. */
export type RedisFanoutRole = 'publisher' | 'subscriber';
type Role = RedisFanoutRole;

/**
 * Fan-out over Redis pub/sub (ioredis): one channel per room, one publishing and one subscribing
 * connection. Publishes are auto-pipelined (one write per event-loop turn) and never queued while
 * Redis is down: they are dropped and the rooms resync once it is back.
 */
export function createRedisFanout(options: RedisFanoutOptions): Fanout {
  const prefix = options.channelPrefix ?? 'tandem:room:';
  const log = options.logger.child({ dependency: 'redis' });
  const handlers = new Map<string, Set<FanoutHandler>>();
  const resyncListeners = new Set<() => void>();
  // Set when something may have been lost; cleared once both connections are back and rooms were told.
  let lostMessages = false;
  let subscriberReady = false;
  let closed = false;

  const open = options.connect ?? ((_role: Role, clientOptions: RedisOptions) => new Redis(options.url, clientOptions));
  const connect = (role: Role) =>
    open(role, {
      lazyConnect: false,
      enableAutoPipelining: role === 'publisher',
      // Never buffer while down: memory must not grow with an outage; rooms resync instead.
      enableOfflineQueue: false,
      autoResubscribe: false,
      maxRetriesPerRequest: 0,
      connectTimeout: options.probeMs * 2,
      retryStrategy: (times) => backoffDelay(options.retry, times - 1),
      connectionName: `tandem:${options.nodeId}:${role}`,
    });
  const publisher = connect('publisher');
  const subscriber = connect('subscriber');

  const channelOf = (roomId: string) => `${prefix}${roomId}`;

  const maybeResync = () => {
    if (!lostMessages || closed || !subscriberReady || publisher.status !== 'ready') return;
    lostMessages = false;
    log.info({ rooms: handlers.size }, 'redis fan-out restored; rooms are catching up');
    for (const listener of resyncListeners) listener();
  };

  const watch = (client: Redis, role: Role) => {
    let up = false;
    let errorsLogged = 0;
    client.on('ready', () => {
      up = true;
      errorsLogged = 0;
      if (role === 'publisher') {
        log.info({ connection: role }, 'redis connected');
        maybeResync();
        return;
      }
      const channels = [...handlers.keys()].map(channelOf);
      const resubscribed = channels.length === 0 ? Promise.resolve() : subscriber.subscribe(...channels);
      resubscribed.then(
        () => {
          subscriberReady = true;
          // Rooms that subscribed while the resubscribe was in flight are not in `channels` yet.
          const added = [...handlers.keys()].map(channelOf).filter((c) => !channels.includes(c));
          if (added.length > 0) {
            lostMessages = true;
            subscriber.subscribe(...added).catch(() => {});
          }
          log.info({ connection: role, channels: channels.length }, 'redis connected');
          maybeResync();
        },
        // The connection dropped again; its next 'ready' retries.
        (err: unknown) => log.warn({ err, connection: role }, 'redis resubscribe failed'),
      );
    });
    client.on('close', () => {
      if (role === 'subscriber') subscriberReady = false;
      if (!up || closed) return;
      up = false;
      lostMessages = true;
      log.error({ connection: role }, 'redis connection lost; serving local sessions only, retrying with backoff');
    });
    // ioredis emits an error per failed attempt; one line per outage is enough.
    client.on('error', (err) => {
      if (errorsLogged++ === 0) log.warn({ err, connection: role }, 'redis error');
    });
  };
  watch(publisher, 'publisher');
  watch(subscriber, 'subscriber');

  subscriber.on('messageBuffer', (channel: Buffer, raw: Buffer) => {
    const roomId = channel.toString('utf8').slice(prefix.length);
    const set = handlers.get(roomId);
    if (set === undefined) return;
    const envelope = decodeEnvelope(raw);
    if (envelope === null) {
      log.warn({ room: roomId }, 'dropped an undecodable fan-out message');
      return;
    }
    if (envelope.nodeId === options.nodeId) return;
    for (const handler of set) handler(envelope.message);
  });

  // A partition that drops packets closes nothing: only an unanswered ping reveals it.
  const probing = new Set<Role>();
  const probe = (client: Redis, role: Role) => {
    if (client.status !== 'ready' || probing.has(role)) return;
    probing.add(role);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.probeMs);
    });
    void Promise.race([client.ping().catch(() => 'failed'), timeout]).then((result) => {
      clearTimeout(timer);
      probing.delete(role);
      if (result !== 'timeout' || closed) return;
      log.error({ connection: role, ms: options.probeMs }, 'redis did not answer a ping; reconnecting');
      client.disconnect(true);
    });
  };
  const prober = setInterval(() => {
    probe(publisher, 'publisher');
    probe(subscriber, 'subscriber');
  }, options.probeMs);
  prober.unref();

  return {
    publish(roomId: string, message: FanoutMessage) {
      if (publisher.status !== 'ready') {
        lostMessages = true;
        return;
      }
      publisher.publish(channelOf(roomId), encodeEnvelope(options.nodeId, message)).catch((err: unknown) => {
        lostMessages = true;
        log.debug({ err, room: roomId }, 'redis publish failed');
      });
    },
    subscribe(roomId: string, handler: FanoutHandler): FanoutSubscription {
      let set = handlers.get(roomId);
      let ready: Promise<void> = Promise.resolve();
      if (set === undefined) {
        set = new Set();
        handlers.set(roomId, set);
        if (subscriberReady) {
          ready = subscriber.subscribe(channelOf(roomId)).then(
            () => {},
            () => {
              // Not subscribed after all: the reconnect that follows resubscribes and resyncs.
              lostMessages = true;
            },
          );
        }
      }
      set.add(handler);
      const mine = set;
      return {
        ready,
        close() {
          mine.delete(handler);
          if (mine.size > 0 || handlers.get(roomId) !== mine) return;
          handlers.delete(roomId);
          if (subscriberReady) subscriber.unsubscribe(channelOf(roomId)).catch(() => {});
        },
      };
    },
    onResync(listener) {
      resyncListeners.add(listener);
      return () => resyncListeners.delete(listener);
    },
    async check() {
      if (publisher.status !== 'ready') throw new Error(`redis publisher ${publisher.status}`);
      if (!subscriberReady) throw new Error(`redis subscriber ${subscriber.status}`);
    },
    async close() {
      closed = true;
      clearInterval(prober);
      handlers.clear();
      resyncListeners.clear();
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
