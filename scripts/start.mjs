// `npm start`: install → build → run one server node (http://127.0.0.1:1234 by
// default; the server reads PORT, HOST, DATA_DIR, ... from the environment and
// prints its own URLs). SIGINT/SIGTERM/SIGHUP are forwarded to the server and
// this script exits with the server's exit code.
// Node built-ins only: this runs before anything is installed.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, exitCodeOf, install, main, ROOT, step } from './lib.mjs';
import { ensureSystemPackages } from './system-deps.mjs';
import { buildRequirements } from './test-requirements.mjs';

const SERVER_ENTRY = join(ROOT, 'apps', 'server', 'dist', 'main.js');
/** The environment the server is meant to run with (the Docker image sets the same; decision 0025). */
const RUNTIME_ENV = join(ROOT, 'apps', 'server', 'runtime-env.json');
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
// Under `npm start` one Ctrl-C can reach us twice within milliseconds (from the
// terminal, and forwarded by npm when its script shell execs us); pass it on
// once. A second press after this window is forwarded again (servers commonly
// treat it as "stop now").
const DUPLICATE_SIGNAL_WINDOW_MS = 300;
const PARENT_CHECK_INTERVAL_MS = 1_000;

main(
  async () => {
    step('Checking system packages');
    await ensureSystemPackages(buildRequirements);

    step('Installing dependencies (pnpm install)');
    await install();

    step('Building (turbo run build)');
    await build();

    if (!existsSync(SERVER_ENTRY)) {
      throw new Error(`the build did not produce ${SERVER_ENTRY}`);
    }

    step('Starting the server (node apps/server/dist/main.js)');
    // Own process group (POSIX): the terminal's Ctrl-C reaches only us, and we
    // forward it exactly once, instead of the server getting it two or three times.
    const detached = process.platform !== 'win32';
    const server = spawn(process.execPath, [SERVER_ENTRY], {
      cwd: ROOT,
      // The allocator settings the Docker image runs with too (decision 0025); the caller's own win.
      env: { ...runtimeEnv(), ...process.env },
      stdio: 'inherit',
      detached,
    });

    const lastForwarded = new Map();
    const forward = (signal) => {
      const now = Date.now();
      if (now - (lastForwarded.get(signal) ?? 0) < DUPLICATE_SIGNAL_WINDOW_MS) return;
      lastForwarded.set(signal, now);
      if (server.exitCode === null && server.signalCode === null) server.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);

    // If this script dies for any other reason, do not leave the server behind.
    const killServer = () => {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
    };
    process.on('exit', killServer);

    // `kill <npm pid>` (or a process manager stopping `npm start`) makes npm
    // forward SIGTERM to its `sh -c` wrapper, which dies without passing it on:
    // we are re-parented and nothing would ever stop the server. Treat losing
    // our parent as SIGTERM.
    const parentPid = process.ppid;
    const parentWatch = setInterval(() => {
      if (process.ppid !== parentPid) {
        clearInterval(parentWatch);
        console.error('npm start: parent process exited; stopping the server');
        forward('SIGTERM');
      }
    }, PARENT_CHECK_INTERVAL_MS);
    parentWatch.unref();

    const exitCode = await new Promise((resolve, reject) => {
      server.on('error', (err) => reject(new Error(`could not start the server: ${err.message}`)));
      server.on('exit', (code, signal) => resolve(exitCodeOf(code, signal)));
    });
    process.off('exit', killServer);
    process.exit(exitCode);
  },
  { name: 'npm start' },
);

/** `apps/server/runtime-env.json`: variables the server's process should start with. */
function runtimeEnv() {
  return JSON.parse(readFileSync(RUNTIME_ENV, 'utf8'));
}
