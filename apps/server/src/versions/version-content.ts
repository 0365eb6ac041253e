import { diffWordsWithSpace } from 'diff';
import * as Y from 'yjs';
import { docToText } from '../ops/doc-export.js';

/** The formats a version's content is served in. */
export type ContentFormat = 'prosemirror' | 'html' | 'text' | 'yjs';

/** One run of a comparison, in document order. */
export interface TextChange {
  readonly type: 'equal' | 'insert' | 'delete';
  readonly text: string;
}

/** A document built from one Yjs update (a version's state). */
export function docOf(state: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc;
}

/** The plain text of a document, blocks separated by '\n' (what compare diffs). */
export function plainText(doc: Y.Doc): string {
  return docToText(doc);
}

/** The changes from `from`'s text to `to`'s (VER-9): words and spaces, inserted and deleted in order. */
export function compareTexts(from: string, to: string): TextChange[] {
  return diffWordsWithSpace(from, to).map((change) => ({
    type: change.added ? 'insert' : change.removed ? 'delete' : 'equal',
    text: change.value,
  }));
}
