import * as Y from 'yjs';

/** What a root type of a document holds, inferred from its content (a received doc's roots are untyped). */
export type RootKind = 'text' | 'xml' | 'array' | 'map' | 'empty';

/** A root type once typed. */
export type RootType = Y.Text | Y.XmlFragment | Y.Array<unknown> | Y.Map<unknown>;

/** A root of a document, typed by what it holds; `type` is null for an empty root. */
export interface TypedRoot {
  readonly name: string;
  readonly kind: RootKind;
  readonly type: RootType | null;
}

/**
 * Every root of `doc`, sorted by name, typed by its items and re-created with that constructor
 * (Yjs allows turning an untyped root into a typed one): the one inference both the server's
 * export and the CLI use. Text formatting and embeds count as text; XML elements as a fragment;
 * any other list content (shared types included) as an array; keyed content as a map; a root
 * with nothing left but deletions as empty.
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
