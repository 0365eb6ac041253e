import { describe, expect, it } from 'vitest';
import { CloseCode } from './close-codes.js';
import { TANDEM_SUBPROTOCOL } from './message-types.js';
import { negotiateSubprotocol } from './negotiate.js';

describe('negotiateSubprotocol', () => {
  it('NEG-1: tandem.v1 is the extension subprotocol this build speaks', () => {
    expect(TANDEM_SUBPROTOCOL).toBe('tandem.v1');
  });

  it.each([
    [['tandem.v1']],
    [['chat', 'tandem.v1']],
    [['tandem.v2', 'tandem.v1']],
    [['tandem.v1', 'tandem.v2']],
    [['tandem.v0', 'other', 'tandem.v1', 'tandem.v9']],
  ])('NEG-1: an offer of %j selects tandem.v1, wherever it appears', (offered) => {
    expect(negotiateSubprotocol(offered)).toEqual({ kind: 'tandem', selected: 'tandem.v1' });
  });

  it('NEG-1: accepts the Set that ws hands to handleProtocols', () => {
    expect(negotiateSubprotocol(new Set(['x', 'tandem.v1']))).toEqual({ kind: 'tandem', selected: 'tandem.v1' });
  });

  it.each([
    [[]],
    [['chat']],
    [['y-websocket', 'json']],
    [['tandem']], // no dot: not a tandem version
    [['Tandem.v1']], // subprotocol tokens are compared exactly
    [['x-tandem.v1']],
  ])('NEG-2: an offer of %j is plain y-websocket, with no subprotocol selected', (offered) => {
    expect(negotiateSubprotocol(offered)).toEqual({ kind: 'plain' });
  });

  it.each([
    [['tandem.v2'], 'tandem.v2'],
    [['tandem.v3', 'tandem.v2'], 'tandem.v3'],
    [['chat', 'tandem.v0'], 'tandem.v0'],
    [['tandem.'], 'tandem.'],
    [['tandem.V1', 'tandem.v2'], 'tandem.V1'],
  ])(
    'NEG-3: an offer of %j is an unsupported version; the first tandem.* offer (%s) is selected',
    (offered, selected) => {
      const result = negotiateSubprotocol(offered);
      expect(result).toEqual({ kind: 'unsupported', selected });
      // The selection must be one of the offered values, or the client fails the handshake
      // before it can read the 4400 close.
      if (result.kind === 'unsupported') expect(offered).toContain(result.selected);
    },
  );

  it('NEG-3: an unsupported version is closed with 4400', () => {
    expect(CloseCode.unsupportedProtocolVersion).toBe(4400);
  });

  it('NEG-1: reads the offer lazily and stops at tandem.v1', () => {
    const seen: string[] = [];
    function* offer(): Generator<string> {
      for (const protocol of ['a', 'tandem.v1', 'b']) {
        seen.push(protocol);
        yield protocol;
      }
    }
    expect(negotiateSubprotocol(offer()).kind).toBe('tandem');
    expect(seen).toEqual(['a', 'tandem.v1']);
  });
});
