/**
 * The noisy neighbour's re-syncing clients, in a child process of their own (`resync-child.ts`).
 * The child inherits the generator's core and runs at the lowest priority (nice 19), so that when
 * a probe has work it gets the core at once: the probes measure the server, not the time the
 * generator spent receiving the large document (measured, quick noisy scenario on this 2-core
 * machine: probe-side loop lag p99 7.1 ms with the clients in the generator's process, 2.5 ms
 * in a nice-19 child, 1.8 ms without re-syncs; re-syncs per second unchanged).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResyncChildMessage } from './resync-child.js';
import type { ServerHandle } from './servers.js';

const here = dirname(fileURLToPath(import.meta.url));
const LOWEST_PRIORITY = 19;
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 90_000;

/** Re-syncing clients running in their own process until stopped. */
export interface Resyncers {
  /** Stops the loops, closes the clients and resolves with the number of completed re-syncs. */
  stop(): Promise<number>;
}

/** Starts `clients` connections to `room` re-syncing in a loop (`pauseMs` between re-syncs). */
export async function startResyncers(
  server: ServerHandle,
  room: string,
  clients: number,
  pauseMs: number,
): Promise<Resyncers> {
  const child = fork(
    join(here, 'resync-child.js'),
    [server.url(room), server.dialect, room, String(clients), String(pauseMs)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  if (child.pid !== undefined) setPriority(child.pid, LOWEST_PRIORITY);
  try {
    await next(child, 'ready', START_TIMEOUT_MS);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    async stop() {
      const done = next(child, 'done', STOP_TIMEOUT_MS);
      if (child.connected) child.send('stop');
      try {
        const message = await done;
        return message.type === 'done' ? message.resyncs : 0;
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}

/** The child's next message of `type`; rejects on a failure report, an early exit or the timeout. */
function next(child: ChildProcess, type: ResyncChildMessage['type'], timeoutMs: number): Promise<ResyncChildMessage> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`re-sync clients: no '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: ResyncChildMessage) => {
      if (message.type === type) {
        cleanup();
        resolve(message);
      } else if (message.type === 'failed') {
        cleanup();
        reject(new Error(`re-sync clients failed: ${message.error}`));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`re-sync clients exited (${code}) before '${type}'`));
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
