// `npm run chaos -- --seed N [--seed M …] --minutes M`: install → build → the network-fault
// soak (apps/server/test/chaos/soak.chaos.ts): for each seed, fault rounds against one node
// (SQLite) and a two-node cluster (Redis + Postgres) until M minutes pass, then per-seed figures.
// Exits non-zero on any acked-update loss, policy close, slow reconnect, lost presence or
// convergence failure. Node built-ins only: this runs before anything is installed.

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build, install, main, ROOT, runPnpm, step } from './lib.mjs';
import { ensureSystemPackages } from './system-deps.mjs';
import { buildRequirements, testRequirements } from './test-requirements.mjs';

main(
  async () => {
    const { values } = parseArgs({
      options: { seed: { type: 'string', multiple: true }, minutes: { type: 'string' } },
      strict: true,
    });
    const seeds = (values.seed ?? ['1']).flatMap((s) => s.split(','));
    if (seeds.some((s) => !/^\d+$/.test(s))) throw new Error(`--seed takes whole numbers, got ${seeds.join(', ')}`);
    const minutes = values.minutes ?? '1';
    if (!/^\d+(\.\d+)?$/.test(minutes) || Number(minutes) <= 0) {
      throw new Error(`--minutes takes a positive number, got ${minutes}`);
    }

    step('Checking system packages (redis-server, postgres)');
    await ensureSystemPackages([...buildRequirements, ...testRequirements.filter((r) => r.binary !== 'chromium')]);

    step('Installing dependencies (pnpm install)');
    await install();

    step('Building (turbo run build)');
    await build();

    step(`Soaking seeds ${seeds.join(', ')} for ${minutes} minute(s) each`);
    const code = await runPnpm(
      ['vitest', 'run', '--config', join(ROOT, 'apps', 'server', 'test', 'chaos', 'vitest.config.ts')],
      {
        allowFailure: true,
        env: {
          TANDEM_CHAOS: `seeds=${seeds.join(',')};minutes=${minutes}`,
          ...(process.stdout.isTTY ? {} : { NO_COLOR: '1' }),
        },
      },
    );
    console.log(code === 0 ? '\nchaos: no rule broken' : '\nchaos: rules broken (see the figures above)');
    process.exitCode = code === 0 ? 0 : 1;
  },
  { name: 'npm run chaos' },
);
