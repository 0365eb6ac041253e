// `npm test`: install → system packages → build → lint/format check → every test → the
// non-browser suites again on Node 24 (scripts/node-matrix.mjs).
// The last line printed is always the summary: `tests: N passed, N failed[, N skipped]`
// (both runs together), or, when an earlier step fails, the reason it stopped.
//
// Extra arguments are passed to vitest, e.g. `npm test -- packages/protocol`; the Node 24
// run is then left out (`npm run test:node -- 24 packages/protocol` runs it by hand).
// Node built-ins only: this runs before anything is installed.

import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, install, main, plainOutputEnv, ROOT, runPnpm, step, typecheck } from './lib.mjs';
import { MATRIX_SUITES, prepareNode, REPORTERS, runSuites } from './node-matrix.mjs';
import { runErrorsFile } from './run-errors-reporter.mjs';
import { ensureSystemPackages } from './system-deps.mjs';
import { buildRequirements, testRequirements } from './test-requirements.mjs';

const RESULTS_DIR = join(ROOT, '.test-results');
/** The other Node that CI runs the non-browser suites on, besides the machine's. */
const MATRIX_NODE = '24';

/** Reads vitest's JSON report; null if it is missing or unreadable. */
function readReport(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * One vitest run: `start(reportFile)` resolves with vitest's exit code. Returns its counts and
 * whether it passed, having said why on stderr when it did not.
 */
async function vitestRun(name, start) {
  const file = join(RESULTS_DIR, `vitest-${name}.json`);
  const errorsFile = runErrorsFile(file);
  rmSync(file, { force: true });
  rmSync(errorsFile, { force: true });
  mkdirSync(RESULTS_DIR, { recursive: true });
  const exit = await start(file);
  const report = readReport(file);
  const counts = {
    passed: report?.numPassedTests ?? 0,
    failed: report?.numFailedTests ?? 0,
    skipped: (report?.numPendingTests ?? 0) + (report?.numTodoTests ?? 0),
  };
  const total = counts.passed + counts.failed;
  if (!report) {
    console.error(`\nvitest (${name}) exited with code ${exit} and wrote no report to ${file}.`);
  } else if (exit !== 0) {
    const suites = report.numFailedTestSuites ?? 0;
    console.error(
      `\nvitest (${name}) exited with code ${exit}` +
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
  const ok = report !== null && exit === 0 && total > 0;
  return { name, counts, ok, why: ok ? [] : whyNotOk(name, exit, counts, readReport(errorsFile)) };
}

/**
 * Lines saying why a run that did not pass failed, for the end of the log (a CI log often shows
 * only its last lines): the failed tests' count, and each unhandled error with where it came from.
 */
function whyNotOk(name, exit, counts, runErrors) {
  const lines = [`vitest (${name}) exited with code ${exit}; ${counts.failed} test(s) failed.`];
  if (runErrors?.reason && runErrors.reason !== 'passed' && runErrors.reason !== 'failed')
    lines.push(`  the run ended: ${runErrors.reason}`);
  for (const error of runErrors?.unhandledErrors ?? []) {
    const where = [error.testFile, error.test].filter(Boolean).join(' > ');
    lines.push(`  unhandled ${error.name}${where ? ` in ${where}` : ''}: ${error.message}`);
    if (error.stack) lines.push(...error.stack.split('\n').map((line) => `    ${line}`));
  }
  return lines;
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
    const runs = [
      await vitestRun(`node${process.versions.node.split('.')[0]}`, (file) =>
        runPnpm(['vitest', 'run', ...REPORTERS, `--outputFile.json=${file}`, ...vitestArgs], {
          allowFailure: true,
          env: plainOutputEnv(),
        }),
      ),
    ];

    if (vitestArgs.length === 0 && process.versions.node.split('.')[0] !== MATRIX_NODE) {
      step(`Node ${MATRIX_NODE}: ${MATRIX_SUITES.join(', ')} (scripts/node-matrix.mjs)`);
      const node = await prepareNode(MATRIX_NODE);
      runs.push(await vitestRun(`node${MATRIX_NODE}`, (file) => runSuites(node, MATRIX_SUITES, file)));
    }

    for (const run of runs) for (const line of run.why) console.error(line);
    for (const run of runs) console.log(`${run.name} ${summaryLine(run.counts)}`);
    const total = { passed: 0, failed: 0, skipped: 0 };
    for (const { counts } of runs) for (const key of Object.keys(total)) total[key] += counts[key];
    console.log(summaryLine(total));
    process.exitCode = runs.every((run) => run.ok) ? 0 : 1;
  },
  { name: 'npm test' },
);
