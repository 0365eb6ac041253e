import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { type BackoffPolicy, backoffDelay } from '../backoff.js';
import type { Fanout, FanoutHandler, FanoutMessage, FanoutSubscription } from './fanout.js';
import { decodeEnvelope, encodeEnvelope } from './fanout-codec.js';

/** Options for {@link createRedisFanout}. */
export interface RedisFanoutOptions {
  /** `redis://` or `rediss://` URL of a single Redis (used when no `connect` is given). */
  readonly url?: string;
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
   * `new Redis(url, clientOptions)`): a Sentinel-managed or a cluster client comes from here
   * (redis-connections.ts), and tests inject theirs. It is called synchronously inside
   * {@link createRedisFanout}, so the fan-out's listeners are on the client before it connects.
   */
  readonly connect?: (role: RedisFanoutRole, clientOptions: RedisOptions) => RedisClient;
  /**
   * `classic`: PUBLISH/SUBSCRIBE (a single Redis or a Sentinel-managed one). `sharded`: Redis 7
   * SPUBLISH/SSUBSCRIBE on a cluster client, so a room's traffic stays on the shard owning its
   * channel's slot (HA-3). Default `classic`.
   */
  readonly pubsub?: RedisPubSubMode;
}

/** Which of its two connections the fan-out opens: publishing is pipelined, subscribing is not. */
export type RedisFanoutRole = 'publisher' | 'subscriber';
type Role = RedisFanoutRole;

/** A connection the fan-out runs on: one Redis (direct or found through Sentinel), or a cluster client. */
export type RedisClient = Redis | Cluster;

/** Plain or sharded pub/sub; see {@link RedisFanoutOptions.pubsub}. */
export type RedisPubSubMode = 'classic' | 'sharded';

/** The commands of one pub/sub mode. */
interface PubSub {
  publish(client: RedisClient, channel: string, payload: Buffer): Promise<unknown>;
  subscribe(client: RedisClient, channels: readonly string[]): Promise<unknown>;
  unsubscribe(client: RedisClient, channel: string): Promise<unknown>;
  readonly messageEvent: 'messageBuffer' | 'smessageBuffer';
  /**
   * Whether the client itself resubscribes after a reconnect: a cluster client keeps its sharded
   * channels and resubscribes them on every topology change; a plain client runs with
   * `autoResubscribe` off, and the fan-out resubscribes (so it knows when delivery is back).
   */
  readonly clientResubscribes: boolean;
  /**
   * Whether an unanswered PING reconnects the client (a silent partition). Not on a cluster: its
   * PING goes to any one node, a dead master during a failover would make the whole client
   * reconnect and drop every shard's subscriptions; the cluster client's own slot refresh
   * (every 5 s, bounded by its timeout) notices a lost cluster instead.
   */
  readonly pingProbe: boolean;
}

const PUBSUB: Record<RedisPubSubMode, PubSub> = {
  classic: {
    publish: (client, channel, payload) => client.publish(channel, payload),
    subscribe: (client, channels) => client.subscribe(...channels),
    unsubscribe: (client, channel) => client.unsubscribe(channel),
    messageEvent: 'messageBuffer',
    clientResubscribes: false,
    pingProbe: true,
  },
  sharded: {
    publish: (client, channel, payload) => client.spublish(channel, payload),
    // Channels of different rooms hash to different slots: one SSUBSCRIBE each (one per slot is the rule).
    subscribe: (client, channels) => Promise.all(channels.map((channel) => client.ssubscribe(channel))),
    unsubscribe: (client, channel) => client.sunsubscribe(channel),
    messageEvent: 'smessageBuffer',
    clientResubscribes: true,
    pingProbe: false,
  },
};

/**
 * Fan-out over Redis pub/sub (ioredis): one channel per room, one publishing and one subscribing
 * connection. Publishes are auto-pipelined (one write per event-loop turn) and never queued while
 * Redis is down: they are dropped and the rooms resync once it is back.
 */
export function createRedisFanout(options: RedisFanoutOptions): Fanout {
  const prefix = options.channelPrefix ?? 'tandem:room:';
  const pubsub = PUBSUB[options.pubsub ?? 'classic'];
  const log = options.logger.child({ dependency: 'redis' });
  const handlers = new Map<string, Set<FanoutHandler>>();
  const resyncListeners = new Set<() => void>();
  // Set when something may have been lost; cleared once both connections are back and rooms were told.
  let lostMessages = false;
  let subscriberReady = false;
  let closed = false;

  const open =
    options.connect ??
    ((_role: Role, clientOptions: RedisOptions) => {
      if (options.url === undefined) throw new Error('createRedisFanout needs a url or a connect function');
      return new Redis(options.url, clientOptions);
    });
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

  // Channels the cluster client already holds (it resubscribes them itself after a topology change).
  const heldByClient = new Set<string>();
  const subscribeChannels = (channels: readonly string[]) => {
    if (channels.length === 0) return Promise.resolve();
    return pubsub.subscribe(subscriber, channels).then(() => {
      if (pubsub.clientResubscribes) for (const channel of channels) heldByClient.add(channel);
    });
  };

  const watch = (client: RedisClient, role: Role) => {
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
      const channels = [...handlers.keys()].map(channelOf).filter((c) => !heldByClient.has(c));
      subscribeChannels(channels).then(
        () => {
          subscriberReady = true;
          // Rooms that subscribed while the resubscribe was in flight are not in `channels` yet.
          const added = [...handlers.keys()]
            .map(channelOf)
            .filter((c) => !channels.includes(c) && !heldByClient.has(c));
          if (added.length > 0) {
            lostMessages = true;
            subscribeChannels(added).catch(() => {});
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
  if (pubsub.clientResubscribes) {
    // A cluster node dropped (a shard's master died, a reshard moved slots): the cluster client
    // stays 'ready' and resubscribes by itself, but messages on that shard may have been lost meanwhile.
    subscriber.on('-node', () => {
      if (closed) return;
      lostMessages = true;
      log.warn({ connection: 'subscriber' }, 'redis cluster node lost; rooms catch up once its shard is back');
    });
    // Emitted once the sharded subscribers of a changed topology are connected and their SSUBSCRIBEs
    // written. Always a catch-up: the publisher may have learnt the new topology first, so a resync
    // it already did succeeded while this node's subscriptions were not back yet, and its answers were lost.
    subscriber.on('subscribersReady', () => {
      lostMessages = true;
      maybeResync();
    });
  }

  subscriber.on(pubsub.messageEvent, (channel: Buffer, raw: Buffer) => {
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
  const probe = (client: RedisClient, role: Role) => {
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
    if (pubsub.pingProbe) {
      probe(publisher, 'publisher');
      probe(subscriber, 'subscriber');
    }
    // A publish can fail while both connections stay up (a cluster shard failing over): catch up then too.
    maybeResync();
  }, options.probeMs);
  prober.unref();

  return {
    publish(roomId: string, message: FanoutMessage) {
      if (publisher.status !== 'ready') {
        lostMessages = true;
        return;
      }
      pubsub.publish(publisher, channelOf(roomId), encodeEnvelope(options.nodeId, message)).catch((err: unknown) => {
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
          ready = subscribeChannels([channelOf(roomId)]).then(
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
          heldByClient.delete(channelOf(roomId));
          if (subscriberReady) pubsub.unsubscribe(subscriber, channelOf(roomId)).catch(() => {});
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
