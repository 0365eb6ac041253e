/**
 * Side-by-side comparison of Tandem with Hocuspocus and the reference y-websocket server, in one
 * run on one machine (`npm run bench [-- --quick]`). Prints a progress line per step, writes
 * `results/compare.json` and `results/compare.md` (medians over runs, Tandem / peer ratios).
 * See bench/README.md for the method.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildRows, goalsTable, markdownTable, medians, type RunMetrics, referenceCpu } from './compare/report.js';
import {
  ackLatency,
  bigDocument,
  capacity,
  coldLoad,
  crossNode,
  docMemory,
  fanout,
  hotRoom,
  idleMemory,
  noisyNeighbour,
  type ScenarioOutcome,
  type ServerSpec,
  type Sizes,
} from './compare/scenarios.js';
import { isTandem, node22Binary, type Runtime, type ServerKind, serverLabel } from './compare/servers.js';

const USAGE = `usage: node dist/compare.js [--quick | --tiny] [--runs N] [--servers LIST] [--scenarios LIST]
                           [--node22 | --no-node22] [--out DIR]

  --quick            small sizes: finishes in a few minutes
  --tiny             smallest sizes (the end-to-end test)
  --runs N           repetitions; tables show medians (default 3, quick 1)
  --servers LIST     tandem,tandem-hocuspocus,hocuspocus,y-websocket,relay-floor (default all;
                     tandem-hocuspocus: Tandem's /hocuspocus endpoint under Hocuspocus-framed load)
  --scenarios LIST   idle,fanout,capacity,hot,cold,noisy,cross,docmem,ack (default all;
                     docmem: memory per loaded document; ack: Tandem's durable-ack latency)
  --node22           also run Hocuspocus 4.x and the y-websocket server on Node 22 (default in full mode)
  --no-node22        skip the Node 22 runs
  --out DIR          where compare.json and compare.md go (default bench/results)
  --cpu-prof DIR     run the servers with --cpu-prof, writing .cpuprofile files under DIR/<server>
                     (summarise one with: node dist/profile-summary.js FILE)
`;

const SIZES: Record<'full' | 'quick' | 'tiny', Sizes> = {
  full: {
    idleConnections: [1_000, 5_000, 10_000],
    fanoutTypists: 200,
    fanoutRoomSizes: [2, 5, 20],
    // 250 typists: 80 in 40 rooms of 2, 90 in 18 rooms of 5, 80 in 4 rooms of 20.
    fanoutMix: [
      { roomSize: 2, rooms: 40 },
      { roomSize: 5, rooms: 18 },
      { roomSize: 20, rooms: 4 },
    ],
    loadSeconds: 10,
    capacityRooms: 100,
    // 4 → 32.5 updates/s/typist in steps of 15 %, 16 steps at most (stops at the first failure):
    // with 10 steps (to 14.1) every server held every step on one 2-core machine.
    capacityStartHz: 4,
    capacityStepFactor: 1.15,
    capacityMaxSteps: 16,
    hotRoomTypists: [50, 100, 200],
    coldDocBytes: 10 * 2 ** 20,
    coldClients: 20,
    noisySeconds: 8,
    crossRooms: 40,
    docmemBytes: [10_000, 2 ** 20, 10 * 2 ** 20],
    docmemSeconds: 5,
    docmemEditHz: 20,
    ackWriters: [1, 10, 100],
    ackSeconds: 5,
  },
  quick: {
    idleConnections: [250, 500, 1_000],
    fanoutTypists: 60,
    fanoutRoomSizes: [2, 5, 20],
    // 60 typists: 20 in rooms of 2, 20 in rooms of 5, 20 in one room of 20.
    fanoutMix: [
      { roomSize: 2, rooms: 10 },
      { roomSize: 5, rooms: 4 },
      { roomSize: 20, rooms: 1 },
    ],
    loadSeconds: 3,
    capacityRooms: 50,
    capacityStartHz: 6,
    capacityStepFactor: 1.15,
    capacityMaxSteps: 6,
    hotRoomTypists: [50, 100],
    coldDocBytes: 10 * 2 ** 20,
    coldClients: 20,
    noisySeconds: 3,
    crossRooms: 10,
    docmemBytes: [10_000, 2 ** 20, 10 * 2 ** 20],
    docmemSeconds: 3,
    docmemEditHz: 20,
    ackWriters: [1, 10, 100],
    ackSeconds: 2,
  },
  tiny: {
    idleConnections: [20, 40],
    fanoutTypists: 8,
    fanoutRoomSizes: [2],
    fanoutMix: [
      { roomSize: 2, rooms: 2 },
      { roomSize: 5, rooms: 1 },
    ],
    loadSeconds: 1,
    capacityRooms: 4,
    capacityStartHz: 2,
    capacityStepFactor: 1.15,
    capacityMaxSteps: 2,
    hotRoomTypists: [5],
    coldDocBytes: 200_000,
    coldClients: 3,
    noisySeconds: 1,
    crossRooms: 2,
    docmemBytes: [10_000, 100_000],
    docmemSeconds: 1,
    docmemEditHz: 10,
    ackWriters: [1, 10],
    ackSeconds: 0.5,
  },
};

const ALL_SCENARIOS = ['idle', 'fanout', 'capacity', 'hot', 'cold', 'noisy', 'cross', 'docmem', 'ack'] as const;
type Scenario = (typeof ALL_SCENARIOS)[number];
const ALL_KINDS: readonly ServerKind[] = ['tandem', 'tandem-hocuspocus', 'hocuspocus', 'y-websocket', 'relay-floor'];

interface Options {
  mode: 'full' | 'quick' | 'tiny';
  runs: number;
  kinds: ServerKind[];
  scenarios: Scenario[];
  node22: boolean;
  out: string;
  cpuProfDir: string | null;
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      tiny: { type: 'boolean', default: false },
      runs: { type: 'string' },
      servers: { type: 'string' },
      scenarios: { type: 'string' },
      node22: { type: 'boolean', default: false },
      'no-node22': { type: 'boolean', default: false },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const mode = values.tiny ? 'tiny' : values.quick ? 'quick' : 'full';
  const runs = Number(values.runs ?? (mode === 'full' ? 3 : 1));
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error('--runs must be an integer in [1, 20]');
  const list = <T extends string>(text: string | undefined, all: readonly T[], flag: string): T[] => {
    if (text === undefined) return [...all];
    const items = text.split(',').map((s) => s.trim());
    for (const item of items) if (!all.includes(item as T)) throw new Error(`${flag}: unknown "${item}"`);
    return items as T[];
  };
  const here = dirname(fileURLToPath(import.meta.url));
  return {
    mode,
    runs,
    kinds: list(values.servers, ALL_KINDS, '--servers'),
    scenarios: list(values.scenarios, ALL_SCENARIOS, '--scenarios'),
    // Node 22 runs double the work: on by default in the full run only (--node22 forces them).
    node22: !values['no-node22'] && (values.node22 || mode === 'full') && node22Binary() !== null,
    out: resolve(values.out ?? join(here, '..', 'results')),
    cpuProfDir: values['cpu-prof'] === undefined ? null : resolve(values['cpu-prof']),
  };
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Pins this process (the load generator) to core 1 and returns the core for servers, if there are two. */
function pinGenerator(): number | null {
  if (cpus().length < 2) return null;
  const result = spawnSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
  return result.status === 0 ? 0 : null;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const sizes = SIZES[options.mode];
  const serverCore = pinGenerator();
  const started = Date.now();
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    totalMemGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node20: process.version,
    node22:
      node22Binary() === null ? null : spawnSync(node22Binary() ?? '', ['-v'], { encoding: 'utf8' }).stdout.trim(),
    loadAvgAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
    pinning: serverCore === null ? 'none' : 'servers on core 0; load generator and Redis on core 1',
  };
  const servers: { kind: ServerKind; runtime: Runtime }[] = options.kinds.map((kind) => ({ kind, runtime: 'node20' }));
  const skipped: string[] = [];
  if (options.node22) {
    for (const kind of options.kinds) {
      if (kind === 'relay-floor') continue;
      if (isTandem(kind)) {
        skipped.push(
          `${serverLabel(kind, 'node22')}: better-sqlite3 (Tandem’s durable store) is compiled for Node 20’s ABI in this workspace; ` +
            'the Node 22 binary cannot load it, so Tandem runs on Node 20 only',
        );
      } else servers.push({ kind, runtime: 'node22' });
    }
  }
  const labels = servers.map((s) => serverLabel(s.kind, s.runtime));
  log(`compare: ${options.mode} mode, ${options.runs} run(s), servers ${labels.join(', ')}`);
  log(`         ${machine.cpus} × ${machine.cpuModel}, ${machine.pinning}`);
  for (const s of skipped) log(`         not run: ${s}`);

  const bigDoc = options.scenarios.some((s) => s === 'cold' || s === 'noisy')
    ? bigDocument(sizes.coldDocBytes)
    : new Uint8Array();
  if (bigDoc.byteLength > 0) log(`         large document: ${(bigDoc.byteLength / 2 ** 20).toFixed(1)} MiB`);
  // docmem's documents, built once (the cold scenario's document is reused when it is one of them).
  const memDocs = options.scenarios.includes('docmem')
    ? sizes.docmemBytes.map((b) => (b === sizes.coldDocBytes && bigDoc.byteLength > 0 ? bigDoc : bigDocument(b)))
    : [];

  const runs: RunMetrics = {};
  const notes: Record<string, string[]> = {};
  const details: Record<string, unknown>[] = [];
  let failed = false;
  for (let run = 1; run <= options.runs; run++) {
    for (const scenario of options.scenarios) {
      for (const server of servers) {
        const label = serverLabel(server.kind, server.runtime);
        if (scenario === 'cross' && (server.kind === 'y-websocket' || server.kind === 'relay-floor')) continue;
        if (scenario === 'cross' && server.runtime === 'node22') continue;
        // Durable-ack latency is Tandem's own tandem.v1 ack: no peer has one.
        if (scenario === 'ack' && server.kind !== 'tandem') continue;
        // A relay holds frames, not documents; the Node 22 peers would double the run for the same figure.
        if (scenario === 'docmem' && (server.kind === 'relay-floor' || server.runtime === 'node22')) continue;
        log(`[run ${run}/${options.runs}] ${scenario} · ${label}`);
        const spec: ServerSpec = {
          ...server,
          core: serverCore,
          log,
          ...(options.cpuProfDir === null ? {} : { cpuProfDir: join(options.cpuProfDir, label) }),
        };
        const t0 = Date.now();
        let outcome: ScenarioOutcome;
        try {
          outcome = await runScenario(scenario, spec, sizes, bigDoc, memDocs);
        } catch (err) {
          const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
          log(`    FAILED: ${message}`);
          outcome = { metrics: {}, notes: [`${scenario}: failed: ${message}`] };
          failed = true;
        }
        const perScenario = runs[scenario] ?? {};
        runs[scenario] = perScenario;
        const list = perScenario[label] ?? [];
        perScenario[label] = list;
        list.push(outcome.metrics);
        for (const note of outcome.notes) {
          log(`    note: ${note}`);
          const n = notes[label] ?? [];
          notes[label] = n;
          n.push(`run ${run}: ${note}`);
          if (note.includes('LOST')) failed = true;
        }
        details.push({ run, scenario, server: label, seconds: (Date.now() - t0) / 1_000, ...outcome });
      }
    }
  }

  const med = medians(runs);
  const ref = referenceCpu(med);
  // The reference column: Tandem on /sync, or its /hocuspocus endpoint when only that one ran.
  const tandem = labels.find((l) => l === 'tandem') ?? labels.find((l) => l.startsWith('tandem')) ?? 'tandem';
  const peers = labels.filter((l) => l !== tandem);
  const rows = buildRows(med, tandem, peers);
  const table = markdownTable(rows, tandem, peers);
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const markdown = [
    `# Tandem vs peers (${options.mode}, ${options.runs} run(s), medians)`,
    '',
    `${new Date().toISOString().slice(0, 10)} · ${machine.cpus} × ${machine.cpuModel}, ${machine.totalMemGiB} GiB, ` +
      `Linux ${machine.kernel}, Node ${machine.node20}${machine.node22 ? ` and ${machine.node22}` : ''} · ${machine.pinning} · ` +
      `load average at start ${machine.loadAvgAtStart.join(' ')} · ${minutes} min`,
    '',
    '## Goals (issue 17)',
    '',
    goalsTable(rows, tandem),
    '',
    '## Every measurement',
    '',
    'Ratios are Tandem / peer: below 1 is better for Tandem except where higher is better.' +
      (!options.scenarios.includes('capacity')
        ? ''
        : ` Capacity CPU per message is compared at ${ref.hz === null ? 'no common step (none passed on every server)' : `the ${ref.hz} updates/s/typist step, the highest every server passed with the generator unsaturated`}.`),
    '',
    table,
    '',
    ...(skipped.length > 0 ? ['Not run:', '', ...skipped.map((s) => `- ${s}`), ''] : []),
    ...(Object.keys(notes).length > 0
      ? ['Notes:', '', ...Object.entries(notes).flatMap(([l, ns]) => ns.map((n) => `- ${l}: ${n}`)), '']
      : []),
  ].join('\n');
  mkdirSync(options.out, { recursive: true });
  const result = {
    benchmark: 'compare',
    createdAt: new Date().toISOString(),
    mode: options.mode,
    runs: options.runs,
    sizes,
    machine,
    servers: labels,
    skipped,
    referenceCapacityHz: ref.hz,
    medians: med,
    rows,
    notes,
    details,
    failed,
  };
  writeFileSync(join(options.out, 'compare.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(options.out, 'compare.md'), markdown);
  log(`\n${table}\n`);
  log(`results: ${join(options.out, 'compare.json')}, ${join(options.out, 'compare.md')} (${minutes} min)`);
  if (failed) {
    log('compare: at least one step failed or lost updates (see notes)');
    process.exitCode = 1;
  }
}

function runScenario(
  scenario: Scenario,
  spec: ServerSpec,
  sizes: Sizes,
  bigDoc: Uint8Array,
  memDocs: readonly Uint8Array[],
): Promise<ScenarioOutcome> {
  switch (scenario) {
    case 'idle':
      return idleMemory(spec, sizes);
    case 'fanout':
      return fanout(spec, sizes);
    case 'capacity':
      return capacity(spec, sizes);
    case 'hot':
      return hotRoom(spec, sizes);
    case 'cold':
      return coldLoad(spec, sizes, bigDoc);
    case 'noisy':
      return noisyNeighbour(spec, sizes, bigDoc);
    case 'cross':
      return crossNode(spec, sizes);
    case 'docmem':
      return docMemory(spec, sizes, memDocs);
    case 'ack':
      return ackLatency(spec, sizes);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`compare: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
