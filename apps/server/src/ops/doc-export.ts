// biome-ignore-all lint/suspicious/noExplicitAny: Yjs root types are generic over their event type
import * as Y from 'yjs';

type RootKind = 'text' | 'xml' | 'array' | 'map';

/** Guesses what a root type is from its content (Yjs keeps untyped roots until someone asks). */
function kindOf(type: Y.AbstractType<any>): RootKind {
  if (type._map.size > 0 && type._start === null) return 'map';
  for (let item = type._start; item !== null; item = item.right) {
    if (item.content instanceof Y.ContentString || item.content instanceof Y.ContentFormat) return 'text';
    if (item.content instanceof Y.ContentType) return 'xml';
    if (item.content instanceof Y.ContentAny || item.content instanceof Y.ContentJSON) return 'array';
  }
  return type._map.size > 0 ? 'map' : 'text';
}

function typed(doc: Y.Doc, name: string): { kind: RootKind; value: Y.AbstractType<any> } {
  const kind = kindOf(doc.share.get(name) as Y.AbstractType<any>);
  if (kind === 'xml') return { kind, value: doc.getXmlFragment(name) };
  if (kind === 'array') return { kind, value: doc.getArray(name) };
  if (kind === 'map') return { kind, value: doc.getMap(name) };
  return { kind, value: doc.getText(name) };
}

/** Every root type as JSON (texts and XML fragments as strings). */
export function docToJson(doc: Y.Doc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of [...doc.share.keys()].sort()) {
    const { kind, value } = typed(doc, name);
    out[name] = kind === 'text' || kind === 'xml' ? value.toString() : value.toJSON();
  }
  return out;
}

/** The document's readable text: every root text and XML fragment, tags stripped. */
export function docToText(doc: Y.Doc): string {
  const parts: string[] = [];
  for (const name of [...doc.share.keys()].sort()) {
    const { kind, value } = typed(doc, name);
    if (kind === 'text') parts.push(value.toString());
    if (kind === 'xml') parts.push(xmlText(value as Y.XmlFragment));
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
