// The one place that lists what `npm test` needs from the operating system.
// scripts/test.mjs passes these to ensureSystemPackages() (scripts/system-deps.mjs):
// as root with apt-get they are installed; otherwise the user is told what to install.
//
// Entry shape: { binary, debPackage, neededFor, searchDirs? }, for example
//   { binary: 'redis-server', debPackage: 'redis-server', neededFor: 'Redis fan-out integration tests' }
//   { binary: 'initdb', debPackage: 'postgresql', neededFor: 'PostgresDocStore tests',
//     searchDirs: ['/usr/lib/postgresql/*/bin'] }
//   { binary: 'chromium', debPackage: 'chromium', neededFor: 'browser tests in e2e/' }
//
// Add an entry in the same change that adds a test depending on it.

/** @type {import('./system-deps.mjs').SystemRequirement[]} */
export const testRequirements = [
  {
    binary: 'redis-server',
    debPackage: 'redis-server',
    neededFor: 'Redis fan-out integration tests (apps/server/test/cluster*.integration.test.ts)',
  },
  {
    binary: 'redis-cli',
    debPackage: 'redis-tools',
    neededFor:
      'creating the Redis Cluster of the high-availability tests (redis-cli --cluster create; apps/server/test/ha-*.integration.test.ts)',
  },
  {
    binary: 'initdb',
    debPackage: 'postgresql',
    neededFor: 'PostgresDocStore contract tests and cluster integration tests',
    searchDirs: ['/usr/lib/postgresql/*/bin'],
  },
  { binary: 'chromium', debPackage: 'chromium', neededFor: 'browser tests in e2e/ (driven by playwright-core)' },
  {
    binary: 'nginx',
    debPackage: 'nginx',
    neededFor: 'the load balancer of the native compose topology test (deploy/test/compose-topology.test.ts)',
    searchDirs: ['/usr/sbin'],
  },
  {
    binary: 'docker-compose',
    debPackage: 'docker-compose',
    neededFor: 'validating docker-compose.yml (deploy/test/compose-topology.test.ts)',
  },
];

// What installing and building needs (both `npm start` and `npm test`): better-sqlite3,
// the embedded store, compiles from source with node-gyp on Node 20 here.

/** @type {import('./system-deps.mjs').SystemRequirement[]} */
export const buildRequirements = [
  { binary: 'make', debPackage: 'make', neededFor: 'building better-sqlite3 (the embedded SQLite store)' },
  { binary: 'g++', debPackage: 'g++', neededFor: 'building better-sqlite3 (the embedded SQLite store)' },
  { binary: 'python3', debPackage: 'python3', neededFor: 'node-gyp, which builds better-sqlite3' },
];
