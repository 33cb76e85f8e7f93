// Types for the spec: jest loads the reporter itself as plain JavaScript.
export interface RunCounts {
  numTotalTestSuites: number;
  numFailedTestSuites: number;
  numRuntimeErrorTestSuites: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

export interface StallOptions {
  quietMs?: number;
  endMs?: number;
}

export interface StallHooks {
  now?: () => number;
  write?: (line: string) => void;
  exit?: (code: number) => void;
  /** Runs `then` after `ms`, unless the returned function is called first. */
  schedule?: (then: () => void, ms: number) => () => void;
}

export default class StallReporter {
  constructor(globalConfig: unknown, options?: StallOptions, context?: unknown, hooks?: StallHooks);
  onRunStart(results: RunCounts): void;
  onTestFileStart(test: { path: string }): void;
  onTestFileResult(test: { path: string }, result: unknown, results: RunCounts): void;
  onRunComplete(): void;
}
