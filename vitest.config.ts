import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One config for the whole workspace; `npm test` (scripts/test.mjs) runs it after
// building, so tests may import workspace packages through their built dist/.
export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'e2e/tests/**/*.test.ts',
      'bench/test/**/*.test.ts',
      'deploy/test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**', '**/.turbo/**'],
    // Integration tests start real child processes (servers, Redis, Postgres):
    // separate processes per file, and generous timeouts for a loaded 2-core CI box.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: true,
    // Vitest's default is cores - 1, i.e. a single worker on 2 cores. Test files
    // mostly wait on I/O and child processes, so use at least two.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
