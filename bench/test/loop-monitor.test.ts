import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const monitor = fileURLToPath(new URL('../dist/compare/loop-monitor.js', import.meta.url));

/**
 * A process whose main thread idles while a worker thread (a script file, as a server's are: those
 * get the preload too) busies itself for 400 ms between two idle spells: a server that merges or
 * stores on a worker (Tandem) blocks none of its rooms then.
 */
const MAIN = `
const { Worker } = require('node:worker_threads');
const keepAlive = setInterval(() => {}, 1000);
new Worker(process.env.WORKER_FILE).on('exit', () => setTimeout(() => clearInterval(keepAlive), 150));
`;
const WORKER = `
setTimeout(() => {
  const end = Date.now() + 400;
  while (Date.now() < end) {}
  setTimeout(() => {}, 150);
}, 150);
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
    const workerFile = join(dir, 'worker.mjs');
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
    // The main thread ran its 5 ms timer throughout (the worker's 700 ms and more).
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...blocks)).toBeLessThan(100);
  }, 10_000);
});
