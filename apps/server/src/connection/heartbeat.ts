/** A running heartbeat; stop it at shutdown. */
export interface Heartbeat {
  stop(): void;
}

/** What the heartbeat ticks: a {@link Connection}. */
export interface Beating {
  /** Pings, or terminates when the previous ping went unanswered. */
  heartbeat(): boolean;
}

/**
 * Every `intervalMs`, pings every live connection; one that has not answered the previous
 * ping is terminated (CONN-1), which removes its sessions' awareness states for everyone.
 */
export function startHeartbeat(connections: () => Iterable<Beating>, intervalMs: number): Heartbeat {
  const timer = setInterval(() => {
    for (const connection of connections()) connection.heartbeat();
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
