import type { ServerProcess } from '@tandem/test-utils';

/**
 * Awaits `waiting`; when it rejects, first prints what `context` gathers (the processes' last log
 * lines, their readiness), so a failure that shows only under load can be read from the test output.
 */
export async function printingOnFailure<T>(
  waiting: Promise<T>,
  context: () => Promise<readonly string[]> | readonly string[],
): Promise<T> {
  try {
    return await waiting;
  } catch (err) {
    const lines = await Promise.resolve(context()).catch((contextErr: unknown) => [String(contextErr)]);
    console.error(lines.join('\n'));
    throw err;
  }
}

/** The last dependency and fan-out lines of each server (session and room lines left out). */
export function dependencyLines(servers: readonly ServerProcess[], count = 40): string[] {
  return servers.flatMap((server) =>
    server.process.lines.filter((line) => /"dependency"|fan-out/.test(line)).slice(-count),
  );
}
