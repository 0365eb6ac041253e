import type { EditorUser } from '@tandem/editor';
import { useCallback, useState } from 'react';

const KEY = 'tandem:user';
const ADJECTIVES = [
  'Brave',
  'Calm',
  'Clever',
  'Eager',
  'Gentle',
  'Happy',
  'Jolly',
  'Kind',
  'Lucky',
  'Merry',
  'Quick',
  'Sunny',
  'Witty',
  'Bold',
];
const ANIMALS = [
  'Otter',
  'Panda',
  'Fox',
  'Heron',
  'Koala',
  'Lynx',
  'Owl',
  'Puffin',
  'Seal',
  'Tiger',
  'Wren',
  'Yak',
  'Badger',
  'Gecko',
];
/** Colors readable behind dark caret-label text and white initials alike. */
export const USER_COLORS = [
  '#f59e0b',
  '#10b981',
  '#3b82f6',
  '#ef4444',
  '#8b5cf6',
  '#ec4899',
  '#14b8a6',
  '#f97316',
  '#84cc16',
  '#06b6d4',
];

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] ?? (items[0] as T);
}

/** A friendly random identity, e.g. "Sunny Otter" in amber. */
export function randomUser(random: () => number = Math.random): EditorUser {
  return { name: `${pick(ADJECTIVES, random)} ${pick(ANIMALS, random)}`, color: pick(USER_COLORS, random) };
}

/** Parses a stored user; null unless it has a non-empty name and a color. */
export function parseUser(raw: string | null): EditorUser | null {
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as Partial<EditorUser>;
    if (typeof value.name !== 'string' || value.name.trim() === '' || typeof value.color !== 'string') return null;
    return { name: value.name, color: value.color };
  } catch {
    return null;
  }
}

function loadUser(): EditorUser {
  const stored = parseUser(safeGet());
  if (stored !== null) return stored;
  const user = randomUser();
  safeSet(user);
  return user;
}

function safeGet(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

function safeSet(user: EditorUser): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(user));
  } catch {
    // Without storage the identity lasts for this page only.
  }
}

/** The local user, chosen at random on the first visit and remembered in localStorage. */
export function useStoredUser(): [EditorUser, (user: EditorUser) => void] {
  const [user, setUser] = useState(loadUser);
  const update = useCallback((next: EditorUser) => {
    setUser(next);
    if (next.name.trim() !== '') safeSet(next);
  }, []);
  return [user, update];
}
