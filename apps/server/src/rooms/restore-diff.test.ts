import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { restoreUpdate } from './restore-diff.js';

const copy = (doc: Y.Doc) => {
  const out = new Y.Doc();
  Y.applyUpdate(out, Y.encodeStateAsUpdate(doc));
  return out;
};

/** Applies the restore of `version` onto `live` and returns the update's size. */
const restore = (live: Y.Doc, version: Y.Doc) => {
  const update = restoreUpdate(live, version);
  Y.applyUpdate(live, update);
  return update.byteLength;
};

const paragraph = (text: string, marks?: Record<string, unknown>) => {
  const p = new Y.XmlElement('paragraph');
  const t = new Y.XmlText();
  t.insert(0, text, marks);
  p.insert(0, [t]);
  return p;
};

describe('restoreUpdate (VER-6)', () => {
  it('VER-6: an XML fragment as Tiptap writes it returns to the version, marks and attributes included', () => {
    const live = new Y.Doc();
    const xml = live.getXmlFragment('default');
    const heading = new Y.XmlElement('heading');
    heading.setAttribute('level', '1');
    heading.insert(0, [new Y.XmlText('Title')]);
    xml.insert(0, [heading, paragraph('first paragraph'), paragraph('second', { bold: {} })]);
    const version = copy(live);
    ((xml.get(1) as Y.XmlElement).get(0) as Y.XmlText).insert(5, ' edited');
    (xml.get(0) as Y.XmlElement).setAttribute('level', '2');
    ((xml.get(2) as Y.XmlElement).get(0) as Y.XmlText).format(0, 6, { bold: null });
    xml.insert(3, [paragraph('added later')]);
    restore(live, version);
    expect(xml.toString()).toBe(version.getXmlFragment('default').toString());
    expect(xml.toString()).toContain('<bold>second</bold>');
  });

  it('VER-6: texts, maps (nested types too) and arrays return to the version; a root only in the version is created', () => {
    const live = new Y.Doc();
    live.getText('t').insert(0, 'hello world');
    const map = live.getMap<unknown>('m');
    map.set('a', 1);
    map.set('keep', 'same');
    const nested = new Y.Map<unknown>();
    nested.set('x', 'old');
    map.set('nested', nested);
    live.getArray<unknown>('list').push(['one', 'two', { three: 3 }]);
    const version = copy(live);
    version.getText('created').insert(0, 'only in the version');
    live.getText('t').insert(5, ',');
    live.getText('t').insert(live.getText('t').length, '!');
    map.set('a', 2);
    map.set('b', 'new');
    map.delete('keep');
    nested.set('x', 'new');
    live.getArray<unknown>('list').delete(0, 1);
    live.getArray<unknown>('list').push(['four']);
    live.getArray<unknown>('extra').push([1]);
    restore(live, version);
    expect(live.getText('t').toString()).toBe('hello world');
    expect(map.toJSON()).toEqual({ a: 1, keep: 'same', nested: { x: 'old' } });
    expect(map.get('nested')).toBe(nested);
    expect(live.getArray('list').toJSON()).toEqual(['one', 'two', { three: 3 }]);
    expect(live.getArray('extra').toJSON()).toEqual([]);
    expect(live.getText('created').toString()).toBe('only in the version');
  });

  it('VER-7: content the restore keeps is kept, so an edit made concurrently into it survives the merge', () => {
    const server = new Y.Doc();
    const xml = server.getXmlFragment('default');
    xml.insert(0, [paragraph('kept paragraph'), paragraph('replaced paragraph')]);
    const version = copy(server);
    ((xml.get(1) as Y.XmlElement).get(0) as Y.XmlText).insert(0, 'later ');
    // Another user, not yet seen by the server, types into the paragraph the restore keeps.
    const offline = copy(server);
    ((offline.getXmlFragment('default').get(0) as Y.XmlElement).get(0) as Y.XmlText).insert(4, ' typed');
    const bytes = restore(server, version);
    expect(xml.toString()).toBe(version.getXmlFragment('default').toString());
    Y.applyUpdate(server, Y.encodeStateAsUpdate(offline, Y.encodeStateVector(server)));
    Y.applyUpdate(offline, Y.encodeStateAsUpdate(server, Y.encodeStateVector(offline)));
    expect(xml.toString()).toBe('<paragraph>kept typed paragraph</paragraph><paragraph>replaced paragraph</paragraph>');
    expect(offline.getXmlFragment('default').toString()).toBe(xml.toString());
    // Minimal: the restore deleted 6 characters, it did not rewrite the document.
    expect(bytes).toBeLessThan(60);
  });

  it('VER-6: restoring a document to its own state changes nothing', () => {
    const live = new Y.Doc();
    live.getXmlFragment('default').insert(0, [paragraph('same')]);
    live.getText('t').insert(0, 'same');
    const before = Y.encodeStateVector(live);
    restore(live, copy(live));
    expect(Y.encodeStateVector(live)).toEqual(before);
  });
});
