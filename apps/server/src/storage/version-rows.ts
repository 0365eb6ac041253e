import { checksum } from '@tandem/doc-format';
import {
  type AddedVersion,
  type AutoVersionCondition,
  autoVersionTaken,
  type NewVersion,
  type VersionKind,
  type VersionReason,
  type VersionRecord,
} from './version-store.js';

/** A `versions` row as both SQL stores select it (without the state). */
export interface VersionRow {
  readonly id: number | string;
  readonly doc: string;
  readonly kind: string;
  readonly label: string | null;
  readonly reason: string | null;
  readonly created_at: number | string;
  readonly authors: string;
  readonly created_by: string | null;
  readonly bytes: number | string;
}

/** The columns of {@link VersionRow}, for SELECT lists. */
export const VERSION_COLUMNS = 'id, doc, kind, label, reason, created_at, authors, created_by, bytes';

/** The columns an insert writes, in the order of {@link insertValues}. */
export const INSERT_COLUMNS = 'doc, kind, label, reason, created_at, covers, authors, created_by, bytes, state, sum';

/** The values of a version's row, in the order of {@link INSERT_COLUMNS}; the state as a Buffer. */
export function insertValues(version: NewVersion) {
  const state = Buffer.from(version.state.buffer, version.state.byteOffset, version.state.byteLength);
  return [
    version.docId,
    version.kind,
    version.label,
    version.reason,
    version.createdAt,
    version.covers,
    JSON.stringify(version.authors),
    version.createdBy === null ? null : JSON.stringify(version.createdBy),
    state.byteLength,
    state,
    checksum(state),
  ] as const;
}

/** A stored row as the record the API shows. */
export function recordFromRow(row: VersionRow): VersionRecord {
  return {
    id: String(row.id),
    docId: row.doc,
    kind: row.kind as VersionKind,
    label: row.label,
    reason: row.reason as VersionReason | null,
    createdAt: Number(row.created_at),
    bytes: Number(row.bytes),
    authors: JSON.parse(row.authors),
    createdBy: row.created_by === null ? null : JSON.parse(row.created_by),
  };
}

/**
 * The answer of a conditional automatic insert that stores nothing, from the document's newest
 * row and newest automatic row; null when the version must be stored.
 */
export function skippedAuto(
  newest: (VersionRow & { readonly covers: string }) | undefined,
  newestAuto: VersionRow | undefined,
  version: NewVersion,
  auto: AutoVersionCondition,
): AddedVersion | null {
  const autoAt = newestAuto === undefined ? undefined : Number(newestAuto.created_at);
  if (!autoVersionTaken(newest, autoAt, version, auto)) return null;
  const existing = newestAuto ?? newest;
  return { created: false, version: existing === undefined ? null : recordFromRow(existing) };
}
