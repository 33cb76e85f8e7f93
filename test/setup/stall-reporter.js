import { summaryLine } from './summary-reporter.js';

// Two stalls that no test timeout reaches, seen once in CI, where the run then sat silent
// until CI's own limit: a test file that no worker ever answers for, and a pool of workers
// that does not end after the last file (jest prints nothing until they do). A file that
// hangs inside a test or a hook is not one: jest's testTimeout fails it.
//
// - Quiet for `quietMs` with files outstanding: name the files in flight and how long each
//   has run, and fail the run, so the stalled file is known and CI's time is not spent.
// - Every file has reported, and jest has not ended `endMs` later: the results are final,
//   so print the summary line and end with their verdict.
export default class StallReporter {
  #quietMs;
  #endMs;
  #now;
  #write;
  #exit;
  #schedule;
  #total = 0;
  #reported = 0;
  #running = new Map();
  #cancel = () => {};

  constructor(_globalConfig, options = {}, _context, hooks = {}) {
    this.#quietMs = options.quietMs ?? 10 * 60_000;
    this.#endMs = options.endMs ?? 60_000;
    this.#now = hooks.now ?? Date.now;
    this.#write = hooks.write ?? ((line) => process.stderr.write(`${line}\n`));
    this.#exit = hooks.exit ?? ((code) => process.exit(code));
    this.#schedule = hooks.schedule ?? unrefTimeout;
  }

  onRunStart(results) {
    this.#total = results.numTotalTestSuites;
    this.#arm(this.#quietMs, () => this.#stalled());
  }

  onTestFileStart(test) {
    this.#running.set(test.path, this.#now());
  }

  onTestFileResult(test, _result, results) {
    this.#running.delete(test.path);
    this.#reported += 1;
    if (this.#reported < this.#total) this.#arm(this.#quietMs, () => this.#stalled());
    else this.#arm(this.#endMs, () => this.#unended(results));
  }

  onRunComplete() {
    this.#cancel();
  }

  #arm(ms, then) {
    this.#cancel();
    this.#cancel = this.#schedule(then, ms);
  }

  #stalled() {
    const now = this.#now();
    this.#write(`stall: no test file has finished for ${Math.round(this.#quietMs / 1000)} s; ${this.#total - this.#reported} of ${this.#total} outstanding, in flight:`);
    for (const [path, since] of this.#running) this.#write(`  ${path} (running ${Math.round((now - since) / 1000)} s)`);
    if (this.#running.size === 0) this.#write('  none: jest owes these files but has handed none of them to a worker');
    this.#exit(1);
  }

  #unended(results) {
    const failed = results.numFailedTestSuites + results.numFailedTests + results.numRuntimeErrorTestSuites;
    const verdict = failed > 0 ? 1 : 0;
    this.#write(`stall: all ${this.#total} test files reported, but jest's workers had not ended ${Math.round(this.#endMs / 1000)} s later; ending with the results`);
    this.#write(summaryLine(results));
    this.#exit(verdict);
  }
}

// Never the reason the process stays alive: jest's own handles decide that.
function unrefTimeout(then, ms) {
  const timer = setTimeout(then, ms);
  timer.unref();
  return () => clearTimeout(timer);
}
