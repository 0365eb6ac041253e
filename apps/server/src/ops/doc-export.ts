import { typedRoots } from '@tandem/doc-format';
import * as Y from 'yjs';

/**
 * Every root type as JSON (texts and XML fragments as strings), typed by the shared inference. An
 * empty root exports as an empty string, as the admin export always showed it.
 */
export function docToJson(doc: Y.Doc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { name, type } of typedRoots(doc)) {
    if (type === null) out[name] = '';
    else out[name] = type instanceof Y.Text || type instanceof Y.XmlFragment ? type.toString() : type.toJSON();
  }
  return out;
}

/** The document's readable text: every root text and XML fragment, tags stripped (an empty root adds an empty part). */
export function docToText(doc: Y.Doc): string {
  const parts: string[] = [];
  for (const { kind, type } of typedRoots(doc)) {
    if (kind === 'empty') parts.push('');
    else if (type instanceof Y.Text) parts.push(type.toString());
    else if (type instanceof Y.XmlFragment) parts.push(xmlText(type));
  }
  return parts.join('\n');
}

function xmlText(node: Y.XmlFragment | Y.XmlElement): string {
  const blocks: string[] = [];
  for (const child of node.toArray()) {
    if (child instanceof Y.XmlText) blocks.push(child.toString().replace(/<[^>]*>/g, ''));
    else if (child instanceof Y.XmlElement) blocks.push(xmlText(child));
  }
  return blocks.join(node instanceof Y.XmlFragment ? '\n' : '');
}
