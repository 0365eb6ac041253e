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
}

interface RowSpec {
  scenario: string;
  metric: string;
  label: string;
  higherIsBetter?: boolean;
  /** The goal's check given Tandem's value and each peer's: null when it cannot be judged. */
  goal?: [string, (tandem: number, peers: Record<string, number | null>) => boolean | null];
}

const ratioGoal =
  (peer: string, max: number) =>
  (t: number, peers: Record<string, number | null>): boolean | null => {
    const p = peers[peer];
    return p === null || p === undefined || p <= 0 ? null : t / p <= max;
  };

/** Row definitions; `capacity.cpuAtRef` is filled in by {@link referenceCpu}. */
function rowSpecs(metricNames: ReadonlySet<string>): RowSpec[] {
  const rows: RowSpec[] = [
    {
      scenario: '1 idle memory',
      metric: 'idle.kbPerConn',
      label: 'KB per idle connection (RSS slope)',
      goal: [
        '≤ 8 KB and ≤ 0.5× the better peer',
        (t, peers) => {
          const vals = Object.values(peers).filter((v): v is number => v !== null && v > 0);
          return t <= 8 && (vals.length === 0 || t <= 0.5 * Math.min(...vals));
        },
      ],
    },
  ];
  for (const name of [...metricNames].sort(byNumber)) {
    const m = /^fanout\.k(\d+)\.(p50Ms|p99Ms|cpuUsPerMsg|lateP99Ms)$/.exec(name);
    if (m !== null) {
      const what = {
        p50Ms: 'p50 ms',
        p99Ms: 'p99 ms',
        cpuUsPerMsg: 'server CPU µs / delivered msg',
        lateP99Ms: 'generator send lateness p99 ms (harness floor, in every latency)',
      }[m[2] as string];
      rows.push({
        scenario: '2 fan-out',
        metric: name,
        label: `rooms of ${m[1]}: ${what}`,
        ...(m[2] === 'p99Ms' ? { goal: ['≤ 2 ms', (t: number) => t <= 2] as RowSpec['goal'] } : {}),
      });
    }
  }
  rows.push(
    {
      scenario: '3 capacity',
      metric: 'capacity.msgPerSec',
      label: 'delivered msg/s before p99 > 100 ms or a loss',
      higherIsBetter: true,
      goal: [
        '≥ 3× hocuspocus-3, ≥ 2× y-websocket',
        (t, p) => {
          const h = p['hocuspocus-3'];
          const y = p['y-websocket'];
          if (h == null || y == null || h <= 0 || y <= 0) return null;
          return t >= 3 * h && t >= 2 * y;
        },
      ],
    },
    {
      scenario: '3 capacity',
      metric: 'capacity.cpuAtRef',
      label: 'server CPU µs / delivered msg at the same offered load',
      goal: [
        '≤ 1/3 hocuspocus-3, ≤ 1/2 y-websocket',
        (t, p) => {
          const a = ratioGoal('hocuspocus-3', 1 / 3)(t, p);
          const b = ratioGoal('y-websocket', 1 / 2)(t, p);
          return a === null || b === null ? null : a && b;
        },
      ],
    },
  );
  for (const name of [...metricNames].sort(byNumber)) {
    const m = /^hot\.n(\d+)\.(p50Ms|p99Ms|cpuUsPerMsg)$/.exec(name);
    if (m !== null) {
      const what = m[2] === 'p50Ms' ? 'p50 ms' : m[2] === 'p99Ms' ? 'p99 ms' : 'server CPU µs / delivered msg';
      rows.push({ scenario: '4 hot room', metric: name, label: `${m[1]} typists: ${what}` });
    }
  }
  rows.push(
    { scenario: '5 cold load', metric: 'cold.syncedAllMs', label: 'time until all joiners synced, ms' },
    { scenario: '5 cold load', metric: 'cold.peakRssMiB', label: 'peak RSS, MiB' },
    { scenario: '5 cold load', metric: 'cold.loopBlockMs', label: 'longest event-loop block, ms' },
    {
      scenario: '6 noisy neighbour',
      metric: 'noisy.degradation',
      label: 'p99 with noise / p99 alone',
      goal: ['≤ 2×', (t) => t <= 2],
    },
    { scenario: '6 noisy neighbour', metric: 'noisy.loudP99Ms', label: 'p99 with noise, ms' },
    {
      scenario: '7 cross-node',
      metric: 'cross.addedP99Ms',
      label: 'added p99 over one node, ms',
      goal: ['≤ 5 ms', (t) => t <= 5],
    },
  );
  return rows;
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
      const hit = /^capacity\.hz(\d+)\.p99Ms$/.exec(k);
      if (hit) steps.add(Number(hit[1]));
    }
  let ref: number | null = null;
  for (const hz of [...steps].sort((a, b) => a - b)) {
    const ok = labels.every((l) => {
      const m = med[l] ?? {};
      const p99 = m[`capacity.hz${hz}.p99Ms`];
      const gen = m[`capacity.hz${hz}.generatorCorePct`] ?? 0;
      return p99 !== undefined && p99 <= 100 && (m[`capacity.hz${hz}.lost`] ?? 0) === 0 && gen <= 85;
    });
    if (ok) ref = hz;
  }
  if (ref !== null)
    for (const l of labels) {
      const m = med[l];
      const v = m?.[`capacity.hz${ref}.cpuUsPerMsg`];
      if (m !== undefined && v !== undefined) m['capacity.cpuAtRef'] = v;
    }
  return { hz: ref };
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
    return {
      scenario: spec.scenario,
      metric: spec.metric,
      label: spec.label,
      higherIsBetter: spec.higherIsBetter ?? false,
      values,
      ratios,
      goal: spec.goal?.[0] ?? '',
      met: t === null || spec.goal === undefined ? null : spec.goal[1](t, peerValues),
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
      r.met === null ? (r.goal === '' ? '' : 'n/a') : r.met ? 'yes' : '**no**',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
