import type { Permission, PermissionRule } from '../identity.js';

const PERMISSIONS: ReadonlySet<string> = new Set(['write', 'read', 'none']);

/** Reads a `docs` claim (`{ "team-a/*": "write", "public/*": "read" }`); null when malformed. */
export function parseDocsClaim(claim: unknown): PermissionRule[] | null {
  if (claim === undefined) return [];
  if (claim === null || typeof claim !== 'object' || Array.isArray(claim)) return null;
  const rules: PermissionRule[] = [];
  for (const [pattern, permission] of Object.entries(claim)) {
    if (typeof permission !== 'string' || !PERMISSIONS.has(permission) || pattern.length === 0) return null;
    rules.push({ pattern, permission: permission as Permission });
  }
  return rules;
}

/**
 * The permission the rules give on `docId`. The most specific matching rule wins (an exact
 * name over any pattern, then the pattern with the most literal characters), so
 * `{ "team-a/*": "write", "team-a/board": "read" }` makes one document read-only.
 */
export function permissionFor(rules: readonly PermissionRule[], docId: string): Permission {
  let best: { specificity: number; permission: Permission } | null = null;
  for (const rule of rules) {
    if (!matches(rule.pattern, docId)) continue;
    const specificity = rule.pattern.includes('*') ? rule.pattern.replaceAll('*', '').length : Number.POSITIVE_INFINITY;
    if (
      best === null ||
      specificity > best.specificity ||
      (specificity === best.specificity && rank(rule.permission) < rank(best.permission))
    ) {
      best = { specificity, permission: rule.permission };
    }
  }
  return best?.permission ?? 'none';
}

/** On equally specific rules the stricter one wins. */
function rank(permission: Permission): number {
  return permission === 'none' ? 0 : permission === 'read' ? 1 : 2;
}

function matches(pattern: string, docId: string): boolean {
  if (!pattern.includes('*')) return pattern === docId;
  const parts = pattern.split('*');
  const first = parts[0] ?? '';
  const last = parts.at(-1) ?? '';
  if (!docId.startsWith(first) || docId.length < first.length + last.length || !docId.endsWith(last)) return false;
  let position = first.length;
  for (const part of parts.slice(1, -1)) {
    const found = docId.indexOf(part, position);
    if (found === -1 || found + part.length > docId.length - last.length) return false;
    position = found + part.length;
  }
  return true;
}
