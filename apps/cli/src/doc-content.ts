import { type RootKind, typedRoots } from '@tandem/doc-format';
import * as Y from 'yjs';

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
