import type { JSONContent, Transform } from '@tandem/transform';
import * as Y from 'yjs';

/** The forms a document's content is read in (`?format=`). */
export const CONTENT_FORMATS = ['prosemirror', 'html', 'markdown', 'text', 'yjs'] as const;
/** One of {@link CONTENT_FORMATS}. */
export type ContentFormat = (typeof CONTENT_FORMATS)[number];

/** The media type each format is sent as, and accepted as in a write. */
export const MEDIA_TYPES: Readonly<Record<ContentFormat, string>> = {
  prosemirror: 'application/json',
  html: 'text/html',
  markdown: 'text/markdown',
  text: 'text/plain',
  yjs: 'application/octet-stream',
};

/** A document's content in one format: ProseMirror JSON as an object, the Yjs state as bytes, the rest as text. */
export type RenderedContent = JSONContent | string | Buffer;

/** Renders `doc`'s content (the transform's field) in `format`. */
export function renderContent(transform: Transform, format: ContentFormat, doc: Y.Doc): RenderedContent {
  switch (format) {
    case 'prosemirror':
      return transform.toProseMirror(doc);
    case 'html':
      return transform.toHTML(doc);
    case 'markdown':
      return transform.toMarkdown(doc);
    case 'text':
      return transform.toText(doc);
    case 'yjs':
      return Buffer.from(Y.encodeStateAsUpdate(doc));
    default:
      return format satisfies never;
  }
}

/** What a write brings: content in the schema (from JSON, HTML, Markdown or text), or a Yjs update to merge as sent. */
export type IncomingContent =
  | { readonly kind: 'content'; readonly json: JSONContent }
  | { readonly kind: 'yjs'; readonly update: Uint8Array };

/** The format a request's Content-Type names (parameters such as charset ignored), or null. */
export function formatOfMediaType(contentType: string | undefined): ContentFormat | null {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  const found = CONTENT_FORMATS.find((format) => MEDIA_TYPES[format] === media);
  return found ?? null;
}

/**
 * Reads a parsed body as incoming content; content the schema rejects throws the transform's
 * `TransformError` (a 422), an empty Yjs body a `RangeError` (a 400).
 */
export function incomingContent(transform: Transform, format: ContentFormat, body: unknown): IncomingContent {
  if (format === 'yjs') {
    if (!(body instanceof Buffer) || body.byteLength === 0) throw new RangeError('the Yjs update is empty');
    return { kind: 'yjs', update: new Uint8Array(body) };
  }
  const text = typeof body === 'string' ? body : '';
  switch (format) {
    case 'prosemirror':
      return { kind: 'content', json: transform.validate(body) };
    case 'html':
      return { kind: 'content', json: transform.fromHTML(text) };
    case 'markdown':
      return { kind: 'content', json: transform.fromMarkdown(text) };
    case 'text':
      return { kind: 'content', json: transform.fromText(text) };
    default:
      return format satisfies never;
  }
}
