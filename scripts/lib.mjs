// Shared helpers for the root scripts (`npm start`, `npm test`).
//
// These scripts run BEFORE any dependency is installed, so they may only use
// Node built-ins. They must work on a fresh machine with Node 20+ and npm, with
// or without a global pnpm, as root (CI) or as a normal user.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const isWindows = process.platform === 'win32';

/** Prints a step header so long logs stay easy to scan. */
export function step(title) {
  console.log(`\n==> ${title}`);
}

/** A failed command, with the exit code (or 128 + signal number) to exit with. */
export class CommandError extends Error {
  constructor(message, exitCode) {
    super(message);
    this.name = 'CommandError';
    this.exitCode = exitCode;
  }
}

/** Exit code a shell would report for a child that ended with `code` or `signal`. */
export function exitCodeOf(code, signal) {
  if (code !== null && code !== undefined) return code;
  const signo = signal ? osConstants.signals[signal] : undefined;
  return signo ? 128 + signo : 1;
}

function describe(cmd, args) {
  return [cmd, ...args].map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

/**
 * Runs a command with inherited stdio. Resolves when it exits with 0; rejects
 * with a CommandError naming the command otherwise. While it runs, SIGINT and
 * SIGTERM sent to this process (e.g. forwarded by npm, or `docker stop`) are
 * passed on to it, so nothing keeps running after we are gone.
 *
 * opts: { cwd = ROOT, env: extra variables merged over process.env, allowFailure }
 * With allowFailure the promise resolves with the exit code instead of rejecting.
 */
export function run(cmd, args = [], opts = {}) {
  const { cwd = ROOT, env = {}, allowFailure = false } = opts;
  const shown = describe(cmd, args);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: 'inherit',
      // npx/pnpm are .cmd shims on Windows.
      shell: isWindows,
    });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const cleanup = () => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
    };
    child.on('error', (err) => {
      cleanup();
      const hint = err.code === 'ENOENT' ? ` (is "${cmd}" installed and on PATH?)` : '';
      reject(new CommandError(`Could not start \`${shown}\`: ${err.message}${hint}`, 127));
    });
    child.on('exit', (code, signal) => {
      cleanup();
      const exitCode = exitCodeOf(code, signal);
      if (exitCode === 0 || allowFailure) {
        resolvePromise(exitCode);
        return;
      }
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(new CommandError(`Command failed: \`${shown}\` ${how} (in ${cwd})`, exitCode));
    });
  });
}

/** Runs a command and returns its trimmed stdout, or null if it cannot run or fails. */
export function capture(cmd, args = [], opts = {}) {
  const result = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeout ?? 60_000,
    shell: isWindows,
  });
  if (result.error || result.status !== 0) return null;
  return result.stdout.trim();
}

export function readRootPackageJson() {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
}

/** The pnpm version pinned by the root package.json `packageManager` field ("pnpm@X.Y.Z[+sha...]"). */
export function pinnedPnpmVersion() {
  const field = readRootPackageJson().packageManager;
  const match = typeof field === 'string' ? /^pnpm@([^+\s]+)/.exec(field) : null;
  if (!match) {
    throw new Error(`package.json "packageManager" must be "pnpm@<version>", found ${JSON.stringify(field)}`);
  }
  return match[1];
}

let pnpmCommand;

/**
 * How to invoke pnpm: `['pnpm']` when a pnpm on PATH prints exactly the pinned
 * version, otherwise `['npx', '-y', 'pnpm@<pinned>']` (cached by npm, never
 * installed globally). Resolved once per process.
 */
export function pnpm() {
  if (pnpmCommand) return pnpmCommand;
  const version = pinnedPnpmVersion();
  // COREPACK_ENABLE_DOWNLOAD_PROMPT=0: a corepack shim must not stop to ask.
  const found = capture('pnpm', ['--version'], { env: { COREPACK_ENABLE_DOWNLOAD_PROMPT: '0' } });
  if (found === version) {
    pnpmCommand = ['pnpm'];
  } else {
    const why = found === null ? 'pnpm is not on PATH' : `pnpm on PATH is ${found}`;
    console.log(`${why}; using npx -y pnpm@${version} (pinned in package.json)`);
    pnpmCommand = ['npx', '-y', `pnpm@${version}`];
  }
  return pnpmCommand;
}

/** Runs pnpm with the given arguments (see `run` for opts). */
export function runPnpm(args, opts = {}) {
  const [cmd, ...prefix] = pnpm();
  // Keep npx/corepack from printing upgrade notices or waiting on a prompt.
  const env = { npm_config_update_notifier: 'false', COREPACK_ENABLE_DOWNLOAD_PROMPT: '0', ...opts.env };
  return run(cmd, [...prefix, ...args], { ...opts, env });
}

/**
 * The running Node's own headers (`<prefix>/include/node`), which official Node builds ship: native
 * addons (the SQLite driver) are then compiled against the Node that runs them without downloading
 * headers, and never against another Node's that npm names in `nodedir` (e.g. /usr). Null when absent.
 */
export function runningNodeHeaders() {
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node.h')) ? prefix : null;
}

/** Installs workspace dependencies (frozen lockfile when one exists). */
export function install() {
  const frozen = existsSync(join(ROOT, 'pnpm-lock.yaml'));
  const headers = runningNodeHeaders();
  return runPnpm(
    [
      'install',
      frozen ? '--frozen-lockfile' : '--no-frozen-lockfile',
      // Never stop to ask before recreating node_modules (non-TTY/CI safe).
      '--config.confirmModulesPurge=false',
    ],
    { env: { PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1', ...(headers === null ? {} : { npm_config_nodedir: headers }) } },
  );
}

/** Env that keeps turbo quiet and offline-friendly. */
export const TURBO_ENV = {
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
};

/** Builds every workspace package through turbo, printing logs only for failing tasks. */
export function build() {
  return runPnpm(['turbo', 'run', 'build', '--output-logs=errors-only', '--log-order=grouped'], { env: TURBO_ENV });
}

/** `pnpm turbo run typecheck`: tsc over every package, tests included (the build leaves tests out). */
export function typecheck() {
  return runPnpm(['turbo', 'run', 'typecheck', '--output-logs=errors-only', '--log-order=grouped'], { env: TURBO_ENV });
}

/** Runs a script's async body; any error becomes one clear last line and a non-zero exit. */
export function main(fn, { name = 'script' } = {}) {
  fn().catch((err) => {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`\n${name}: ${message}`);
    process.exit(err instanceof CommandError ? err.exitCode || 1 : 1);
  });
}

/** The workspace packages meant for other people's apps: every `packages/*` not marked private. */
export function publicPackages() {
  const dir = join(ROOT, 'packages');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'package.json')))
    .map((entry) => {
      const path = join(dir, entry.name);
      return { path, manifest: JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) };
    })
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ path, manifest }) => ({ name: manifest.name, version: manifest.version, path }));
}

/** Env for plain test output in logs (vitest treats any FORCE_COLOR, even 0, as "force"). */
export function plainOutputEnv() {
  return process.stdout.isTTY || 'FORCE_COLOR' in process.env ? {} : { NO_COLOR: '1' };
}
