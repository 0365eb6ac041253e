import type { Extensions } from '@tiptap/core';
import StarterKit from '@tiptap/starter-kit';

/** The Y.XmlFragment a document's rich text lives in: the field Tiptap's Collaboration extension uses by default. */
export const DEFAULT_FIELD = 'default';

/**
 * The editor's schema as Tiptap extensions: StarterKit as `@tandem/editor` configures it (headings,
 * lists, blockquote, code block, horizontal rule, hard break, bold/italic/strike/underline/code, link).
 * Browser-safe (no Node-only code), so the editor takes its extensions from here: one schema for
 * the editor, the server's content API and every transform. History (undoRedo) is off because
 * Collaboration brings its own; there is no trailing node because every client would append its own.
 */
export function defaultExtensions(): Extensions {
  return [StarterKit.configure({ undoRedo: false, trailingNode: false, link: { openOnClick: false, autolink: true } })];
}
