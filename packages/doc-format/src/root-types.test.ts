import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { typedRoots } from './root-types.js';

/** `build`'s document as another process receives it: every root untyped until someone asks. */
function received(build: (doc: Y.Doc) => void): Y.Doc {
  const source = new Y.Doc();
  build(source);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(source));
  return doc;
}

const kinds = (doc: Y.Doc) => Object.fromEntries(typedRoots(doc).map((root) => [root.name, root.kind]));

describe('typedRoots', () => {
  it('types each untyped root by its content, sorted by name', () => {
    const doc = received((d) => {
      d.getText('text').insert(0, 'plain');
      d.getXmlFragment('xml').insert(0, [new Y.XmlElement('p')]);
      d.getArray('list').insert(0, [1, 'two', { three: 3 }]);
      d.getMap('map').set('k', 1);
    });
    expect(typedRoots(doc).map((root) => root.name)).toEqual(['list', 'map', 'text', 'xml']);
    expect(kinds(doc)).toEqual({ list: 'array', map: 'map', text: 'text', xml: 'xml' });
    const byName = Object.fromEntries(typedRoots(doc).map((root) => [root.name, root.type]));
    expect(byName.text).toBeInstanceOf(Y.Text);
    expect(byName.xml).toBeInstanceOf(Y.XmlFragment);
    expect(byName.list).toBeInstanceOf(Y.Array);
    expect(byName.map).toBeInstanceOf(Y.Map);
    expect((byName.list as Y.Array<unknown>).toJSON()).toEqual([1, 'two', { three: 3 }]);
  });

  it('counts formatted text and embeds as text, and XML text as a fragment', () => {
    const doc = received((d) => {
      d.getText('formatted').insert(0, 'bold', { bold: true });
      d.getText('embed').insertEmbed(0, { image: 'x.png' });
      d.getXmlFragment('xmltext').insert(0, [new Y.XmlText('hi')]);
    });
    expect(kinds(doc)).toEqual({ embed: 'text', formatted: 'text', xmltext: 'xml' });
  });

  it('counts a list of shared types that are not XML as an array', () => {
    const doc = received((d) => {
      const item = new Y.Map<number>();
      d.getArray('todos').insert(0, [item]);
      item.set('done', 1);
    });
    expect(kinds(doc)).toEqual({ todos: 'array' });
    expect(typedRoots(doc)[0]?.type?.toJSON()).toEqual([{ done: 1 }]);
  });

  it('calls a root empty when only deletions are left, and gives it no type', () => {
    const doc = received((d) => {
      d.getText('erased').insert(0, 'gone');
      d.getText('erased').delete(0, 4);
      d.getMap('cleared').set('k', 1);
      d.getMap('cleared').delete('k');
    });
    expect(typedRoots(doc)).toEqual([
      { name: 'cleared', kind: 'empty', type: null },
      { name: 'erased', kind: 'empty', type: null },
    ]);
  });

  it('keeps roots that are already typed as they are', () => {
    const doc = new Y.Doc();
    doc.getText('t');
    doc.getArray('a');
    expect(kinds(doc)).toEqual({ a: 'array', t: 'text' });
  });
});
