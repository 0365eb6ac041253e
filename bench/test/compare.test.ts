import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(join(tmpdir(), 'tandem-compare-test-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

function runHarness(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(benchDir, 'dist', 'compare.js'), ...args], { cwd: benchDir });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

// The harness end to end on the built servers, at the smallest sizes: it must produce well-formed
// results and every document must converge. Timings are not asserted (the box may be busy).
describe('comparison harness (tiny)', () => {
  it('runs the fan-out and idle scenarios against every server and writes JSON and Markdown', async () => {
    const { code, output } = await runHarness([
      '--tiny',
      '--scenarios',
      'fanout,idle',
      '--servers',
      'tandem,hocuspocus,y-websocket,relay-floor',
      '--out',
      out,
    ]);
    expect(output).toContain('[run 1/1] fanout · tandem');
    expect(code, output).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
    expect(result.failed).toBe(false);
    expect(result.servers).toEqual(['tandem', 'hocuspocus-3', 'y-websocket', 'relay-floor']);
    for (const label of result.servers) {
      const m = result.medians[label];
      expect(m['fanout.k2.lost']).toBe(0);
      expect(Number.isFinite(m['fanout.k2.p99Ms'])).toBe(true);
      expect(Number.isFinite(m['fanout.k2.cpuUsPerMsg'])).toBe(true);
      expect(Number.isFinite(m['idle.kbPerConn'])).toBe(true);
    }
    for (const detail of result.details.filter((d: { scenario: string }) => d.scenario === 'fanout')) {
      expect(detail.steps.k2.converged).toBe(true);
      expect(detail.steps.k2.deliveredMessages).toBeGreaterThan(0);
    }
    const row = result.rows.find((r: { metric: string }) => r.metric === 'fanout.k2.p99Ms');
    expect(Object.keys(row.ratios)).toEqual(['hocuspocus-3', 'y-websocket', 'relay-floor']);
    const markdown = readFileSync(join(out, 'compare.md'), 'utf8');
    expect(markdown).toContain('| scenario | metric | tandem | hocuspocus-3 | y-websocket | relay-floor |');
    expect(markdown).toContain('generator send lateness p99 ms');
  }, 90_000);
});

// Tandem's /hocuspocus endpoint under the same provider-framed load as Hocuspocus itself.
describe('comparison harness: Tandem /hocuspocus vs Hocuspocus (tiny)', () => {
  it('HP-1: the fan-out scenario runs provider-framed load against both and every room converges', async () => {
    const hpOut = join(out, 'hocuspocus');
    const { code, output } = await runHarness([
      '--tiny',
      '--scenarios',
      'fanout',
      '--servers',
      'tandem-hocuspocus,hocuspocus',
      '--out',
      hpOut,
    ]);
    expect(code, output).toBe(0);
    const result = JSON.parse(readFileSync(join(hpOut, 'compare.json'), 'utf8'));
    expect(result.failed).toBe(false);
    expect(result.servers).toEqual(['tandem-hocuspocus', 'hocuspocus-3']);
    for (const label of result.servers) {
      expect(result.medians[label]['fanout.k2.lost']).toBe(0);
      expect(Number.isFinite(result.medians[label]['fanout.k2.p99Ms'])).toBe(true);
    }
    for (const detail of result.details) {
      expect(detail.steps.k2.converged).toBe(true);
      expect(detail.steps.k2.deliveredMessages).toBeGreaterThan(0);
    }
    expect(readFileSync(join(hpOut, 'compare.md'), 'utf8')).toContain(
      '| scenario | metric | tandem-hocuspocus | hocuspocus-3 |',
    );
  }, 90_000);
});
