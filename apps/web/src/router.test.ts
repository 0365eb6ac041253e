import { describe, expect, it } from 'vitest';
import { documentPath, parseRoute } from './router.js';

describe('parseRoute', () => {
  it('maps / to the list and /d/<id> to a document', () => {
    expect(parseRoute('/')).toEqual({ page: 'list' });
    expect(parseRoute('/d/abc_123')).toEqual({ page: 'doc', id: 'abc_123' });
    expect(parseRoute('/d/abc/')).toEqual({ page: 'doc', id: 'abc' });
  });

  it('round-trips ids that need escaping and rejects other paths', () => {
    expect(parseRoute(documentPath('a b/c'))).toEqual({ page: 'doc', id: 'a b/c' });
    expect(parseRoute('/d/%E0%A4%A')).toEqual({ page: 'not-found' });
    expect(parseRoute('/settings')).toEqual({ page: 'not-found' });
  });
});
