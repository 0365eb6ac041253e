import type { Session } from './session.js';

/** A running heartbeat; stop it at shutdown. */
export interface Heartbeat {
  stop(): void;
}

/**
 * Every `intervalMs`, pings every live session; one that has not answered the previous
 * ping is terminated (CONN-1), which removes its awareness states for everyone.
 */
export function startHeartbeat(sessions: () => Iterable<Session>, intervalMs: number): Heartbeat {
  const timer = setInterval(() => {
    for (const session of sessions()) session.heartbeat();
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
