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
// The current tests need only Node, so the list is empty. Add an entry in the
// same change that adds a test depending on it.

/** @type {import('./system-deps.mjs').SystemRequirement[]} */
export const testRequirements = [];

// What installing and building needs (both `npm start` and `npm test`), e.g. a
// C++ toolchain once a native addon such as better-sqlite3 must compile from
// source: { binary: 'make', debPackage: 'build-essential', ... },
// { binary: 'python3', debPackage: 'python3', ... }. Empty for now.

/** @type {import('./system-deps.mjs').SystemRequirement[]} */
export const buildRequirements = [];
