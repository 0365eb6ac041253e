import { startFaultProxy } from './fault-proxy.js';

/** A loopback TCP proxy a test can pause to cut one process off from a service. */
export interface TcpProxy {
  /** The port clients connect to instead of the target's. */
  readonly port: number;
  /**
   * Partitions: from now on no byte passes in either direction, and connections are not closed
   * (packets vanish, as on a broken network), so the client must notice by itself.
   */
  pause(): void;
  /** Heals: connections opened before or during the pause are reset; new ones pass normally. */
  resume(): void;
  readonly paused: boolean;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 that forwards to 127.0.0.1:`targetPort` (a fault proxy's partition switch). */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const proxy = await startFaultProxy({ targetPort });
  return {
    port: proxy.port,
    get paused() {
      return proxy.partitioned;
    },
    pause: () => proxy.partition(),
    resume: () => proxy.heal(),
    close: () => proxy.close(),
  };
}
