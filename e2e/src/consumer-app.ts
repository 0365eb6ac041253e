import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess } from '@tandem/test-utils';
import type { PackedPackage } from './packs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The URL the README examples use; the scratch app gets the test server's instead. */
const README_URL = 'ws://127.0.0.1:1234/sync';

/** The first ```lang block of a package README: the example its Install section leads to. */
export function readmeExample(pkg: 'protocol' | 'client' | 'editor', lang: 'ts' | 'tsx'): string {
  const readme = readFileSync(join(ROOT, 'packages', pkg, 'README.md'), 'utf8');
  const block = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
  if (block === undefined) throw new Error(`packages/${pkg}/README.md has no \`\`\`${lang} example`);
  return block;
}

/** Output and exit of a command run to its end. */
export interface CommandResult {
  readonly code: number | null;
  readonly output: string;
}

/**
 * The environment of a developer outside this repository: none of the `npm_*` / `pnpm_*`
 * variables that `npm test` (a pnpm script) runs with, which npm would read as its own config.
 */
function outsiderEnv(): NodeJS.ProcessEnv {
  const cleared = Object.keys(process.env).filter((key) => /^(npm|pnpm)_/i.test(key));
  return { ...Object.fromEntries(cleared.map((key) => [key, undefined])), npm_config_update_notifier: 'false' };
}

/** Runs a command in the scratch project to its end (killed after `timeoutMs`), with its output. */
export async function runToEnd(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number },
): Promise<CommandResult> {
  const child = startProcess(command, args, { cwd: options.cwd, env: outsiderEnv() });
  const timer = setTimeout(() => child.child.kill('SIGKILL'), options.timeoutMs);
  const { code, signal } = await child.exited.finally(() => clearTimeout(timer));
  const output = child.lines.join('\n');
  return { code, output: signal === 'SIGKILL' ? `${output}\n(killed after ${options.timeoutMs} ms)` : output };
}

/** Versions a new Vite + React + TypeScript project gets, as the workspace's own app uses. */
const APP_DEPENDENCIES = { react: '^19.2.0', 'react-dom': '^19.2.0', yjs: '^13.6.27', ws: '^8.23.0' };
const APP_DEV_DEPENDENCIES = {
  '@types/node': '^20.19.0',
  '@types/react': '^19.2.0',
  '@types/react-dom': '^19.2.0',
  '@types/ws': '^8.18.0',
  '@vitejs/plugin-react': '^6.0.0',
  typescript: '~6.0.3',
  vite: '~8.3.8',
};

// As Vite's own template sets them (skipLibCheck included: the app's code is what is checked).
const COMPILER_OPTIONS = { strict: true, skipLibCheck: true, target: 'ES2022', lib: ['ES2023', 'DOM'] };

/**
 * Writes a new project outside the workspace that depends on the tarballs and on registry
 * packages only: a Vite + React app whose `src/main.tsx` is the editor README's example, and Node
 * programs that are the client's and the protocol's README examples, all aimed at `syncUrl`.
 */
export function writeConsumerApp(dir: string, packed: readonly PackedPackage[], syncUrl: string): void {
  const tarballs = Object.fromEntries(packed.map((p) => [p.name, `file:${p.tarball}`]));
  const json = (file: string, value: unknown) => writeFileSync(join(dir, file), `${JSON.stringify(value, null, 2)}\n`);
  json('package.json', {
    name: 'tandem-consumer',
    private: true,
    type: 'module',
    dependencies: { ...tarballs, ...APP_DEPENDENCIES },
    devDependencies: APP_DEV_DEPENDENCIES,
  });
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'node'), { recursive: true });
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html>\n<html><head><meta charset="utf-8"><title>consumer</title></head>' +
      '<body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>\n',
  );
  writeFileSync(
    join(dir, 'vite.config.ts'),
    "import react from '@vitejs/plugin-react';\nimport { defineConfig } from 'vite';\n\nexport default defineConfig({ plugins: [react()] });\n",
  );
  const aimed = (code: string) => code.replaceAll(README_URL, syncUrl);
  writeFileSync(join(dir, 'src', 'main.tsx'), aimed(readmeExample('editor', 'tsx')));
  writeFileSync(join(dir, 'node', 'client-example.ts'), aimed(readmeExample('client', 'ts')));
  writeFileSync(join(dir, 'node', 'protocol-example.ts'), readmeExample('protocol', 'ts'));
  // The app as a bundler resolves it; the Node programs as Node does (node16 resolution, no DOM).
  json('tsconfig.json', {
    compilerOptions: {
      ...COMPILER_OPTIONS,
      module: 'ESNext',
      moduleResolution: 'bundler',
      jsx: 'react-jsx',
      noEmit: true,
    },
    include: ['src', 'vite.config.ts'],
  });
  json('tsconfig.node.json', {
    compilerOptions: {
      ...COMPILER_OPTIONS,
      lib: ['ES2023'],
      module: 'node16',
      types: ['node'],
      rootDir: 'node',
      outDir: 'out',
    },
    include: ['node'],
  });
}
