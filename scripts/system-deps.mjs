// System (non-npm) packages the scripts need, e.g. redis-server for integration
// tests. Installed with apt-get when we are root on Debian/Ubuntu (CI);
// otherwise the user is told exactly what to install. Node built-ins only.

import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { run } from './lib.mjs';

/**
 * @typedef {object} SystemRequirement
 * @property {string} binary      executable that must be found, e.g. 'redis-server'
 * @property {string} debPackage  Debian package that provides it, e.g. 'redis-server'
 * @property {string} neededFor   why, shown to the user, e.g. 'Redis fan-out integration tests'
 * @property {string[]} [searchDirs] extra directories to look in besides PATH. A path segment
 *   that is exactly `*` matches every subdirectory (highest name first), so Debian's
 *   /usr/lib/postgresql/VERSION/bin (where initdb lives, off PATH) is written with `*` for VERSION.
 */

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Expands `*` path segments (one level each), returning existing directories. */
function expandDir(pattern) {
  const parts = pattern.split('/');
  let bases = [parts[0] === '' ? '/' : parts[0]];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    if (part !== '*') {
      bases = bases.map((b) => join(b, part));
      continue;
    }
    bases = bases.flatMap((b) => {
      try {
        return readdirSync(b, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => join(b, e.name))
          .sort()
          .reverse(); // newest version first (e.g. postgresql/16 before 15)
      } catch {
        return [];
      }
    });
  }
  return bases;
}

/** Absolute path of `binary` on PATH (or in searchDirs), or null. */
export function findBinary(binary, searchDirs = []) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...searchDirs.flatMap(expandDir)];
  const names = process.platform === 'win32' ? [binary, `${binary}.exe`, `${binary}.cmd`] : [binary];
  for (const dir of dirs) {
    for (const name of names) {
      const file = join(dir, name);
      if (isExecutable(file)) return file;
    }
  }
  return null;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

let aptUpdated = false;

function describeMissing(missing) {
  return missing.map((r) => `  - ${r.binary} (Debian package "${r.debPackage}"): needed for ${r.neededFor}`).join('\n');
}

/**
 * Makes sure every binary in `list` is available. Missing ones are installed
 * with apt-get when running as root on a system that has it (apt-get update
 * runs at most once per process). Otherwise prints what to install and exits
 * non-zero. An empty list is a no-op.
 *
 * @param {SystemRequirement[]} list
 */
export async function ensureSystemPackages(list) {
  const missing = list.filter((r) => !findBinary(r.binary, r.searchDirs));
  if (missing.length === 0) return;

  const packages = [...new Set(missing.map((r) => r.debPackage))];
  const installCmd = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  const hasApt = findBinary('apt-get') !== null;

  if (!isRoot() || !hasApt) {
    console.error(
      [
        '',
        'Missing system packages:',
        describeMissing(missing),
        '',
        hasApt
          ? `Install them, then run this command again:\n\n  sudo apt-get update && sudo ${installCmd}\n`
          : `Install the equivalent of the Debian package(s) "${packages.join('", "')}" with your system's package manager, then run this command again.\n`,
      ].join('\n'),
    );
    process.exit(1);
  }

  console.log(`\nInstalling system packages: ${packages.join(', ')}\n${describeMissing(missing)}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    await run('apt-get', ['-q', 'update'], { env });
    aptUpdated = true;
  }
  await run('apt-get', ['-q', 'install', '-y', '--no-install-recommends', ...packages], { env });

  const stillMissing = missing.filter((r) => !findBinary(r.binary, r.searchDirs));
  if (stillMissing.length > 0) {
    console.error(`\napt-get finished but these are still not found:\n${describeMissing(stillMissing)}`);
    process.exit(1);
  }
}
