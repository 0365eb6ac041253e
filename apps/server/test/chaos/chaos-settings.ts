/** What a soak runs: which seeds, and for how long each. */
export interface ChaosSettings {
  readonly seeds: readonly number[];
  /** Minutes of fault rounds per seed. */
  readonly minutes: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    chaos: ChaosSettings;
  }
}

/** Parses `seeds=1,2;minutes=10` (what scripts/chaos.mjs passes); defaults: seed 1 for 1 minute. */
export function parseChaosSettings(text: string): ChaosSettings {
  const fields = new Map(
    text
      .split(';')
      .filter((part) => part.includes('='))
      .map((part) => part.split('=', 2).map((s) => s.trim()) as [string, string]),
  );
  const seeds = (fields.get('seeds') ?? '1').split(',').map(Number);
  const minutes = Number(fields.get('minutes') ?? '1');
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`chaos: seeds must be whole numbers, got "${fields.get('seeds')}"`);
  }
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error(`chaos: minutes must be in (0, 1440], got "${minutes}"`);
  return { seeds, minutes };
}
