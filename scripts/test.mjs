// `npm test`: install → system packages → build → lint/format check → every test.
// The last line printed is always the summary: `tests: N passed, N failed[, N skipped]`,
// or, when an earlier step fails, the reason it stopped.
//
// Extra arguments are passed to vitest, e.g. `npm test -- packages/protocol`.
// Node built-ins only: this runs before anything is installed.

import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, install, main, ROOT, runPnpm, step, typecheck } from './lib.mjs';
import { ensureSystemPackages } from './system-deps.mjs';
import { buildRequirements, testRequirements } from './test-requirements.mjs';

const RESULTS_DIR = join(ROOT, '.test-results');
const VITEST_JSON = join(RESULTS_DIR, 'vitest.json');

/** Reads vitest's JSON report; null if it is missing or unreadable. */
function readReport() {
  try {
    return JSON.parse(readFileSync(VITEST_JSON, 'utf8'));
  } catch {
    return null;
  }
}

function summaryLine({ passed, failed, skipped }) {
  return `tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}

main(
  async () => {
    const vitestArgs = process.argv.slice(2);

    // System packages first: installing may need some of them (native addons).
    step('Checking system packages');
    await ensureSystemPackages([...buildRequirements, ...testRequirements]);

    step('Installing dependencies (pnpm install)');
    await install();

    step('Building (turbo run build)');
    await build();

    step('Type-checking sources and tests (turbo run typecheck)');
    await typecheck();

    step('Lint and format check (biome ci)');
    const biomeExit = await runPnpm(
      [
        'biome',
        'ci',
        ...(process.stdout.isTTY ? [] : ['--colors=off']),
        '--max-diagnostics=30',
        '--diagnostic-level=warn',
        '.',
      ],
      { allowFailure: true },
    );
    if (biomeExit !== 0) {
      throw new Error(
        'lint/format check failed (see biome output above). Fix formatting with `pnpm biome check --write .`, ' +
          'then fix the remaining lint errors by hand.',
      );
    }

    step('Running tests (vitest run)');
    rmSync(VITEST_JSON, { force: true });
    mkdirSync(RESULTS_DIR, { recursive: true });
    const vitestExit = await runPnpm(
      ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${VITEST_JSON}`, ...vitestArgs],
      // Plain output in logs (vitest treats any FORCE_COLOR, even 0, as "force").
      { allowFailure: true, env: process.stdout.isTTY || 'FORCE_COLOR' in process.env ? {} : { NO_COLOR: '1' } },
    );

    const report = readReport();
    const counts = {
      passed: report?.numPassedTests ?? 0,
      failed: report?.numFailedTests ?? 0,
      skipped: (report?.numPendingTests ?? 0) + (report?.numTodoTests ?? 0),
    };
    const total = counts.passed + counts.failed;

    const ok = report !== null && vitestExit === 0 && total > 0;
    if (!report) {
      console.error(`\nvitest exited with code ${vitestExit} and wrote no report to ${VITEST_JSON}.`);
    } else if (vitestExit !== 0) {
      const suites = report.numFailedTestSuites ?? 0;
      console.error(
        `\nvitest exited with code ${vitestExit}` +
          (counts.failed === 0 && suites > 0 ? ` (${suites} test file(s) failed to load or run)` : '') +
          '.',
      );
    }
    if (total === 0 && report && (report.numFailedTestSuites ?? 0) === 0) {
      console.error(
        '\nNo tests ran. `npm test` treats that as a failure: every change should be covered by tests ' +
          '(vitest includes packages/*/src, packages/*/test, apps/*/src and apps/*/test, files named *.test.ts).',
      );
    }

    console.log(summaryLine(counts));
    process.exitCode = ok ? 0 : 1;
  },
  { name: 'npm test' },
);
