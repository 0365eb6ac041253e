import { typedRoots } from '@tandem/doc-format';
import { diffWordsWithSpace } from 'diff';
import * as Y from 'yjs';
import { docToText } from '../ops/doc-export.js';
import type { TransformLoader } from '../transform-loader.js';

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

/** How a version's document is rendered for preview and compare (VER-9, VER-15). */
export interface VersionRendering {
  /** ProseMirror JSON of the Tiptap field. */
  toProseMirror(doc: Y.Doc): Promise<unknown>;
  /** HTML of the Tiptap field. */
  toHTML(doc: Y.Doc): Promise<string>;
  /** Plain text, blocks separated by '\n' (what compare diffs). */
  toText(doc: Y.Doc): Promise<string>;
}

/**
 * Renderings by the server's content transform (@tandem/transform, the editor's schema, loaded on
 * first use). Plain text is the Tiptap field's when the document has one; a document without it
 * (texts, maps, arrays written by other bindings) is rendered as the admin export's text of every
 * root.
 */
export function versionRendering(load: TransformLoader): VersionRendering {
  const hasField = (doc: Y.Doc, field: string) =>
    typedRoots(doc).some((root) => root.name === field && root.kind === 'xml');
  return {
    toProseMirror: async (doc) => (await load()).transform.toProseMirror(doc),
    toHTML: async (doc) => (await load()).transform.toHTML(doc),
    toText: async (doc) => {
      const { transform, field } = await load();
      return hasField(doc, field) ? transform.toText(doc) : docToText(doc);
    },
  };
}

/** The changes from `from`'s text to `to`'s (VER-9): words and spaces, inserted and deleted in order. */
export function compareTexts(from: string, to: string): TextChange[] {
  return diffWordsWithSpace(from, to).map((change) => ({
    type: change.added ? 'insert' : change.removed ? 'delete' : 'equal',
    text: change.value,
  }));
}
