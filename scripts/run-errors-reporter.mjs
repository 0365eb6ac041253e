// A vitest reporter for `npm test` (scripts/test.mjs): writes what made a run fail besides a
// failed test — unhandled errors and rejections, and why the run ended — beside the JSON report,
// in `<report>.errors.json` (runErrorsFile). vitest's JSON report has neither, so without this a run whose every
// test passed but whose exit code is 1 says nothing in the last lines of a CI log about why.
// Node built-ins only.

import { writeFileSync } from 'node:fs';

/** The first `lines` lines of `text`. */
function head(text, lines) {
  return String(text ?? '')
    .split('\n')
    .slice(0, lines)
    .join('\n');
}

/** What one unhandled error says: its name, message, first stack lines and the test file it came from. */
function describeError(error) {
  const value = error ?? {};
  return {
    name: String(value.name ?? value.type ?? 'Error'),
    message: head(value.message ?? value, 6),
    stack: head(value.stack ?? value.stackStr ?? '', 12),
    testFile: value.VITEST_TEST_PATH ?? value.testPath ?? null,
    test: value.VITEST_TEST_NAME ?? null,
  };
}

/** Where the reporter writes for the JSON report at `reportFile`. */
export function runErrorsFile(reportFile) {
  return `${reportFile}.errors.json`;
}

export default class RunErrorsReporter {
  onInit(vitest) {
    const { outputFile } = vitest.config;
    const report = typeof outputFile === 'string' ? outputFile : outputFile?.json;
    this.file = report ? runErrorsFile(report) : null;
  }

  onTestRunEnd(_testModules, unhandledErrors, reason) {
    const { file } = this;
    if (!file) return;
    writeFileSync(file, JSON.stringify({ reason, unhandledErrors: unhandledErrors.map(describeError) }, null, 2));
  }
}
