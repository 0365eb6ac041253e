import { encodeFrame } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { parseArgs, UsageError } from './args.js';
import { describeFrame } from './describe-frame.js';
import { docAsJson, docAsText } from './doc-content.js';
import { formatRecordingLine, parseRecording, parseUntil } from './recording.js';
import { replayRecording } from './replay.js';

describe('frame descriptions', () => {
  it('names type and sub-type, sizes, client clock ranges and deletes of an update', () => {
    const doc = new Y.Doc();
    doc.clientID = 42;
    doc.getText('t').insert(0, 'hello');
    doc.getText('t').delete(0, 2);
    const bytes = encodeFrame({ type: 'sync-update', update: Y.encodeStateAsUpdate(doc) });
    expect(describeFrame(bytes)).toMatch(
      /^sync\/update \(0\/2\) \d+B update \d+B structs \d+ clients 42:0\.\.5 deletes 42:0\.\.2$/,
    );
  });

  it('decodes awareness states and cuts long ones', () => {
    // y-protocols encoding: count, then clientID, clock, JSON state per entry.
    const state = JSON.stringify({ user: { name: 'x'.repeat(200) } });
    const payload = [1, 7, 3, (state.length & 0x7f) | 0x80, state.length >> 7, ...Buffer.from(state)];
    const line = describeFrame(encodeFrame({ type: 'awareness', update: new Uint8Array(payload) }), 20);
    expect(line).toMatch(/^awareness \(1\) \d+B update \d+B clients 7@3 \{"user":\{"name":"xx…$/);
  });

  it('reports undecodable bytes instead of throwing', () => {
    expect(describeFrame(new Uint8Array([99]))).toMatch(/^undecodable 1B: unknown-type/);
    expect(describeFrame(encodeFrame({ type: 'sync-update', update: new Uint8Array([1, 2, 3]) }))).toContain(
      'undecodable update',
    );
  });
});

describe('recordings', () => {
  it('round-trip through JSON Lines and replay up to a time, skipping updates Yjs rejects', () => {
    const doc = new Y.Doc();
    const frames: string[] = [];
    for (const [i, word] of ['a', 'b', 'c'].entries()) {
      const before = Y.encodeStateVector(doc);
      doc.getText('content').insert(i, word);
      const update = Y.encodeStateAsUpdate(doc, before);
      frames.push(
        formatRecordingLine({
          t: 1000 + i,
          room: 'r',
          session: 's',
          frame: encodeFrame({ type: 'sync-update', update }),
        }),
      );
    }
    frames.push(
      formatRecordingLine({
        t: 1001,
        room: 'r',
        session: 's',
        frame: encodeFrame({ type: 'sync-update', update: new Uint8Array([9, 9]) }),
      }),
    );
    const parsed = parseRecording(`${frames.join('\n')}\n\n`);
    expect(parsed).toHaveLength(4);
    const until = replayRecording(parsed, 'r', 1001);
    expect(until.doc.getText('content').toString()).toBe('ab');
    expect(until.notes.join()).toContain('Yjs rejected');
    expect(replayRecording(parsed, 'r').doc.getText('content').toString()).toBe('abc');
    expect(() => parseRecording('{"t":1}', 'f.jsonl')).toThrow('f.jsonl:1: expected');
    expect(parseUntil('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
  });
});

describe('document rendering and arguments', () => {
  it('types untyped roots of a received document by their content', () => {
    const source = new Y.Doc();
    source.getText('text').insert(0, 'plain');
    source.getMap('map').set('k', 1);
    const p = new Y.XmlElement('p');
    p.insert(0, [new Y.XmlText('para')]);
    source.getXmlFragment('xml').push([p]);
    const received = new Y.Doc();
    Y.applyUpdate(received, Y.encodeStateAsUpdate(source));
    expect(docAsJson(received)).toEqual({ map: { k: 1 }, text: 'plain', xml: '<p>para</p>' });
    expect(docAsText(received)).toContain('# xml (Y.XmlFragment)\npara\n');
  });

  it('refuses unknown options and missing values', () => {
    expect(() => parseArgs(['--nope'], {})).toThrow(UsageError);
    expect(() => parseArgs(['--out'], { values: ['out'] })).toThrow('--out needs a value');
    expect(parseArgs(['x', '--out=f', '--tandem'], { values: ['out'], flags: ['tandem'] }).options.get('out')).toBe(
      'f',
    );
  });
});
