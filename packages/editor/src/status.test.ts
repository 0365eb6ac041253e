import { describe, expect, it } from 'vitest';
import { deriveStatus, type StatusInput } from './status.js';

const base: StatusInput = { connection: 'connecting', synced: false, unsyncedChanges: 0, error: null, wasDown: false };

describe('deriveStatus', () => {
  it('reads a first connection attempt as connecting', () => {
    expect(deriveStatus(base)).toMatchObject({ status: 'connecting', label: 'Connecting…' });
  });

  it('reads retries after a drop as offline', () => {
    expect(deriveStatus({ ...base, wasDown: true }).status).toBe('offline');
    expect(deriveStatus({ ...base, connection: 'disconnected' }).status).toBe('offline');
  });

  it('is online until synced, then saved, and saving while changes are unacknowledged', () => {
    expect(deriveStatus({ ...base, connection: 'connected' }).label).toBe('Online');
    expect(deriveStatus({ ...base, connection: 'connected', synced: true }).label).toBe('Saved');
    expect(deriveStatus({ ...base, connection: 'connected', synced: true, unsyncedChanges: 2 }).label).toBe('Saving…');
  });

  it('stays offline (not saving) while disconnected with unsaved edits', () => {
    expect(deriveStatus({ ...base, connection: 'disconnected', unsyncedChanges: 3 })).toMatchObject({
      status: 'offline',
      unsyncedChanges: 3,
    });
  });

  it('shows the error reason and code', () => {
    const error = { code: 4403, reason: 'forbidden: not a member' };
    expect(deriveStatus({ ...base, connection: 'failed', error })).toMatchObject({
      status: 'error',
      label: 'Error: forbidden: not a member (4403)',
    });
    expect(deriveStatus({ ...base, error: { code: 4401, reason: 'authentication failed: ' } }).label).toBe(
      'Error: authentication failed (4401)',
    );
    expect(deriveStatus({ ...base, error: { code: 4403, reason: '' } }).label).toBe('Error: forbidden (4403)');
  });
});
