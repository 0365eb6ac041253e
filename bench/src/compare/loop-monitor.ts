/**
 * Preloaded into a server under test (`node --import …/loop-monitor.js`) in the cold-load
 * scenario: every 50 ms it appends `<epoch ms> <longest event-loop block in that window, ms>` to
 * LOOP_MONITOR_FILE. The block is how late a 5 ms timer fired on the main thread, so it measures
 * any server alike.
 */
import { appendFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.LOOP_MONITOR_FILE;
const TICK_MS = 5;
const FLUSH_MS = 50;
// Worker threads inherit the preload (execArgv): only the main thread's event loop is measured, the one
// that relays; a worker blocked in its own work (Tandem's store and snapshot threads) blocks no room.
if (file !== undefined && file !== '' && isMainThread) {
  let last = performance.now();
  let worst = 0;
  let lastFlush = last;
  setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - TICK_MS);
    last = now;
    if (now - lastFlush >= FLUSH_MS) {
      appendFileSync(file, `${Date.now()} ${worst.toFixed(2)}\n`);
      worst = 0;
      lastFlush = now;
    }
  }, TICK_MS).unref();
}
