import { createHash } from 'node:crypto';
import * as Y from 'yjs';

/**
 * A strong ETag for a document's state: a hash of its Yjs snapshot (state vector and delete set).
 * Any change moves it — a deletion adds no struct and leaves the state vector as it was, so the
 * state vector alone would not do — and two replicas holding the same edits get the same tag.
 */
export function etagOf(doc: Y.Doc): string {
  const digest = createHash('sha256')
    .update(Y.encodeSnapshot(Y.snapshot(doc)))
    .digest('base64url');
  return `"${digest.slice(0, 27)}"`;
}

/**
 * Whether an `If-Match` header admits a write to a document whose ETag is `current` (RFC 9110
 * 13.1.1): absent, `*`, or a list naming `current`. Weak tags never match (strong comparison).
 */
export function ifMatchAdmits(header: string | undefined, current: string): boolean {
  if (header === undefined) return true;
  const tags = header.split(',').map((tag) => tag.trim());
  return tags.includes('*') || tags.includes(current);
}

/** Whether an `If-None-Match` header lists `current` (weak comparison), so a GET can answer 304. */
export function ifNoneMatchHits(header: string | undefined, current: string): boolean {
  if (header === undefined) return false;
  const tags = header.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(current);
}
