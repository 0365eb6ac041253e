import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const monitor = fileURLToPath(new URL('../dist/compare/loop-monitor.js', import.meta.url));

/**
 * A process whose main thread idles while a worker thread (a script file, as a server's are: those
 * get the preload too) busies itself for 400 ms: a server that merges or stores on a worker
 * (Tandem) blocks none of its rooms then. Every step waits for an event, none for a time: the
 * worker starts its work when told, and reports it done two event-loop turns later, by which time
 * its own timers (a monitor running there would be one) have fired.
 */
const MAIN = `
const { Worker } = require('node:worker_threads');
const keepAlive = setInterval(() => {}, 1000);
const worker = new Worker(process.env.WORKER_FILE);
worker.on('online', () => worker.postMessage('go'));
worker.on('message', () => worker.terminate().then(() => clearInterval(keepAlive)));
`;
const WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', () => {
  const end = Date.now() + 400;
  while (Date.now() < end) {}
  setImmediate(() => setImmediate(() => parentPort.postMessage('done')));
});
`;

describe('loop monitor', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("measures the main thread's event loop only, not a worker thread busy in its own work", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-loop-monitor-'));
    dirs.push(dir);
    const file = join(dir, 'loop.txt');
    const workerFile = join(dir, 'worker.cjs');
    writeFileSync(workerFile, WORKER);
    const child = spawn(process.execPath, ['--import', monitor, '-e', MAIN], {
      env: { ...process.env, LOOP_MONITOR_FILE: file, WORKER_FILE: workerFile },
      stdio: 'ignore',
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    const blocks = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => Number(line.split(' ')[1]));
    // The main thread ran its 5 ms timer throughout the worker's 400 ms (a line per 50 ms).
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...blocks)).toBeLessThan(100);
  }, 10_000);
});
