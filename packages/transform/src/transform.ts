import { type Extensions, getSchema, getTextSerializersFromSchema, type JSONContent } from '@tiptap/core';
import { generateHTML, generateJSON } from '@tiptap/html';
import { MarkdownManager } from '@tiptap/markdown';
import type { Node as ProseMirrorNode, Schema } from '@tiptap/pm/model';
import { prosemirrorJSONToYXmlFragment, updateYFragment, yXmlFragmentToProseMirrorRootNode } from '@tiptap/y-tiptap';
import * as Y from 'yjs';
import { DEFAULT_FIELD, defaultExtensions } from './extensions.js';

/** Options of {@link createTransform}. */
export interface TransformOptions {
  /** The Tiptap extensions whose schema the content follows; the editor's ({@link defaultExtensions}) by default. */
  readonly extensions?: Extensions;
  /** The Y.XmlFragment holding the content; {@link DEFAULT_FIELD} by default. */
  readonly field?: string;
}

/** Where {@link Transform.appendUpdate} puts the new blocks. */
export interface AppendOptions {
  /** `end` (default): after the last block; `start`: before the first. */
  readonly at?: 'end' | 'start';
}

/** Content conversions for one schema and field. Reads never change the Y.Doc they are given. */
export interface Transform {
  readonly schema: Schema;
  /** The field's content as ProseMirror JSON (`{ type: 'doc', ... }`; an empty field gives a doc without content). */
  toProseMirror(doc: Y.Doc): JSONContent;
  toHTML(content: Y.Doc | JSONContent): string;
  toMarkdown(content: Y.Doc | JSONContent): string;
  /** The text of each textblock, separated by `'\n'` (a hard break is a `'\n'` too). */
  toText(content: Y.Doc | JSONContent): string;
  fromHTML(html: string): JSONContent;
  fromMarkdown(markdown: string): JSONContent;
  /** One paragraph per line. */
  fromText(text: string): JSONContent;
  /** The content normalised by the schema (default attributes filled in); a {@link TransformError} naming the problem if the schema rejects it. */
  validate(json: unknown): JSONContent;
  /**
   * A Yjs update that makes `base`'s field equal to `json`: the minimal forward change computed by
   * y-prosemirror's diff (unchanged blocks are kept, so concurrent edits there survive), or, without
   * `base`, the content of a fresh document.
   */
  toUpdate(json: JSONContent, base?: Y.Doc): Uint8Array;
  /** A Yjs update inserting `json`'s blocks after the last block of `base`'s field (or before the first). */
  appendUpdate(json: JSONContent, base: Y.Doc, options?: AppendOptions): Uint8Array;
}

/** Content a schema rejects, or input that is not content at all; the message names the problem. */
export class TransformError extends Error {
  override readonly name = 'TransformError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A copy of `doc` to read or diff against: y-prosemirror deletes the Yjs items it cannot fit into
 * the schema while it reads, and a caller's document (a live room's) must never change by a read.
 */
function copyOf(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc({ gc: false });
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
}

/** The update one transaction on `doc` produces (an empty update when it changes nothing). */
function captureUpdate(doc: Y.Doc, change: () => void): Uint8Array {
  const updates: Uint8Array[] = [];
  const onUpdate = (update: Uint8Array) => updates.push(update);
  doc.on('update', onUpdate);
  try {
    doc.transact(change);
  } finally {
    doc.off('update', onUpdate);
  }
  return Y.mergeUpdates(updates);
}

/**
 * `json` with Markdown's soft line breaks (a newline inside a paragraph) turned into the spaces a
 * browser shows for them: kept as newlines, the editor (white-space: pre-wrap) would show them as
 * line breaks, and HTML would not keep them. Code blocks keep their newlines.
 */
function joinSoftBreaks(json: JSONContent, schema: Schema): JSONContent {
  if (json.type === 'text')
    return json.text === undefined ? json : { ...json, text: json.text.replace(/[ \t]*\n[ \t]*/g, ' ') };
  if (json.content === undefined || schema.nodes[json.type ?? '']?.spec.code === true) return json;
  return { ...json, content: json.content.map((child) => joinSoftBreaks(child, schema)) };
}

/** A transform for the editor's schema, or for the extensions given. */
export function createTransform(options: TransformOptions = {}): Transform {
  const extensions = options.extensions ?? defaultExtensions();
  const field = options.field ?? DEFAULT_FIELD;
  const schema = getSchema(extensions);
  const markdown = new MarkdownManager({ extensions });
  const textSerializers = getTextSerializersFromSchema(schema);
  const lineType = schema.topNodeType.contentMatch.defaultType;

  const nodeOf = (json: unknown): ProseMirrorNode => {
    if (!isRecord(json))
      throw new TransformError('content must be a ProseMirror JSON object, e.g. {"type":"doc","content":[...]}');
    const top = schema.topNodeType.name;
    if (json.type !== top) {
      throw new TransformError(`content's top node must be of type "${top}", not ${JSON.stringify(json.type)}`);
    }
    let node: ProseMirrorNode;
    try {
      node = schema.nodeFromJSON(json);
    } catch (error) {
      throw new TransformError(`content does not fit the schema: ${messageOf(error)}`);
    }
    // An empty field is a valid document (what a new document holds), though `doc` wants a block.
    if (node.childCount > 0) {
      try {
        node.check();
      } catch (error) {
        throw new TransformError(`content does not fit the schema: ${messageOf(error)}`);
      }
    }
    return node;
  };

  const fieldNode = (doc: Y.Doc): ProseMirrorNode =>
    yXmlFragmentToProseMirrorRootNode(copyOf(doc).getXmlFragment(field), schema);

  const nodeFrom = (content: Y.Doc | JSONContent): ProseMirrorNode =>
    content instanceof Y.Doc ? fieldNode(content) : nodeOf(content);

  const leafText = (node: ProseMirrorNode): string => {
    const serializer = textSerializers[node.type.name];
    if (serializer === undefined) return node.type.spec.leafText?.(node) ?? '';
    return serializer({ node, pos: 0, parent: node, index: 0, range: { from: 0, to: node.nodeSize } });
  };

  const diffUpdate = (base: Y.Doc, target: (current: ProseMirrorNode) => ProseMirrorNode): Uint8Array => {
    const copy = copyOf(base);
    const fragment = copy.getXmlFragment(field);
    const next = target(yXmlFragmentToProseMirrorRootNode(fragment, schema));
    return captureUpdate(copy, () => updateYFragment(copy, fragment, next, { mapping: new Map(), isOMark: new Map() }));
  };

  return {
    schema,
    toProseMirror: (doc) => fieldNode(doc).toJSON() as JSONContent,
    toHTML: (content) => generateHTML(nodeFrom(content).toJSON(), extensions),
    toMarkdown: (content) => markdown.serialize(nodeFrom(content).toJSON()),
    toText: (content) => {
      const node = nodeFrom(content);
      return node.textBetween(0, node.content.size, '\n', leafText);
    },
    fromHTML: (html) => nodeOf(generateJSON(html, extensions)).toJSON() as JSONContent,
    fromMarkdown: (source) => {
      const parsed = joinSoftBreaks(markdown.parse(source), schema);
      try {
        return nodeOf(parsed).toJSON() as JSONContent;
      } catch (error) {
        if (!(error instanceof TransformError)) throw error;
        // Markdown the schema has no node for (a task list item without the task-list extension)
        // parses into a misplaced node: ProseMirror's DOM parser fits it into the schema.
        return nodeOf(generateJSON(generateHTML(parsed, extensions), extensions)).toJSON() as JSONContent;
      }
    },
    fromText: (text) => {
      if (lineType === null || !lineType.isTextblock) {
        throw new TransformError(
          `the schema's "${schema.topNodeType.name}" has no default textblock to hold lines of text`,
        );
      }
      const lines = text.split(/\r\n|\r|\n/);
      const blocks = lines.map((line) => lineType.create(null, line === '' ? null : schema.text(line)));
      return nodeOf(schema.topNodeType.create(null, blocks).toJSON()).toJSON() as JSONContent;
    },
    validate: (json) => nodeOf(json).toJSON() as JSONContent,
    toUpdate: (json, base) => {
      const node = nodeOf(json);
      if (base !== undefined) return diffUpdate(base, () => node);
      const fresh = new Y.Doc();
      prosemirrorJSONToYXmlFragment(schema, node.toJSON(), fresh.getXmlFragment(field));
      return Y.encodeStateAsUpdate(fresh);
    },
    appendUpdate: (json, base, { at = 'end' } = {}) => {
      const added = nodeOf(json).content;
      return diffUpdate(base, (current) =>
        schema.topNodeType.create(null, at === 'start' ? added.append(current.content) : current.content.append(added)),
      );
    },
  };
}
