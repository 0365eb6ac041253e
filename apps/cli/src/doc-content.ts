import * as Y from 'yjs';

/** What a root type of a document holds, inferred from its content (a received doc's roots are untyped). */
export type RootKind = 'text' | 'xml' | 'array' | 'map' | 'empty';

/** A root of a document, typed by what it holds. */
export interface TypedRoot {
  readonly name: string;
  readonly kind: RootKind;
  readonly type: RootType | null;
}

/** A root type once typed. */
export type RootType = Y.Text | Y.XmlFragment | Y.Array<unknown> | Y.Map<unknown>;

/**
 * Infers each root's type from its items and re-creates it with that constructor (Yjs allows
 * turning an untyped root into a typed one). Text formatting and embeds count as text; XML
 * elements as a fragment; any other list content as an array; keyed content as a map.
 */
export function typedRoots(doc: Y.Doc): TypedRoot[] {
  const roots: TypedRoot[] = [];
  for (const name of [...doc.share.keys()].sort()) {
    const root = doc.share.get(name);
    if (root === undefined) continue;
    const kind = inferKind(root);
    roots.push({ name, kind, type: typed(doc, name, kind) });
  }
  return roots;
}

function inferKind(type: NonNullable<ReturnType<Y.Doc['share']['get']>>): RootKind {
  if (type instanceof Y.Text) return 'text';
  if (type instanceof Y.XmlFragment) return 'xml';
  if (type instanceof Y.Array) return 'array';
  if (type instanceof Y.Map) return 'map';
  let kind: RootKind = 'empty';
  for (let item = type._start; item !== null; item = item.right) {
    const content = item.content;
    if (content instanceof Y.ContentDeleted) continue;
    if (content instanceof Y.ContentString || content instanceof Y.ContentFormat || content instanceof Y.ContentEmbed) {
      return 'text';
    }
    if (content instanceof Y.ContentType) {
      const child = content.type;
      if (child instanceof Y.XmlElement || child instanceof Y.XmlText || child instanceof Y.XmlHook) return 'xml';
    }
    kind = 'array';
  }
  if (kind === 'empty' && [...type._map.values()].some((item) => !item.deleted)) return 'map';
  return kind;
}

function typed(doc: Y.Doc, name: string, kind: RootKind): RootType | null {
  switch (kind) {
    case 'text':
      return doc.getText(name);
    case 'xml':
      return doc.getXmlFragment(name);
    case 'array':
      return doc.getArray(name);
    case 'map':
      return doc.getMap(name);
    case 'empty':
      return null;
  }
}

/** The plain text of an XML fragment: text nodes concatenated, one line per block element. */
export function xmlPlainText(node: Y.XmlFragment | Y.XmlElement): string {
  const blocks: string[] = [];
  for (const child of node.toArray()) {
    if (child instanceof Y.XmlText) blocks.push(textOf(child));
    else if (child instanceof Y.XmlElement) blocks.push(inlineText(child));
  }
  return blocks.join('\n');
}

function inlineText(node: Y.XmlElement): string {
  const children = node.toArray();
  const hasElements = children.some((c) => c instanceof Y.XmlElement);
  if (hasElements) return xmlPlainText(node);
  return children.map((c) => (c instanceof Y.XmlText ? textOf(c) : '')).join('');
}

function textOf(text: Y.XmlText | Y.Text): string {
  return (text.toDelta() as { insert: unknown }[])
    .map((op) => (typeof op.insert === 'string' ? op.insert : ''))
    .join('');
}

const LABEL: Record<RootKind, string> = {
  text: 'Y.Text',
  xml: 'Y.XmlFragment',
  array: 'Y.Array',
  map: 'Y.Map',
  empty: 'empty',
};

/** The document as text: each root under a `# name (type)` header; texts and fragments as plain text. */
export function docAsText(doc: Y.Doc): string {
  const parts: string[] = [];
  for (const root of typedRoots(doc)) {
    if (root.type === null) continue;
    let body: string;
    if (root.type instanceof Y.Text) body = root.type.toString();
    else if (root.type instanceof Y.XmlFragment) body = xmlPlainText(root.type);
    else body = JSON.stringify(root.type.toJSON(), null, 2);
    parts.push(`# ${root.name} (${LABEL[root.kind]})\n${body}`);
  }
  return parts.length === 0 ? '' : `${parts.join('\n\n')}\n`;
}

/** The document as JSON: texts as strings, fragments as XML strings, arrays and maps as JSON. */
export function docAsJson(doc: Y.Doc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const root of typedRoots(doc)) {
    if (root.type === null) continue;
    out[root.name] =
      root.type instanceof Y.Text || root.type instanceof Y.XmlFragment ? root.type.toString() : root.type.toJSON();
  }
  return out;
}
