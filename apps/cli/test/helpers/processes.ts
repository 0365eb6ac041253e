import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, type RunningProcess, startProcess } from '@tandem/test-utils';

/** The built server and CLI entries; `npm test` builds both before running tests. */
export const SERVER_ENTRY = fileURLToPath(new URL('../../../server/dist/main.js', import.meta.url));
export const CLI_ENTRY = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** A `node apps/server/dist/main.js` child process on a loopback port. */
export interface ServerProcess {
  readonly process: RunningProcess;
  readonly port: number;
  /** `ws://127.0.0.1:PORT/sync` */
  readonly syncUrl: string;
}

/** Starts a server with `env` (DATA_DIR etc.) on a free port and waits until it listens. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const process = startProcess(globalThis.process.execPath, [SERVER_ENTRY], {
    env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', WEB_DIR: 'none', ...env },
  });
  await process.waitForLine(/tandem server listening/, 15_000);
  return { process, port, syncUrl: `ws://127.0.0.1:${port}/sync` };
}

/** What one `tandem …` run printed and how it exited. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running `tandem …` process: its output so far and its result once it exits. */
export interface CliRun {
  readonly stdout: () => string;
  readonly result: Promise<CliResult>;
  /** Sends a signal (e.g. SIGINT, which `inspect` treats as "stop"). */
  readonly kill: (signal: NodeJS.Signals) => void;
}

/** Starts the built CLI with `args`; it is killed (SIGKILL) after `timeoutMs`. */
export function startCli(args: readonly string[], timeoutMs = 20_000): CliRun {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
  return { stdout: () => Buffer.concat(stdout).toString('utf8'), result, kill: (signal) => child.kill(signal) };
}

/** Runs the built CLI with `args` to completion. */
export function runCli(args: readonly string[], timeoutMs = 20_000): Promise<CliResult> {
  return startCli(args, timeoutMs).result;
}
