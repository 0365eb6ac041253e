import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { docToJson, docToText } from './doc-export.js';

/** `build`'s document as the admin export sees it: loaded from stored updates, every root untyped. */
function stored(build: (doc: Y.Doc) => void): Y.Doc {
  const source = new Y.Doc();
  build(source);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(source));
  return doc;
}

describe('admin document export', () => {
  const doc = () =>
    stored((d) => {
      d.getText('title').insert(0, 'Quarterly report');
      const paragraph = new Y.XmlElement('paragraph');
      paragraph.insert(0, [new Y.XmlText('Revenue is up')]);
      d.getXmlFragment('body').insert(0, [paragraph]);
      d.getMap('meta').set('owner', 'ada');
      d.getArray('tags').insert(0, ['q3']);
      d.getText('erased').insert(0, 'x');
      d.getText('erased').delete(0, 1);
    });

  it('exports JSON: texts and fragments as strings, maps and arrays as JSON, an empty root as an empty string', () => {
    expect(docToJson(doc())).toEqual({
      body: '<paragraph>Revenue is up</paragraph>',
      erased: '',
      meta: { owner: 'ada' },
      tags: ['q3'],
      title: 'Quarterly report',
    });
  });

  it('exports text: every text and fragment in name order, tags stripped; maps and arrays left out', () => {
    expect(docToText(doc())).toBe('Revenue is up\n\nQuarterly report');
  });
});
