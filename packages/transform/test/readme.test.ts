import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const PACKAGE = join(import.meta.dirname, '..');

/**
 * The README's example as a program: each `expression; // 'value'` line becomes an assertion that
 * the expression gives that value. It imports `@tandem/transform` by name (the package's own
 * exports, i.e. its build), as an application would.
 */
function exampleAsProgram(): { program: string; checks: number } {
  const readme = readFileSync(join(PACKAGE, 'README.md'), 'utf8');
  const example = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (example === undefined) throw new Error('README.md has no ts block under "## Example"');
  let checks = 0;
  const lines = example.split('\n').map((line) => {
    const claim = /^(\S.*);\s*\/\/\s*('.*')$/.exec(line);
    if (claim === null) return line;
    checks++;
    return `assert.strictEqual(${claim[1]}, ${claim[2]});`;
  });
  return { program: ["import assert from 'node:assert';", ...lines].join('\n'), checks };
}

describe('the README', () => {
  it('XFORM-6: the example runs and every value its comments show is what it returns', () => {
    const { program, checks } = exampleAsProgram();
    expect(checks).toBeGreaterThanOrEqual(3);
    // Inside the package, so `@tandem/transform` resolves to itself through its exports.
    const dir = mkdtempSync(join(PACKAGE, '.readme-'));
    try {
      const file = join(dir, 'example.mjs');
      writeFileSync(file, program);
      execFileSync(process.execPath, [file], { cwd: dir, stdio: 'pipe', timeout: 30_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
