/**
 * A count from half to one and a half times `average` (at least 1), fixed for a name: work that
 * every document does after so many updates is spread out instead of falling due in every room at
 * once when rooms are written at the same pace (they were opened together, a node restarted), and
 * it still happens about every `average` updates.
 */
export function spreadByName(name: string, average: number): number {
  // FNV-1a over the name's UTF-16 code units: spread, not secret.
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return Math.max(1, Math.floor(average / 2) + ((hash >>> 0) % Math.max(1, average)));
}
