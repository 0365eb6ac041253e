export { type RunningProcess, type StartProcessOptions, startProcess } from './child-process.js';
export {
  type ConnectionFault,
  type ConnectionFaultKind,
  type FaultConnection,
  type FaultProxy,
  type FaultProxyOptions,
  type PathConditions,
  startFaultProxy,
} from './fault-proxy.js';
export { freePort } from './ports.js';
export {
  type PostgresMember,
  type PostgresReplicaSet,
  startPostgresReplicaSet,
} from './postgres-replica-set.js';
export { type PostgresServer, startPostgres } from './postgres-server.js';
export { type RedisCluster, type RedisClusterNodeInfo, redisCli, startRedisCluster } from './redis-cluster.js';
export { type RedisSentinelSet, type RedisSentinelSetOptions, startRedisSentinelSet } from './redis-sentinel-set.js';
export { type RedisServer, type RedisServerOptions, startRedisServer } from './redis-server.js';
export { createRng, type Rng } from './rng.js';
export {
  SERVER_ENTRY,
  type ServerProcess,
  type ServerProcessOptions,
  startServerProcess,
} from './server-process.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { nowSeconds, signHs256Token, unsignedToken } from './tokens.js';
export { nextEvent, type WaitForOptions, waitFor } from './wait-for.js';
