/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`, e.g. `compare.js --cpu-prof DIR`): the
 * functions with the most self time, with their share of all samples.
 *
 *   node dist/profile-summary.js FILE.cpuprofile [--top N]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: { top: { type: 'string', default: '25' } },
  allowPositionals: true,
});
const file = positionals[0];
if (file === undefined) {
  process.stderr.write('usage: node dist/profile-summary.js FILE.cpuprofile [--top N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfMicros = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const node = byId.get(id);
  const dt = profile.timeDeltas[i] ?? 0;
  if (node === undefined) return;
  const { functionName, url, lineNumber } = node.callFrame;
  const where =
    url === ''
      ? ''
      : ` ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(apps|packages)\//, '$1/')}:${lineNumber + 1}`;
  const key = `${functionName || '(anonymous)'}${where}`;
  selfMicros.set(key, (selfMicros.get(key) ?? 0) + dt);
  total += dt;
});
const top = [...selfMicros.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
process.stdout.write(`total sampled ${(total / 1e6).toFixed(2)} s\n  self ms   share  function\n`);
for (const [key, us] of top) {
  process.stdout.write(
    `${(us / 1e3).toFixed(1).padStart(9)}  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}\n`,
  );
}
