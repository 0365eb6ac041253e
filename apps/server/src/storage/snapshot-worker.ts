import { parentPort } from 'node:worker_threads';
import { lowerThreadPriority } from './worker-thread.js';

/** Niceness of the snapshot thread: relaying and commits come first when they want the same core. */
const SNAPSHOT_THREAD_NICENESS = 15;

/**
 * The snapshot thread's entry. It lowers its priority before it loads Yjs and the merge code
 * (snapshot-service.ts): loading them is most of a start's CPU, and the thread starts again after
 * every idle spell — at its own priority, that CPU took an equal share of a busy node's core from
 * the event loop at every start.
 */
if (parentPort === null) throw new Error('snapshot-worker.js must run as a worker thread');
lowerThreadPriority(SNAPSHOT_THREAD_NICENESS);
const { serveSnapshots } = await import('./snapshot-service.js');
serveSnapshots(parentPort);
