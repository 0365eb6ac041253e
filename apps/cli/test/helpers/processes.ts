import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type ServerProcess, startServerProcess } from '@tandem/test-utils';

export type { ServerProcess } from '@tandem/test-utils';

/** The built CLI entry; `npm test` builds it (and the server) before running tests. */
export const CLI_ENTRY = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** Starts a server with `env` (DATA_DIR etc.) and without the web app, and waits until it listens. */
export function startServer(env: Record<string, string>): Promise<ServerProcess> {
  return startServerProcess({ WEB_DIR: 'none', ...env });
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
