import type { TandemProvider } from '@tandem/client';
import { useEffect, useState } from 'react';
import { type PresenceUser, presenceUsers } from './presence.js';
import type { EditorUser } from './types.js';

/** Who is in the document, live from the provider's awareness. */
export function usePresence(provider: TandemProvider | null): PresenceUser[] {
  const [users, setUsers] = useState<PresenceUser[]>([]);
  useEffect(() => {
    if (provider === null) {
      setUsers([]);
      return;
    }
    const { awareness } = provider;
    // Caret moves change awareness too; keep the same array unless the people changed.
    const update = () =>
      setUsers((prev) => {
        const next = presenceUsers(awareness.getStates() as Map<number, Record<string, unknown>>, awareness.clientID);
        return samePeople(prev, next) ? prev : next;
      });
    awareness.on('change', update);
    update();
    return () => awareness.off('change', update);
  }, [provider]);
  return users;
}

/** Publishes the local user (name, color) in awareness, and again whenever it changes. */
export function useLocalUser(provider: TandemProvider | null, user: EditorUser): void {
  const { name, color } = user;
  useEffect(() => {
    provider?.awareness.setLocalStateField('user', { name, color });
  }, [provider, name, color]);
}

function samePeople(a: readonly PresenceUser[], b: readonly PresenceUser[]): boolean {
  return (
    a.length === b.length &&
    a.every((u, i) => {
      const v = b[i];
      return v !== undefined && u.clientId === v.clientId && u.name === v.name && u.color === v.color;
    })
  );
}
