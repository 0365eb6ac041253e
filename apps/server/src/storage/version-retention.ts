import type { VersionStore, VersionTime } from './version-store.js';

/**
 * Which automatic versions are kept (VER-8). Named and implicit versions are always kept. Automatic
 * ones younger than `keepAllMs` are all kept; up to `hourlyMs` old, the newest of each clock hour;
 * older, the newest of each UTC day. Storage then grows by about one version per day.
 */
export interface RetentionPolicy {
  readonly keepAllMs: number;
  readonly hourlyMs: number;
}

/** One day of every automatic version, a month of hourly ones (the documented defaults). */
export const DEFAULT_RETENTION: RetentionPolicy = { keepAllMs: 86_400_000, hourlyMs: 30 * 86_400_000 };

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The ids of the automatic versions the policy drops at `now` (a timeline oldest first). */
export function versionsToThin(timeline: readonly VersionTime[], now: number, policy: RetentionPolicy): string[] {
  const newestOfBucket = new Map<string, string>();
  const candidates: { id: string; bucket: string }[] = [];
  for (const version of timeline) {
    if (version.kind !== 'auto') continue;
    const age = now - version.createdAt;
    if (age < policy.keepAllMs) continue;
    const bucket =
      age < policy.hourlyMs
        ? `h${Math.floor(version.createdAt / HOUR_MS)}`
        : `d${Math.floor(version.createdAt / DAY_MS)}`;
    // Oldest first: the last one seen in a bucket is its newest.
    newestOfBucket.set(bucket, version.id);
    candidates.push({ id: version.id, bucket });
  }
  return candidates.filter((c) => newestOfBucket.get(c.bucket) !== c.id).map((c) => c.id);
}

/** Applies the policy to one document's versions; resolves how many were removed. */
export async function thinVersions(
  store: Pick<VersionStore, 'versionTimeline' | 'deleteVersions'>,
  docId: string,
  now: number,
  policy: RetentionPolicy,
): Promise<number> {
  const drop = versionsToThin(await store.versionTimeline(docId), now, policy);
  return drop.length === 0 ? 0 : store.deleteVersions(docId, drop);
}
