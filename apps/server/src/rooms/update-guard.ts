import { CloseCode } from '@tandem/protocol';
import * as Y from 'yjs';

/** Bounds past which an update's clocks or lengths are absurd (no real document gets there). */
export interface UpdateLimits {
  /** Largest clock (per client) an update may reach. */
  readonly maxClock: number;
}

/** Defaults: 2^40 operations per client is far past any real document, far below 2^53. */
export const DEFAULT_UPDATE_LIMITS: UpdateLimits = { maxClock: 2 ** 40 };

/** What the document holds per client: the next clock it expects (undefined or 0 for an unknown client). */
export interface ClientClocks {
  get(client: number): number | undefined;
}

/** The clocks of one client's structs in an update: [from, to). */
export interface ClockRange {
  from: number;
  to: number;
}

/** The verdict on an incoming update, before it touches the document. */
export type UpdateVerdict =
  | {
      readonly ok: true;
      /** Client ids the update writes new structs for. */
      readonly writtenClients: readonly number[];
      /** It builds on history the document does not have (yet): Yjs will hold it pending. */
      readonly incomplete: boolean;
      /** The clock range of each client's structs in the update: [from, to). */
      readonly covered: ReadonlyMap<number, ClockRange>;
      /** It deletes something (its delete set is not empty). */
      readonly deletes: boolean;
    }
  | { readonly ok: false; readonly code: number; readonly reason: string };

type ItemLike = ReturnType<typeof Y.decodeUpdate>['structs'][number] & {
  origin?: Y.ID | null;
  rightOrigin?: Y.ID | null;
  parent?: unknown;
};

/**
 * Checks an update against the document's state vector without applying it: it must decode,
 * and its clocks must stay within bounds (the "RLE bomb": a few bytes claiming astronomic
 * ranges). It also tells whether everything the update builds on — earlier structs of its
 * clients, the items it is inserted next to, its parents, the ranges it deletes — is in the
 * document or the update itself; if not, the update is `incomplete`: Yjs keeps it pending
 * until the missing history arrives, and the room gives that a deadline (YJS-3).
 */
export function inspectUpdate(update: Uint8Array, stateVector: ClientClocks, limits: UpdateLimits): UpdateVerdict {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch (err) {
    return refuse(CloseCode.undecodable, `malformed update: ${err instanceof Error ? err.message : String(err)}`);
  }
  // What the update itself brings, per client: [first clock, end clock).
  const covered = new Map<number, ClockRange>();
  let incomplete = false;
  for (const struct of decoded.structs) {
    const { client, clock } = struct.id;
    const end = clock + struct.length;
    if (!Number.isSafeInteger(end) || end > limits.maxClock || struct.length < 0) {
      return refuse(CloseCode.policyViolation, `update claims an absurd clock range for client ${client}`);
    }
    if (struct instanceof Y.Skip) incomplete = true;
    const range = covered.get(client);
    if (range === undefined) {
      covered.set(client, { from: clock, to: end });
    } else {
      // Structs of one client listed with a gap between them (a crafted update): the gap is missing.
      if (clock > range.to || end < range.from) incomplete = true;
      range.from = Math.min(range.from, clock);
      range.to = Math.max(range.to, end);
    }
  }
  const known = (id: Y.ID | null | undefined): boolean => {
    if (id === null || id === undefined) return true;
    if (id.clock < (stateVector.get(id.client) ?? 0)) return true;
    const range = covered.get(id.client);
    return range !== undefined && id.clock >= range.from && id.clock < range.to;
  };
  for (const [client, range] of covered) {
    if (range.from > (stateVector.get(client) ?? 0)) incomplete = true;
  }
  for (const struct of decoded.structs as ItemLike[]) {
    const parentId = struct.parent instanceof Y.ID ? struct.parent : null;
    if (!known(struct.origin) || !known(struct.rightOrigin) || !known(parentId)) incomplete = true;
  }
  for (const [client, deletes] of decoded.ds.clients) {
    const end = Math.max(stateVector.get(client) ?? 0, covered.get(client)?.to ?? 0);
    for (const item of deletes) {
      if (!Number.isSafeInteger(item.clock + item.len) || item.clock + item.len > limits.maxClock) {
        return refuse(CloseCode.policyViolation, `update deletes an absurd range of client ${client}`);
      }
      if (item.clock + item.len > end) incomplete = true;
    }
  }
  const writtenClients = [...covered]
    .filter(([client, range]) => range.to > (stateVector.get(client) ?? 0))
    .map(([client]) => client);
  return { ok: true, writtenClients, incomplete, covered, deletes: decoded.ds.clients.size > 0 };
}

function refuse(code: number, reason: string): UpdateVerdict {
  return { ok: false, code, reason };
}
