/** Medians over runs, Tandem / peer ratios, and the Markdown table. */
import { median, round } from './util.js';

/** Per scenario, per server label: each run's metrics. */
export type RunMetrics = Record<string, Record<string, Record<string, number>[]>>;

/** One row of the ratio table. */
export interface Row {
  readonly scenario: string;
  readonly metric: string;
  readonly label: string;
  readonly higherIsBetter: boolean;
  /** Median per server label. */
  readonly values: Record<string, number | null>;
  /** Tandem / peer, per peer label. */
  readonly ratios: Record<string, number | null>;
  readonly goal: string;
  readonly met: boolean | null;
  /** The goal's stretch bounds held (null: no stretch, or it cannot be judged). */
  readonly stretchMet: boolean | null;
  /** Tandem's value against each reference of the goal, e.g. `0.93× y-websocket`. */
  readonly goalRatio: string;
}

/**
 * One bound of a goal: Tandem's value against `factor` × a peer's value (`against` a server label,
 * or `peers`: the mean of the Node 20 peers hocuspocus-3 and y-websocket that ran), or against
 * `factor` itself when `against` is null (an absolute limit). The direction follows the row.
 */
interface Bound {
  readonly against: string | null;
  readonly factor: number;
}

/** An issue 17 goal: every bound must hold; the stretch bounds are reported beside it. */
interface Goal {
  readonly text: string;
  readonly bounds: readonly Bound[];
  readonly stretch?: readonly Bound[];
}

interface RowSpec {
  scenario: string;
  metric: string;
  label: string;
  higherIsBetter?: boolean;
  goal?: Goal;
  /**
   * A metric that is 1 for a server whose value is only a lower bound (capacity: every step held,
   * or the generator saturated). A "no" then cannot be concluded when Tandem's value is one, nor
   * a "yes" when a peer's is: the goal is reported as not judged (n/a).
   */
  lowerBoundMetric?: string;
}

/** The peers whose mean the memory goal compares against (the servers users would switch from). */
export const MEMORY_PEERS = ['hocuspocus-3', 'y-websocket'] as const;

const vsYws = (factor: number): Bound => ({ against: 'y-websocket', factor });
const absolute = (limit: number): Bound => ({ against: null, factor: limit });
/** Light load: ≤ 1.0× the y-websocket server, stretch ≤ 1.5× the bare relay. */
const lightLoad = (what: string): Goal => ({
  text: `≤ 1.0× y-websocket ${what} (stretch ≤ 1.5× relay-floor)`,
  bounds: [vsYws(1)],
  stretch: [{ against: 'relay-floor', factor: 1.5 }],
});

const FANOUT_WHAT: Record<string, string> = {
  p50Ms: 'p50 ms',
  p99Ms: 'p99 ms',
  cpuUsPerMsg: 'server CPU µs / delivered msg',
  lateP99Ms: 'generator send lateness p99 ms (harness floor, in every latency)',
};

function fanoutRow(metric: string, where: string, what: string): RowSpec {
  const goal = what === 'p99Ms' ? lightLoad('p99') : what === 'cpuUsPerMsg' ? lightLoad('CPU / msg') : undefined;
  return {
    scenario: '2 fan-out',
    metric,
    label: `${where}: ${FANOUT_WHAT[what]}`,
    ...(goal === undefined ? {} : { goal }),
  };
}

/** Row definitions; `capacity.cpuAtRef` is filled in by {@link referenceCpu}. */
function rowSpecs(metricNames: ReadonlySet<string>): RowSpec[] {
  const sorted = [...metricNames].sort(byNumber);
  const rows: RowSpec[] = [
    {
      scenario: '1 idle memory',
      metric: 'idle.rssMiB@0',
      label: 'RSS with 0 connections (settled), MiB',
      goal: { text: '≤ 1.2× the mean of hocuspocus-3 and y-websocket', bounds: [{ against: 'peers', factor: 1.2 }] },
    },
    {
      scenario: '1 idle memory',
      metric: 'idle.kbPerConn',
      label: 'KB per idle connection (RSS slope over the steps with connections)',
      goal: { text: '≤ 1.0× y-websocket', bounds: [vsYws(1)] },
    },
    {
      scenario: '1 idle memory',
      metric: 'idle.kbPerConnFromZero',
      label: 'KB per idle connection, slope from 0 connections (adds one-off first-connection costs)',
    },
  ];
  for (const name of sorted) {
    const m = /^fanout\.k(\d+)\.(p50Ms|p99Ms|cpuUsPerMsg|lateP99Ms)$/.exec(name);
    if (m !== null) rows.push(fanoutRow(name, `rooms of ${m[1]}`, m[2] as string));
    const warm = /^fanout\.k(\d+)\.warm\.(p99Ms|cpuUsPerMsg)$/.exec(name);
    if (warm !== null) {
      rows.push({
        scenario: '2 fan-out',
        metric: name,
        label: `rooms of ${warm[1]}, the same load again on the warm server: ${FANOUT_WHAT[warm[2] as string]}`,
      });
    }
  }
  for (const what of Object.keys(FANOUT_WHAT)) rows.push(fanoutRow(`fanout.mix.${what}`, 'mix of room sizes', what));
  rows.push(
    {
      scenario: '3 capacity',
      metric: 'capacity.msgPerSec',
      label: 'delivered msg/s at the highest step held (p99 ≤ 100 ms, nothing lost)',
      higherIsBetter: true,
      goal: {
        text: '≥ 1.3× y-websocket, ≥ 1.5× hocuspocus-3',
        bounds: [vsYws(1.3), { against: 'hocuspocus-3', factor: 1.5 }],
      },
      lowerBoundMetric: 'capacity.lowerBound',
    },
    {
      scenario: '3 capacity',
      metric: 'capacity.heldHz',
      label: 'highest step held, updates/s per typist',
      higherIsBetter: true,
    },
    {
      scenario: '3 capacity',
      metric: 'capacity.cpuAtRef',
      label: 'server CPU µs / delivered msg at the reference step (the highest every server held)',
    },
  );
  for (const name of sorted) {
    const m = /^hot\.n(\d+)\.(p50Ms|p99Ms|cpuUsPerMsg)$/.exec(name);
    if (m !== null)
      rows.push({ scenario: '4 hot room', metric: name, label: `${m[1]} typists: ${FANOUT_WHAT[m[2] as string]}` });
  }
  rows.push(
    { scenario: '5 cold load', metric: 'cold.syncedAllMs', label: 'time until all joiners synced, ms' },
    { scenario: '5 cold load', metric: 'cold.peakRssMiB', label: 'peak RSS, MiB' },
    {
      scenario: '5 cold load',
      metric: 'cold.loopBlockMs',
      label: 'longest event-loop block, ms',
      goal: { text: '≤ 50 ms', bounds: [absolute(50)] },
    },
    {
      scenario: '6 noisy neighbour',
      metric: 'noisy.degradation',
      label: "other rooms' p99 while the large document re-syncs / without",
      goal: { text: '≤ 2×', bounds: [absolute(2)] },
    },
    { scenario: '6 noisy neighbour', metric: 'noisy.loudP99Ms', label: 'p99 with noise, ms' },
    { scenario: '7 cross-node', metric: 'cross.addedP99Ms', label: 'added p99 over one node, ms' },
  );
  const docTags = sorted
    .map((n) => /^docmem\.(\w+)\.rssPerEncoded$/.exec(n)?.[1])
    .filter((t): t is string => t !== undefined)
    .sort((a, b) => tagBytes(a) - tagBytes(b));
  for (const tag of docTags) {
    rows.push(
      {
        scenario: '8 document memory',
        metric: `docmem.${tag}.rssPerEncoded`,
        label: `${tag} document, edited: RSS it adds / its encoded size`,
        goal: { text: '≤ 4×', bounds: [absolute(4)] },
      },
      { scenario: '8 document memory', metric: `docmem.${tag}.encodedMiB`, label: `${tag} document: encoded MiB` },
    );
  }
  for (const name of sorted) {
    const m = /^ack\.w(\d+)\.p99Ms$/.exec(name);
    if (m === null) continue;
    const limit = Number(m[1]) >= 100 ? 50 : 10;
    rows.push({
      scenario: '9 durable ack',
      metric: name,
      label: `${m[1]} writer(s): send → durable ack p99 ms`,
      goal: { text: `≤ ${limit} ms`, bounds: [absolute(limit)] },
    });
  }
  return rows;
}

/** Bytes of a `docmem` tag (`10KB`, `1MiB`), for ordering. */
function tagBytes(tag: string): number {
  const m = /^(\d+)(KB|MiB)$/.exec(tag);
  return m === null ? 0 : Number(m[1]) * (m[2] === 'KB' ? 1_000 : 2 ** 20);
}

/** The value a bound compares against (factor included), or null when its peer did not run. */
function boundBase(bound: Bound, peers: Record<string, number | null>): number | null {
  if (bound.against === null) return bound.factor;
  if (bound.against === 'peers') {
    const vals = MEMORY_PEERS.map((p) => peers[p]).filter((v): v is number => v != null && v > 0);
    return vals.length === 0 ? null : (bound.factor * vals.reduce((a, b) => a + b, 0)) / vals.length;
  }
  const v = peers[bound.against];
  return v == null || v <= 0 ? null : bound.factor * v;
}

/** Whether every bound holds (null when one cannot be judged). */
function holds(
  bounds: readonly Bound[],
  t: number,
  peers: Record<string, number | null>,
  higher: boolean,
): boolean | null {
  let all = true;
  for (const b of bounds) {
    const base = boundBase(b, peers);
    if (base === null) return null;
    all &&= higher ? t >= base : t <= base;
  }
  return all;
}

/** Tandem's value against each reference of a goal: `0.93× y-websocket`, or the value for a limit. */
function goalRatios(goal: Goal, t: number, peers: Record<string, number | null>): string {
  return goal.bounds
    .map((b) => {
      if (b.against === null) return `${round(t / b.factor, 2)}× the limit`;
      const base = boundBase({ ...b, factor: 1 }, peers);
      const name = b.against === 'peers' ? 'peers’ mean' : b.against;
      return base === null ? `n/a (${name} not run)` : `${round(t / base, 2)}× ${name}`;
    })
    .join(', ');
}

function byNumber(a: string, b: string): number {
  const na = Number(/\d+/.exec(a)?.[0] ?? 0);
  const nb = Number(/\d+/.exec(b)?.[0] ?? 0);
  return a.replace(/\d+/, '') === b.replace(/\d+/, '') ? na - nb : a < b ? -1 : 1;
}

/** Medians of every metric, per server label. */
export function medians(runs: RunMetrics): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const perServer of Object.values(runs)) {
    for (const [label, list] of Object.entries(perServer)) {
      const target = out[label] ?? {};
      out[label] = target;
      const names = new Set(list.flatMap((m) => Object.keys(m)));
      for (const name of names) {
        const value = median(list.map((m) => m[name]).filter((v): v is number => v !== undefined && v >= 0));
        if (value !== null) target[name] = round(value, 3);
      }
    }
  }
  return out;
}

/**
 * The highest capacity step every server passed (p99 ≤ 100 ms, nothing lost) with the generator
 * below saturation: CPU per message is compared there, at the same offered load.
 */
export function referenceCpu(med: Record<string, Record<string, number>>): { hz: number | null } {
  const labels = Object.keys(med);
  const steps = new Set<number>();
  for (const m of Object.values(med))
    for (const k of Object.keys(m)) {
      const hit = /^capacity\.step(\d+)\.p99Ms$/.exec(k);
      if (hit) steps.add(Number(hit[1]));
    }
  // Steps run in order and stop at the first failure: the reference is the last step all held.
  let ref: number | null = null;
  for (const step of [...steps].sort((a, b) => a - b)) {
    const ok = labels.every((l) => {
      const m = med[l] ?? {};
      const p99 = m[`capacity.step${step}.p99Ms`];
      const gen = m[`capacity.step${step}.generatorCorePct`] ?? 0;
      return p99 !== undefined && p99 <= 100 && (m[`capacity.step${step}.lost`] ?? 0) === 0 && gen <= 85;
    });
    if (!ok) break;
    ref = step;
  }
  let hz: number | null = null;
  if (ref !== null)
    for (const l of labels) {
      const m = med[l];
      const v = m?.[`capacity.step${ref}.cpuUsPerMsg`];
      hz ??= m?.[`capacity.step${ref}.hz`] ?? null;
      if (m !== undefined && v !== undefined) m['capacity.cpuAtRef'] = v;
    }
  return { hz };
}

/** Builds the ratio rows from medians. */
export function buildRows(
  med: Record<string, Record<string, number>>,
  tandem: string,
  peers: readonly string[],
): Row[] {
  const names = new Set(Object.values(med).flatMap((m) => Object.keys(m)));
  const labels = [tandem, ...peers];
  const present = rowSpecs(names).filter((spec) => labels.some((l) => med[l]?.[spec.metric] !== undefined));
  return present.map((spec) => {
    const values: Record<string, number | null> = {};
    for (const l of labels) values[l] = med[l]?.[spec.metric] ?? null;
    const t = values[tandem] ?? null;
    const ratios: Record<string, number | null> = {};
    for (const p of peers) {
      const v = values[p] ?? null;
      ratios[p] = t === null || v === null || v === 0 ? null : round(t / v, 2);
    }
    const peerValues: Record<string, number | null> = {};
    for (const p of peers) peerValues[p] = values[p] ?? null;
    const higher = spec.higherIsBetter ?? false;
    let met = t === null || spec.goal === undefined ? null : holds(spec.goal.bounds, t, peerValues, higher);
    if (spec.lowerBoundMetric !== undefined && spec.goal !== undefined) {
      const bounded = (l: string) => (med[l]?.[spec.lowerBoundMetric as string] ?? 0) > 0;
      const refs = spec.goal.bounds.map((b) => b.against).filter((a): a is string => a !== null);
      if ((met === false && bounded(tandem)) || (met === true && refs.some(bounded))) met = null;
    }
    return {
      scenario: spec.scenario,
      metric: spec.metric,
      label: spec.label,
      higherIsBetter: higher,
      values,
      ratios,
      goal: spec.goal?.text ?? '',
      met,
      stretchMet:
        t === null || spec.goal?.stretch === undefined ? null : holds(spec.goal.stretch, t, peerValues, higher),
      goalRatio: t === null || spec.goal === undefined ? '' : goalRatios(spec.goal, t, peerValues),
    };
  });
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : String(v));

/** The Markdown table: one row per metric, medians per server, Tandem / peer ratios, goal. */
export function markdownTable(rows: readonly Row[], tandem: string, peers: readonly string[]): string {
  const header = ['scenario', 'metric', tandem, ...peers, ...peers.map((p) => `${tandem} / ${p}`), 'goal', 'met'];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`];
  for (const r of rows) {
    const cells = [
      r.scenario,
      r.label + (r.higherIsBetter ? ' (higher is better)' : ''),
      fmt(r.values[tandem]),
      ...peers.map((p) => fmt(r.values[p])),
      ...peers.map((p) => (r.ratios[p] == null ? 'n/a' : `${r.ratios[p]}×`)),
      r.goal,
      metCell(r),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function metCell(r: Row): string {
  const met = r.met === null ? (r.goal === '' ? '' : 'n/a') : r.met ? 'yes' : '**no**';
  return r.stretchMet === null ? met : `${met} (stretch ${r.stretchMet ? 'yes' : 'no'})`;
}

/** The goals table (issue 17): one line per goal row, Tandem's value, its ratio to each reference, met. */
export function goalsTable(rows: readonly Row[], tandem: string): string {
  const lines = [`| goal area | metric | ${tandem} | against | goal | met |`, '| --- | --- | ---: | --- | --- | --- |'];
  for (const r of rows) {
    if (r.goal === '') continue;
    lines.push(
      `| ${r.scenario} | ${r.label} | ${fmt(r.values[tandem])} | ${r.goalRatio || 'n/a'} | ${r.goal} | ${metCell(r) || 'n/a'} |`,
    );
  }
  return lines.join('\n');
}
