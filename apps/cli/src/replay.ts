import { existsSync } from 'node:fs';
import { matchesChecksum, SQLITE_TABLES, type SqliteDocRow, type SqliteUpdateRow } from '@tandem/doc-format';
import { decodeFrame, type Frame } from '@tandem/protocol';
import Database from 'better-sqlite3';
import * as Y from 'yjs';
import { CommandError } from './args.js';
import type { RecordedFrame } from './recording.js';

/** What a replay applied and skipped, for the summary line. */
export interface ReplayResult {
  readonly doc: Y.Doc;
  readonly applied: number;
  readonly notes: string[];
}

/** A recorded frame after unwrapping multiplexed `doc` frames: the room it belongs to and the frame. */
interface RoomFrame {
  readonly index: number;
  readonly t: number;
  readonly room: string;
  readonly frame: Frame;
}

function unwrap(frames: readonly RecordedFrame[], notes: string[]): RoomFrame[] {
  const out: RoomFrame[] = [];
  frames.forEach((entry, i) => {
    const decoded = decodeFrame(entry.frame);
    if (!decoded.ok) {
      notes.push(
        `frame ${i + 1}: undecodable (${decoded.error.message}); skipped, as the server would close with 1007`,
      );
      return;
    }
    const frame = decoded.frame;
    if (frame.type !== 'doc') {
      out.push({ index: i + 1, t: entry.t, room: entry.room, frame });
      return;
    }
    const inner = decodeFrame(frame.frame);
    if (inner.ok) out.push({ index: i + 1, t: entry.t, room: frame.doc, frame: inner.frame });
    else notes.push(`frame ${i + 1}: undecodable inner frame for ${JSON.stringify(frame.doc)}; skipped`);
  });
  return out;
}

/** The rooms a recording's frames belong to (multiplexed frames counted under their document). */
export function recordedRooms(frames: readonly RecordedFrame[]): string[] {
  return [...new Set(unwrap(frames, []).map((f) => f.room))];
}

/**
 * Rebuilds `room` from a recording: every sync step 2 and update frame with `t <= until`, applied in
 * recorded order. Updates Yjs rejects are skipped with a note (the server closes such a session).
 */
export function replayRecording(frames: readonly RecordedFrame[], room: string, until = Infinity): ReplayResult {
  const notes: string[] = [];
  const doc = new Y.Doc();
  let applied = 0;
  for (const entry of unwrap(frames, notes)) {
    if (entry.room !== room || entry.t > until) continue;
    if (entry.frame.type !== 'sync-step2' && entry.frame.type !== 'sync-update') continue;
    try {
      Y.applyUpdate(doc, entry.frame.update);
      applied++;
    } catch (err) {
      notes.push(`frame ${entry.index}: Yjs rejected the update (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  return { doc, applied, notes };
}

/**
 * Rebuilds `room` from the embedded store's file (`DATA_DIR/tandem.sqlite`): the snapshot plus the
 * update log through position `seq` (default: all). Read-only; checksums are verified.
 */
export function replaySqlite(file: string, room: string, seq = Infinity): ReplayResult {
  if (!existsSync(file)) throw new CommandError(`no such file: ${file}`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new CommandError(`cannot open ${file} as SQLite: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    if (!SQLITE_TABLES.every((table) => tables.some((t) => t.name === table))) {
      throw new CommandError(`${file} is not a Tandem database (no docs/updates tables)`);
    }
    const row = db.prepare('SELECT snapshot, snapshot_sum, snapshot_seq, next_seq FROM docs WHERE doc = ?').get(room) as
      | SqliteDocRow
      | undefined;
    if (row === undefined) {
      const known = (db.prepare('SELECT doc FROM docs ORDER BY doc LIMIT 20').all() as { doc: string }[]).map((r) =>
        JSON.stringify(r.doc),
      );
      throw new CommandError(
        `no document ${JSON.stringify(room)} in ${file}; documents: ${known.join(', ') || 'none'}`,
      );
    }
    if (seq < row.snapshot_seq) {
      throw new CommandError(
        `positions up to ${row.snapshot_seq} of ${JSON.stringify(room)} were compacted into its snapshot; ` +
          `the earliest position that can be rebuilt is ${row.snapshot_seq}`,
      );
    }
    const doc = new Y.Doc();
    const notes: string[] = [];
    let applied = 0;
    if (row.snapshot !== null) {
      if (!matchesChecksum(row.snapshot, row.snapshot_sum)) {
        throw new CommandError(`the snapshot of ${JSON.stringify(room)} fails its checksum`);
      }
      Y.applyUpdate(doc, row.snapshot);
      notes.push(`snapshot through position ${row.snapshot_seq} (${row.snapshot.byteLength} bytes)`);
      applied++;
    }
    const updates = db
      .prepare('SELECT seq, data, sum FROM updates WHERE doc = ? AND seq <= ? ORDER BY seq')
      .all(room, Number.isFinite(seq) ? seq : Number.MAX_SAFE_INTEGER) as SqliteUpdateRow[];
    for (const update of updates) {
      if (!matchesChecksum(update.data, update.sum)) {
        throw new CommandError(`update ${update.seq} of ${JSON.stringify(room)} fails its checksum`);
      }
      Y.applyUpdate(doc, update.data);
      applied++;
    }
    const last = updates.at(-1)?.seq ?? row.snapshot_seq;
    notes.push(`${updates.length} logged update(s), through position ${last} (log ends at ${row.next_seq - 1})`);
    return { doc, applied, notes };
  } finally {
    db.close();
  }
}
