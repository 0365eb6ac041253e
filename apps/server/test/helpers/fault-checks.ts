import * as Y from 'yjs';
import type { FaultClient } from './fault-clients.js';

/** An add, update or removal of a client's presence seen by a fault-free observer. */
export interface PresenceEvent {
  readonly at: number;
  readonly id: number;
  /** Index of the node whose observer saw it. */
  readonly observer: number;
  readonly removed: boolean;
}

/** What the schedule did to each client's path, in order (for violation reports). */
export type FaultLog = Map<FaultClient, { at: number; what: string }[]>;

/** A document's comparable state: state vector, tokens, text and map. */
export function fingerprint(doc: Y.Doc): string {
  return JSON.stringify([
    Buffer.from(Y.encodeStateVector(doc)).toString('base64'),
    doc.getArray('tokens').toArray(),
    doc.getText('content').toString(),
    // Sorted: a map's key order is the order its entries arrived, which differs between replicas.
    Object.entries(doc.getMap('state').toJSON()).sort(([a], [b]) => a.localeCompare(b)),
  ]);
}

/** A short account of `doc` for a divergence report: sizes, and where its state vector differs from `base`'s. */
function describeDoc(doc: Y.Doc | undefined, base: Y.Doc | undefined): string {
  if (doc === undefined || base === undefined) return '';
  const sv = Y.decodeStateVector(Y.encodeStateVector(doc));
  const baseSv = Y.decodeStateVector(Y.encodeStateVector(base));
  const ids = new Set([...sv.keys(), ...baseSv.keys()]);
  const differs = [...ids]
    .filter((id) => sv.get(id) !== baseSv.get(id))
    .map((id) => `${id}:${sv.get(id) ?? 0}/${baseSv.get(id) ?? 0}`);
  const pending = doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
  return `(tokens ${doc.getArray('tokens').length}, text ${doc.getText('content').length}${pending ? ', pending' : ''}${differs.length > 0 ? `, sv ${differs.join(' ')}` : ''})`;
}

/** Which members of a room hold which document, with what differs from the first group. */
export function describeDivergence(room: string, members: readonly { name: string; doc: Y.Doc }[]): string {
  const byPrint = new Map<string, { names: string[]; doc: Y.Doc }>();
  for (const { name, doc } of members) {
    const print = fingerprint(doc);
    const group = byPrint.get(print) ?? { names: [], doc };
    group.names.push(name);
    byPrint.set(print, group);
  }
  const groups = [...byPrint.values()];
  return `${room}: ${groups.map((g) => `[${g.names.join(' ')}] ${describeDoc(g.doc, groups[0]?.doc)}`).join(' vs ')}`;
}

/** The sessions a server's log says it closed: code and reason of each `closing session` line. */
export function serverCloses(lines: readonly string[]): { code: number; reason: string }[] {
  const closes: { code: number; reason: string }[] = [];
  for (const line of lines) {
    if (!line.includes('closing session')) continue;
    try {
      const entry = JSON.parse(line) as { code?: number; reason?: string };
      if (typeof entry.code === 'number') closes.push({ code: entry.code, reason: entry.reason ?? '' });
    } catch {
      // Not a JSON log line.
    }
  }
  return closes;
}

/**
 * NET-6: removals of a client's presence seen while that client was live on a connection no
 * fault had touched, each with what the observer saw next and the client's last faults.
 */
export function presenceViolations(
  presence: readonly PresenceEvent[],
  clients: readonly FaultClient[],
  faultLog: FaultLog,
  until: number,
): string[] {
  const violations: string[] = [];
  for (const removal of presence) {
    if (!removal.removed || removal.at > until) continue;
    const owner = clients.find((c) => c.presenceId === removal.id);
    if (!owner?.timeline.liveAndUntouched(removal.at)) continue;
    const back = presence.find(
      (p) => !p.removed && p.id === removal.id && p.observer === removal.observer && p.at >= removal.at,
    );
    const epoch = owner.timeline.epochs.findLast((e) => e.syncedAt <= removal.at);
    const lastFaults = (faultLog.get(owner) ?? [])
      .filter((f) => f.at <= removal.at)
      .slice(-2)
      .map((f) => `${f.what} ${removal.at - f.at} ms before`);
    violations.push(
      `NET-6: presence of live ${owner.name} (client id ${removal.id}) removed on node ${removal.observer + 1}'s observer ` +
        `${removal.at - (epoch?.syncedAt ?? removal.at)} ms after it synced; ${back === undefined ? 'not restored' : `restored after ${back.at - removal.at} ms`}; ` +
        `last faults: ${lastFaults.join(', ') || 'none'}`,
    );
  }
  return violations;
}
