import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from '@tandem/test-utils';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PackedPackage, packPublicPackages } from '../src/packs.js';

const ATTW = join(
  createRequire(import.meta.url).resolve('@arethetypeswrong/cli/package.json'),
  '..',
  'dist',
  'index.js',
);

/** Peer dependencies each package must declare: the singletons an app shares with it. */
const PEERS: Record<string, readonly string[]> = {
  '@tandem/protocol': [],
  '@tandem/client': ['yjs'],
  '@tandem/editor': ['@tiptap/core', '@tiptap/pm', '@tiptap/react', 'react', 'react-dom', 'yjs'],
  '@tandem/transform': ['@tiptap/core', '@tiptap/pm', 'yjs'],
};

describe('the published form of each public package (what `pnpm publish` uploads)', () => {
  let dir: string;
  let packed: PackedPackage[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-packs-'));
    packed = await packPublicPackages(dir);
  }, 90_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('PKG-1: every public package is packed', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(Object.keys(PEERS).sort());
  });

  it('PKG-2: publint finds nothing to report', async () => {
    for (const pkg of packed) {
      const { messages } = await publint({ pack: { tarball: readFileSync(pkg.tarball).buffer }, level: 'suggestion' });
      const pkgJson = pkg.manifest;
      expect(
        messages.map((m) => formatMessage(m, pkgJson)),
        pkg.name,
      ).toEqual([]);
    }
  });

  it('PKG-3: @arethetypeswrong/cli resolves the types for node16 (ESM) and bundlers', async () => {
    for (const pkg of packed) {
      const child = startProcess(process.execPath, [ATTW, '--profile', 'esm-only', '--no-color', pkg.tarball]);
      const { code } = await child.exited;
      expect({ name: pkg.name, code, output: code === 0 ? '' : child.lines.join('\n') }).toEqual({
        name: pkg.name,
        code: 0,
        output: '',
      });
    }
  });

  it('PKG-4: manifests name no workspace ranges, no devDependencies, and the peers an app shares', () => {
    for (const pkg of packed) {
      const {
        dependencies = {},
        peerDependencies = {},
        devDependencies,
        scripts,
      } = pkg.manifest as {
        dependencies?: Record<string, string>;
        peerDependencies?: Record<string, string>;
        devDependencies?: unknown;
        scripts?: unknown;
      };
      const ranges = Object.entries({ ...dependencies, ...peerDependencies }).filter(([, r]) =>
        r.startsWith('workspace:'),
      );
      expect({ name: pkg.name, ranges, devDependencies, scripts }).toEqual({ name: pkg.name, ranges: [] });
      expect(Object.keys(peerDependencies).sort(), pkg.name).toEqual(PEERS[pkg.name]);
      expect(pkg.manifest.engines, pkg.name).toEqual({ node: '^20.11.0 || ^22.0.0 || ^24.0.0' });
    }
  });

  it('PKG-5: tarballs hold LICENSE, README and the build only: no tests, fixtures or source maps', () => {
    for (const pkg of packed) {
      expect(pkg.files, pkg.name).toEqual(
        expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']),
      );
      const stray = pkg.files.filter((f) => /\.map$|\.test\.|\.fixture\.|^src\//.test(f));
      expect(stray, pkg.name).toEqual([]);
    }
  });
});
