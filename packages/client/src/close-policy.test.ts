import { CLOSE_CODE_TABLE, CloseCode } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import { closeAction, refusalWords } from './close-policy.js';

const TABLE_CODES = Object.keys(CLOSE_CODE_TABLE).map(Number);

describe('closeAction', () => {
  it('CLIENT-2: a connection stops after 4401, 4403, 4404 and 4400, and after nothing else in the table', () => {
    const stops = TABLE_CODES.filter((code) => closeAction(code, 'connection') === 'stop');
    expect(stops).toEqual([4400, 4401, 4403, 4404]);
  });

  it('CLIENT-12: a multiplexed document also stops after 1008', () => {
    const stops = TABLE_CODES.filter((code) => closeAction(code, 'document') === 'stop');
    expect(stops).toEqual([1008, 4400, 4401, 4403, 4404]);
  });

  it('CLIENT-1: 1012 and 1001 wait the restart delay, in both scopes', () => {
    for (const scope of ['connection', 'document'] as const) {
      const restarts = TABLE_CODES.filter((code) => closeAction(code, scope) === 'restart');
      expect(restarts, scope).toEqual([1001, 1012]);
    }
  });

  it('CLIENT-1: every other code backs off, 1000 and codes outside the table included', () => {
    for (const code of [1000, 1007, 1009, 1011, 1013, 4409, 1006, 1005, 3000, 4999]) {
      expect(closeAction(code, 'connection'), String(code)).toBe('backoff');
      expect(closeAction(code, 'document'), String(code)).toBe('backoff');
    }
    expect(closeAction(CloseCode.policyViolation, 'connection')).toBe('backoff');
  });

  it('CLOSE-1: follows the reconnect hint of every table code but the two documented exceptions', () => {
    const acted = { no: 'stop', 'soon-elsewhere': 'restart', yes: 'backoff', backoff: 'backoff' };
    for (const code of TABLE_CODES) {
      if (code === CloseCode.normal) continue;
      const hint = CLOSE_CODE_TABLE[code as keyof typeof CLOSE_CODE_TABLE].reconnect;
      expect(closeAction(code, 'connection'), String(code)).toBe(acted[hint]);
    }
  });
});

describe('refusalWords', () => {
  it('says the common refusals in the client’s words, which prefix the failed status reason', () => {
    expect(refusalWords(CloseCode.unauthenticated)).toBe('authentication failed');
    expect(refusalWords(CloseCode.forbidden)).toBe('forbidden');
    expect(refusalWords(CloseCode.documentDeleted)).toBe('the document was deleted');
    expect(refusalWords(CloseCode.unsupportedProtocolVersion)).toBe('the server does not speak this protocol version');
  });

  it('falls back on the table’s meaning, then on the bare code', () => {
    expect(refusalWords(CloseCode.policyViolation)).toBe(CLOSE_CODE_TABLE[1008].meaning);
    expect(refusalWords(3001)).toBe('closed with 3001');
  });
});
