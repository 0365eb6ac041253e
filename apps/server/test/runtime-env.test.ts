import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}/${path}`, 'utf8');

describe('the environment the server runs with (decision 0025)', () => {
  const env = JSON.parse(read('apps/server/runtime-env.json')) as Record<string, string>;

  it('names at least the allocator setting, as strings', () => {
    expect(env.MALLOC_TRIM_THRESHOLD_).toMatch(/^\d+$/);
    for (const value of Object.values(env)) expect(typeof value).toBe('string');
  });

  it("is set in the Docker image's runtime stage", () => {
    const dockerfile = read('Dockerfile');
    const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    for (const [name, value] of Object.entries(env)) expect(runtimeStage).toContain(`${name}=${value}`);
  });

  it('is what `npm start` gives the server, under the caller’s own environment', () => {
    const start = read('scripts/start.mjs');
    expect(start).toContain("join(ROOT, 'apps', 'server', 'runtime-env.json')");
    expect(start).toContain('env: { ...runtimeEnv(), ...process.env }');
  });
});
