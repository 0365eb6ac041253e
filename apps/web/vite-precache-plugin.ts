import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Plugin } from 'vite';

const LIST_MARK = '/* @precache */ [];';
const VERSION_MARK = "/* @version */ 'dev';";

/**
 * Writes the list of built files (and a version hash of their contents) into `dist/sw.js`,
 * so the service worker precaches exactly this build's app shell.
 */
export function precacheServiceWorker(swFile = 'sw.js'): Plugin {
  let outDir = 'dist';
  return {
    name: 'tandem:precache-service-worker',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const swPath = join(outDir, swFile);
      const files = listFiles(outDir)
        .map((file) => `/${relative(outDir, file).split(sep).join('/')}`)
        .filter((url) => url !== `/${swFile}` && !url.endsWith('.map') && !url.startsWith('/.vite/'))
        .sort();
      const hash = createHash('sha256');
      for (const url of files) hash.update(url).update(readFileSync(join(outDir, url)));
      const source = readFileSync(swPath, 'utf8');
      if (!source.includes(LIST_MARK) || !source.includes(VERSION_MARK)) {
        throw new Error(`${swFile} lacks the ${LIST_MARK} / ${VERSION_MARK} placeholders`);
      }
      const version = hash.digest('hex').slice(0, 12);
      writeFileSync(
        swPath,
        source.replace(LIST_MARK, `${JSON.stringify(files)};`).replace(VERSION_MARK, `'${version}';`),
      );
    },
  };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}
