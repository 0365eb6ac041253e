import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { createRng, type ServerProcess, startServerProcess } from '@tandem/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_CODES, fuzzFrames, MuxFuzzer, validFrames } from './helpers/fuzz-driver.js';
import { seedFrames } from './helpers/fuzz-frames.js';
import { connectRaw, type RawClient } from './helpers/raw-client.js';

const FRAMES = 100_000;
const BATCH = 200;

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? Number.NaN;
}

/** Measures ping → pong latency on `probe` until `done` resolves (bounded by count). */
async function probeWhile(probe: RawClient, done: Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  for (let id = 1; !finished && id <= 100_000; id++) {
    const started = performance.now();
    const before = probe.frames.length;
    probe.send(encode.ping(id));
    while (!probe.frames.slice(before).some((f) => f.type === 'pong' && f.id === id)) {
      await new Promise((resolve) => setImmediate(resolve));
      if (probe.closeEvent !== undefined) throw new Error('the probe was closed');
    }
    samples.push(performance.now() - started);
  }
  return samples;
}

describe('fuzzing a running server', () => {
  let server: ServerProcess;
  let dataDir: string;
  const fuzzers: MuxFuzzer[] = [];
  let probe: RawClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tandem-fuzz-'));
    server = await startServerProcess({
      DATA_DIR: dataDir,
      RATE_MESSAGES_PER_SECOND: '1000000',
      RATE_MESSAGE_BURST: '1000000',
      MAX_DOCS_PER_CONNECTION: '1000',
    });
    probe = connectRaw(`${server.syncUrl}/probe-room`, [TANDEM_SUBPROTOCOL]);
    await probe.opened();
  });
  afterAll(async () => {
    probe?.close();
    for (const f of fuzzers) f.close();
    await server?.process.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('FUZZ-1: 100,000 mutated and random frames never crash it; offenders are closed with documented codes within 1 s', async () => {
    const seeds = seedFrames();
    // Well-formed client traffic of the same shape: updates and presence (no replies asked for).
    const valid = seeds.slice(2, 7);
    const docs = Array.from({ length: 50 }, (_, i) => `fuzz-${i}`);

    // Baseline: the probe's latency while the same shape of load is well-formed.
    const baselineLoad = new MuxFuzzer(server.syncUrl, docs);
    fuzzers.push(baselineLoad);
    await baselineLoad.connect();
    const baselineRng = createRng(7);
    const baselineRun = (async () => {
      for (let i = 0; i < 150; i++) await baselineLoad.batch(baselineRng, BATCH, validFrames(valid), 1);
    })();
    const baselineStarted = performance.now();
    const baseline = await probeWhile(probe, baselineRun);
    await baselineRun;
    const baselineMs = performance.now() - baselineStarted;
    expect(baselineLoad.closures).toEqual([]);

    // The fuzz run.
    const fuzzer = new MuxFuzzer(server.syncUrl, docs);
    fuzzers.push(fuzzer);
    await fuzzer.connect();
    const rng = createRng(20261125);
    const fuzzRun = (async () => {
      while (fuzzer.sent < FRAMES) await fuzzer.batch(rng, BATCH, fuzzFrames(seeds), 0.95);
    })();
    const fuzzStarted = performance.now();
    const during = await probeWhile(probe, fuzzRun);
    await fuzzRun;
    const fuzzMs = performance.now() - fuzzStarted;

    expect(fuzzer.sent).toBeGreaterThanOrEqual(FRAMES);
    expect(fuzzer.closures.length).toBeGreaterThan(1000);
    const undocumented = fuzzer.closures.filter((c) => !DOCUMENTED_CODES.has(c.code));
    expect(undocumented).toEqual([]);
    const slow = fuzzer.closures.filter((c) => c.latencyMs >= 1000);
    expect(slow).toEqual([]);
    // Alive and well: the process still runs, answers HTTP, and the probe was never disturbed.
    expect(server.process.child.exitCode).toBeNull();
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
    expect(probe.closeEvent).toBeUndefined();
    const ratio = p99(during) / p99(baseline);
    console.log(
      `fuzz: ${fuzzer.sent} frames, ${fuzzer.closures.length} closes; probe p99 ${p99(baseline).toFixed(2)} ms → ${p99(during).toFixed(2)} ms (x${ratio.toFixed(2)}), ${baseline.length}/${during.length} samples; baseline ${baselineMs.toFixed(0)} ms, fuzz ${fuzzMs.toFixed(0)} ms`,
    );
    expect(ratio).toBeLessThan(2);
  }, 240_000);
});
