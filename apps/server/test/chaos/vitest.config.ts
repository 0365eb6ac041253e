import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { parseChaosSettings } from './chaos-settings.js';

// `npm run chaos -- --seed N --minutes M` (scripts/chaos.mjs) runs only the soak with this config;
// `npm test` never includes *.chaos.ts. scripts/chaos.mjs hands its arguments over in TANDEM_CHAOS.
const chaos = parseChaosSettings(process.env.TANDEM_CHAOS ?? '');

export default defineConfig({
  root: fileURLToPath(new URL('../../../../', import.meta.url)),
  test: {
    include: ['apps/server/test/chaos/*.chaos.ts'],
    pool: 'forks',
    fileParallelism: false,
    // Each seed soaks for `minutes`; the rest is setup, convergence and restarts.
    testTimeout: chaos.minutes * 60_000 + 120_000,
    hookTimeout: 60_000,
    provide: { chaos },
  },
});
