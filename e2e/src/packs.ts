import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess } from '@tandem/test-utils';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACK_TIMEOUT_MS = 60_000;

/** One packed public package: its tarball and the manifest inside it. */
export interface PackedPackage {
  readonly name: string;
  readonly tarball: string;
  /** The tarball unpacked (its `package/` folder). */
  readonly dir: string;
  readonly manifest: Record<string, unknown> & { name: string; version: string };
  /** Every file in the tarball, relative to `package/`. */
  readonly files: readonly string[];
}

/**
 * Packs every public package with `npm run pack` (scripts/pack.mjs: `pnpm pack`, what a
 * publisher uploads) into `dir`, without building again (`npm test` has built), and unpacks each.
 */
export async function packPublicPackages(dir: string): Promise<PackedPackage[]> {
  const child = startProcess(process.execPath, [join(ROOT, 'scripts', 'pack.mjs'), '--no-build', '--out', dir], {
    cwd: ROOT,
  });
  const timer = setTimeout(() => child.child.kill('SIGKILL'), PACK_TIMEOUT_MS);
  const { code } = await child.exited.finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`npm run pack exited with ${code}:\n${child.lines.join('\n')}`);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.tgz'))
    .map((file) => {
      const tarball = join(dir, file);
      const unpacked = mkdtempSync(join(dir, 'unpacked-'));
      execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
      const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map((path) => path.replace(/^package\//, ''));
      const pkgDir = join(unpacked, 'package');
      const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as PackedPackage['manifest'];
      return { name: manifest.name, tarball, dir: pkgDir, manifest, files };
    });
}
