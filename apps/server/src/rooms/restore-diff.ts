// biome-ignore-all lint/suspicious/noExplicitAny: Yjs types are invariant in their event type; any shared type goes here.
import { typedRoots } from '@tandem/doc-format';
import { type ChangeObject, diffArrays, diffChars } from 'diff';
import * as Y from 'yjs';

/**
 * Beyond this many edits (or this long) a text or list is replaced whole instead of diffed: a
 * restore to very different content must not spend seconds in the diff.
 */
const DIFF_LIMITS = { maxEditLength: 20_000, timeout: 500 } as const;

type Node = Y.XmlElement | Y.XmlText;
type TextLike = Y.Text | Y.XmlText;
type ListLike = Y.Array<unknown> | Y.XmlFragment;

/**
 * The update that makes `current`'s content equal to `target`'s (VER-6), for every root type:
 * XML fragments (as Tiptap writes them), texts, maps and arrays. A forward change with the
 * smallest edit found: what both have in common is kept (so edits made concurrently into kept
 * content survive), the rest is deleted or inserted. Neither document is changed.
 */
export function restoreUpdate(current: Y.Doc, target: Y.Doc): Uint8Array {
  const work = new Y.Doc({ gc: false });
  Y.applyUpdate(work, Y.encodeStateAsUpdate(current));
  const targetCopy = new Y.Doc();
  Y.applyUpdate(targetCopy, Y.encodeStateAsUpdate(target));
  try {
    const wanted = new Map(typedRoots(targetCopy).map((root) => [root.name, root]));
    work.transact(() => {
      for (const root of typedRoots(work)) {
        const goal = wanted.get(root.name);
        if (root.type === null) continue;
        if (goal?.type == null) clearType(root.type);
        else syncType(root.type, goal.type);
      }
      for (const goal of wanted.values()) {
        if (goal.type === null || work.share.has(goal.name)) continue;
        syncType(emptyRoot(work, goal.name, goal.type), goal.type);
      }
    });
    return Y.encodeStateAsUpdate(work, Y.encodeStateVector(current));
  } finally {
    work.destroy();
    targetCopy.destroy();
  }
}

function emptyRoot(doc: Y.Doc, name: string, like: Y.AbstractType<any>): Y.AbstractType<any> {
  if (like instanceof Y.Text) return doc.getText(name);
  if (like instanceof Y.XmlFragment) return doc.getXmlFragment(name);
  if (like instanceof Y.Map) return doc.getMap(name);
  return doc.getArray(name);
}

/** Whether two shared types can be synced in place (same kind, and for elements the same tag). */
function sameKind(a: unknown, b: unknown): boolean {
  if (a instanceof Y.XmlElement || b instanceof Y.XmlElement) {
    return a instanceof Y.XmlElement && b instanceof Y.XmlElement && a.nodeName === b.nodeName;
  }
  if (a instanceof Y.XmlHook || b instanceof Y.XmlHook) return false;
  for (const kind of [Y.XmlText, Y.Text, Y.XmlFragment, Y.Map, Y.Array]) {
    if (a instanceof kind || b instanceof kind) return a instanceof kind && b instanceof kind;
  }
  return false;
}

function syncType(current: Y.AbstractType<any>, target: Y.AbstractType<any>): void {
  if (!sameKind(current, target)) {
    clearType(current);
    return;
  }
  if (current instanceof Y.XmlText || current instanceof Y.Text) syncText(current, target as TextLike);
  else if (current instanceof Y.XmlElement) {
    syncAttributes(current, target as Y.XmlElement);
    syncList(current, target as Y.XmlElement);
  } else if (current instanceof Y.XmlFragment || current instanceof Y.Array) syncList(current, target as ListLike);
  else if (current instanceof Y.Map) syncMap(current, target as Y.Map<unknown>);
}

function clearType(type: Y.AbstractType<any>): void {
  if (type instanceof Y.Text || type instanceof Y.XmlText) type.delete(0, type.length);
  else if (type instanceof Y.XmlFragment || type instanceof Y.Array) type.delete(0, type.length);
  else if (type instanceof Y.Map) for (const key of [...type.keys()]) type.delete(key);
}

/** A value to insert into the working document: shared types are deep-copied, plain values as they are. */
function copyOf(value: unknown): unknown {
  return value instanceof Y.AbstractType ? value.clone() : value;
}

/** What identifies an item of a list when diffing: its full content. */
function signature(value: unknown): string {
  if (value instanceof Y.XmlElement || value instanceof Y.XmlText)
    return `${value.constructor.name}:${value.toString()}`;
  if (value instanceof Y.AbstractType) return `${value.constructor.name}:${JSON.stringify(value.toJSON())}`;
  if (value instanceof Uint8Array) return `bytes:${[...value].join(',')}`;
  return `json:${JSON.stringify(value)}`;
}

function syncMap(current: Y.Map<unknown>, target: Y.Map<unknown>): void {
  for (const key of [...current.keys()]) if (!target.has(key)) current.delete(key);
  for (const [key, wanted] of target.entries()) {
    const have = current.get(key);
    if (current.has(key) && signature(have) === signature(wanted)) continue;
    if (have instanceof Y.AbstractType && sameKind(have, wanted)) syncType(have, wanted as Y.AbstractType<any>);
    else current.set(key, copyOf(wanted));
  }
}

function syncAttributes(current: Y.XmlElement, target: Y.XmlElement): void {
  const wanted = target.getAttributes() as Record<string, unknown>;
  for (const key of Object.keys(current.getAttributes())) if (!(key in wanted)) current.removeAttribute(key);
  for (const [key, value] of Object.entries(wanted)) {
    if (signature(current.getAttribute(key)) !== signature(value)) current.setAttribute(key, copyOf(value) as string);
  }
}

/**
 * Lists (arrays, XML children): a diff of the items by content; where items were removed and
 * others added at the same place, pairs of the same kind are synced in place (a paragraph edited
 * keeps its unchanged text), the rest deleted or inserted.
 */
function syncList(current: ListLike, target: ListLike): void {
  const have = current.toArray() as unknown[];
  const want = target.toArray() as unknown[];
  const changes: ChangeObject<string[]>[] = diffArrays(have.map(signature), want.map(signature), DIFF_LIMITS) ?? [
    // Too different to diff in time: everything is replaced.
    { value: have.map(signature), count: have.length, added: false, removed: true },
    { value: want.map(signature), count: want.length, added: true, removed: false },
  ];
  let index = 0;
  let read = 0;
  let taken = 0;
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i] as ChangeObject<string[]>;
    const count = change.count ?? change.value.length;
    if (!change.added && !change.removed) {
      index += count;
      read += count;
      taken += count;
      continue;
    }
    const next = changes[i + 1];
    const removed = change.removed ? count : next?.removed ? (next.count ?? 0) : 0;
    const added = change.added ? count : next?.added ? (next.count ?? 0) : 0;
    if ((change.removed && next?.added) || (change.added && next?.removed)) i++;
    const olds = have.slice(read, read + removed);
    const news = want.slice(taken, taken + added);
    read += removed;
    taken += added;
    const paired = Math.min(olds.length, news.length);
    for (let k = 0; k < paired; k++) {
      const old = olds[k];
      const fresh = news[k];
      if (old instanceof Y.AbstractType && sameKind(old, fresh)) syncType(old, fresh as Y.AbstractType<any>);
      else {
        current.delete(index, 1);
        insertInto(current, index, [fresh]);
      }
      index++;
    }
    if (olds.length > paired) current.delete(index, olds.length - paired);
    if (news.length > paired) {
      insertInto(current, index, news.slice(paired));
      index += news.length - paired;
    }
  }
}

function insertInto(list: ListLike, index: number, values: unknown[]): void {
  const copies = values.map(copyOf);
  if (list instanceof Y.XmlFragment) list.insert(index, copies as Node[]);
  else list.insert(index, copies);
}

/** Texts: a character diff of the strings, then the formatting of the target's runs. */
function syncText(current: TextLike, target: TextLike): void {
  const from = current.toString();
  const to = target.toString();
  if (from !== to) {
    const changes = diffChars(plain(current), plain(target), DIFF_LIMITS);
    if (changes === undefined) {
      current.delete(0, current.length);
      applyDelta(current, target);
      return;
    }
    let index = 0;
    for (const change of changes) {
      const length = change.count ?? change.value.length;
      if (change.removed) current.delete(index, length);
      else if (change.added) {
        current.insert(index, change.value);
        index += length;
      } else index += length;
    }
  }
  syncFormatting(current, target);
}

/** The text without formatting (XmlText.toString() renders marks as tags). */
function plain(text: TextLike): string {
  return (text.toDelta() as { insert: unknown }[])
    .map((op) => (typeof op.insert === 'string' ? op.insert : ''))
    .join('');
}

function applyDelta(current: TextLike, target: TextLike): void {
  let index = 0;
  for (const op of target.toDelta() as { insert: unknown; attributes?: Record<string, unknown> }[]) {
    if (typeof op.insert === 'string') {
      current.insert(index, op.insert, op.attributes ?? {});
      index += op.insert.length;
    } else {
      current.insertEmbed(index, copyOf(op.insert) as object, op.attributes ?? {});
      index += 1;
    }
  }
}

/** Sets, over each run of the target, exactly the target's attributes (others cleared). */
function syncFormatting(current: TextLike, target: TextLike): void {
  const currentKeys = new Set<string>();
  for (const op of current.toDelta() as { attributes?: Record<string, unknown> }[]) {
    for (const key of Object.keys(op.attributes ?? {})) currentKeys.add(key);
  }
  let index = 0;
  for (const op of target.toDelta() as { insert: unknown; attributes?: Record<string, unknown> }[]) {
    const length = typeof op.insert === 'string' ? op.insert.length : 1;
    const attributes: Record<string, unknown> = {};
    for (const key of currentKeys) attributes[key] = null;
    Object.assign(attributes, op.attributes ?? {});
    if (Object.keys(attributes).length > 0) current.format(index, length, attributes);
    index += length;
  }
}
