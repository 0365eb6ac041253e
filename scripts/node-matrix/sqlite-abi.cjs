// Preloaded (NODE_OPTIONS=--require) into every process of a Node matrix run: better-sqlite3's
// addon is compiled for one Node ABI, and the workspace's copy stays built for the machine's
// Node. This points each load of it at the copy built for the running Node's major version
// (scripts/node-matrix/<major>/better-sqlite3, made by scripts/node-matrix.mjs). Test tooling
// only: the server never sees it.
const { join } = require('node:path');

const addon = join(
  __dirname,
  process.versions.node.split('.')[0],
  'better-sqlite3',
  'build',
  'Release',
  'better_sqlite3.node',
);
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  return dlopen.call(this, module, filename.endsWith('better_sqlite3.node') ? addon : filename, ...rest);
};
