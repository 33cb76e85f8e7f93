// Ends the run with one plain line, "tests: N passed, N failed", that any reader can count.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(`${summaryLine(results)}\n`);
  }
}

export function summaryLine(results) {
  const skipped = results.numPendingTests + results.numTodoTests;
  return `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`;
}
