import { waitFor } from '@tandem/test-utils';
import { describe, expect, it } from 'vitest';
import { startPresenceLeases } from './presence-leases.js';

describe('presence leases (CLUSTER-6)', () => {
  it('hands back ids not renewed within the timeout, once', () => {
    const leases = startPresenceLeases(1_000, { renewLeases: () => {} });
    try {
      leases.renew(1, 0);
      leases.renew(2, 0);
      leases.renew(2, 900);
      leases.renew(3, 0);
      leases.forget(3);
      expect(leases.takeExpired(999)).toEqual([]);
      expect(leases.takeExpired(1_000)).toEqual([1]);
      expect(leases.takeExpired(1_900)).toEqual([2]);
      expect(leases.takeExpired(5_000)).toEqual([]);
    } finally {
      leases.stop();
    }
  });

  it('ticks every third of the timeout until stopped', async () => {
    let ticks = 0;
    const leases = startPresenceLeases(300, { renewLeases: () => ticks++ });
    await waitFor(() => ticks >= 2, { what: 'two ticks', timeoutMs: 2_000 });
    leases.stop();
  });
});
