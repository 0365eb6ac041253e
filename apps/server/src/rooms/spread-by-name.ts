/** FNV-1a over the name's UTF-16 code units: spread, not secret. */
function nameHash(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * A count from half to one and a half times `average` (at least 1), fixed for a name: work that
 * every document does after so many updates is spread out instead of falling due in every room at
 * once when rooms are written at the same pace (they were opened together, a node restarted), and
 * it still happens about every `average` updates.
 */
export function spreadByName(name: string, average: number): number {
  return Math.max(1, Math.floor(average / 2) + (nameHash(name) % Math.max(1, average)));
}

/** Like {@link spreadByName}, but never below `least`: from `least` to just under twice it. */
export function spreadAboveByName(name: string, least: number): number {
  return Math.max(1, least + (nameHash(name) % Math.max(1, least)));
}
