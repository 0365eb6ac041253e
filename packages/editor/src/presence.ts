import type { EditorUser } from './types.js';

/** One client in the document, from its awareness state. */
export interface PresenceUser extends EditorUser {
  readonly clientId: number;
  /** True for this browser tab's own client. */
  readonly isLocal: boolean;
}

const FALLBACK_COLOR = '#888888';

/** Awareness states → the users to show: those with a `user` field, you first, then by name. */
export function presenceUsers(states: ReadonlyMap<number, Record<string, unknown>>, localId: number): PresenceUser[] {
  const users: PresenceUser[] = [];
  for (const [clientId, state] of states) {
    const user = state.user as Partial<EditorUser> | undefined;
    if (user === undefined || typeof user.name !== 'string') continue;
    const color = typeof user.color === 'string' ? user.color : FALLBACK_COLOR;
    users.push({ clientId, name: user.name, color, isLocal: clientId === localId });
  }
  return users.sort((a, b) => Number(b.isLocal) - Number(a.isLocal) || a.name.localeCompare(b.name));
}

/** Up to two initials: "Ada Lovelace" → "AL", "ada" → "A". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return (
    letters
      .map((w) => [...(w ?? '')][0] ?? '')
      .join('')
      .toUpperCase() || '?'
  );
}
