// `npm run pack [-- --out DIR] [-- --no-build]`: builds and packs every public package
// (@tandem/protocol, @tandem/client, @tandem/editor) into DIR (default ./packs) with `pnpm pack`,
// exactly what `pnpm publish` (and so `changeset publish`) uploads: `workspace:` ranges become
// versions, and .pnpmfile.cjs drops devDependencies and scripts from the packed manifest.
// Install the tarballs anywhere with `npm install ./packs/tandem-*.tgz`.
// Node built-ins only: this runs before anything is installed.

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, main, publicPackages, ROOT, runPnpm, step } from './lib.mjs';

main(
  async () => {
    const { values } = parseArgs({
      options: { out: { type: 'string', default: 'packs' }, 'no-build': { type: 'boolean', default: false } },
    });
    const out = resolve(ROOT, values.out);
    if (!values['no-build']) {
      step('Building (turbo run build)');
      await build();
    }
    mkdirSync(out, { recursive: true });
    for (const pkg of publicPackages()) {
      step(`Packing ${pkg.name}@${pkg.version}`);
      await runPnpm(['pack', '--pack-destination', out], { cwd: pkg.path });
    }
    console.log(`\ntarballs in ${out}`);
  },
  { name: 'npm run pack' },
);
