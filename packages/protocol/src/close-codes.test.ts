import { describe, expect, it } from 'vitest';
import { CLOSE_CODE_TABLE, CloseCode, isCloseCode } from './close-codes.js';
import { NoticeCode } from './notice-codes.js';

/**
 * The close-code table in ARCHITECTURE.md, copied here so a drift fails a test, plus Tandem's
 * additions: 4404, the document was deleted (so clients stop instead of recreating it), and 4409,
 * a newer session of the same client took over the client id (YJS-5).
 */
const ARCHITECTURE_CODES = [1000, 1001, 1007, 1008, 1009, 1011, 1012, 1013, 4400, 4401, 4403, 4404, 4409] as const;

describe('close codes', () => {
  it('CLOSE-1: every close code in ARCHITECTURE.md is in the table, and nothing else', () => {
    const tableCodes = Object.keys(CLOSE_CODE_TABLE).map(Number);
    expect(tableCodes.sort((a, b) => a - b)).toEqual([...ARCHITECTURE_CODES]);
    expect(Object.values(CloseCode).sort((a, b) => a - b)).toEqual([...ARCHITECTURE_CODES]);
  });

  it('CLOSE-1: the named codes have the documented numbers', () => {
    expect(CloseCode).toEqual({
      normal: 1000,
      goingAway: 1001,
      undecodable: 1007,
      policyViolation: 1008,
      tooLarge: 1009,
      internalError: 1011,
      serviceRestart: 1012,
      tryAgainLater: 1013,
      unsupportedProtocolVersion: 4400,
      unauthenticated: 4401,
      forbidden: 4403,
      documentDeleted: 4404,
      clientIdTakenOver: 4409,
    });
  });

  it('CLOSE-1: every code has a meaning and a reconnect hint', () => {
    for (const code of ARCHITECTURE_CODES) {
      const entry = CLOSE_CODE_TABLE[code];
      expect(entry.meaning.length, String(code)).toBeGreaterThan(0);
      expect(['yes', 'soon-elsewhere', 'backoff', 'no']).toContain(entry.reconnect);
    }
  });

  it('CLOSE-1: clients do not reconnect after a version, authentication or permission refusal', () => {
    expect(CLOSE_CODE_TABLE[4400].reconnect).toBe('no');
    expect(CLOSE_CODE_TABLE[4401].reconnect).toBe('no');
    expect(CLOSE_CODE_TABLE[4403].reconnect).toBe('no');
    expect(CLOSE_CODE_TABLE[4404].reconnect).toBe('no');
    expect(CLOSE_CODE_TABLE[1012].reconnect).toBe('soon-elsewhere');
  });

  it('CLOSE-1: isCloseCode recognises exactly the table', () => {
    for (const code of ARCHITECTURE_CODES) expect(isCloseCode(code)).toBe(true);
    for (const code of [0, 999, 1002, 1005, 1006, 1010, 1015, 3000, 4000, 4405, 4408, 4410, Number.NaN]) {
      expect(isCloseCode(code), String(code)).toBe(false);
    }
  });

  it('CLOSE-2: every code may be sent in a close frame (RFC 6455 §7.4)', () => {
    for (const code of ARCHITECTURE_CODES) {
      const sendable =
        (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
      expect(sendable, String(code)).toBe(true);
    }
  });

  it('EXT-4: error notice codes (>= 1000) are close codes; informational ones are below 1000', () => {
    for (const [name, code] of Object.entries(NoticeCode)) {
      if (code >= 1000) expect(isCloseCode(code), name).toBe(true);
      else expect(code, name).toBeGreaterThan(0);
    }
  });
});
