import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, ROOT, runNode } from './processes.js';
import StallReporter, { type RunCounts } from './stall-reporter.js';

const counts = (overrides: Partial<RunCounts> = {}): RunCounts => ({
  numTotalTestSuites: 3,
  numFailedTestSuites: 0,
  numRuntimeErrorTestSuites: 0,
  numPassedTests: 7,
  numFailedTests: 0,
  numPendingTests: 0,
  numTodoTests: 0,
  ...overrides,
});

// Driven as jest drives it, on a hand-moved clock: `pass(ms)` fires what has come due.
function reporter() {
  let now = 0;
  let timer: { due: number; then: () => void } | undefined;
  const lines: string[] = [];
  const exits: number[] = [];
  const stall = new StallReporter({}, { quietMs: 600_000, endMs: 60_000 }, undefined, {
    now: () => now,
    write: (line) => lines.push(line),
    exit: (code) => exits.push(code),
    schedule: (then, ms) => {
      const armed = { due: now + ms, then };
      timer = armed;
      return () => {
        if (timer === armed) timer = undefined;
      };
    },
  });
  const pass = (ms: number) => {
    now += ms;
    if (timer && timer.due <= now) {
      const { then } = timer;
      timer = undefined;
      then();
    }
  };
  return { stall, lines, exits, pass };
}

describe('StallReporter', () => {
  it('names the files in flight and fails the run when none finishes for ten minutes', () => {
    const { stall, lines, exits, pass } = reporter();
    stall.onRunStart(counts());
    stall.onTestFileStart({ path: 'a.spec.ts' });
    pass(1_000);
    stall.onTestFileStart({ path: 'b.spec.ts' });
    pass(4_000);
    stall.onTestFileResult({ path: 'a.spec.ts' }, {}, counts());

    pass(599_000);
    expect(exits).toEqual([]);
    pass(1_000);
    expect(exits).toEqual([1]);
    expect(lines).toEqual([
      'stall: no test file has finished for 600 s; 2 of 3 outstanding, in flight:',
      '  b.spec.ts (running 604 s)',
    ]);
  });

  it('says so when the outstanding files were never handed to a worker', () => {
    const { stall, lines, exits, pass } = reporter();
    stall.onRunStart(counts());
    pass(600_000);

    expect(exits).toEqual([1]);
    expect(lines[1]).toBe('  none: jest owes these files but has handed none of them to a worker');
  });

  it('waits as long as files keep finishing', () => {
    const { stall, exits, pass } = reporter();
    stall.onRunStart(counts({ numTotalTestSuites: 4 }));
    for (const path of ['a', 'b', 'c']) {
      stall.onTestFileStart({ path });
      pass(500_000);
      stall.onTestFileResult({ path }, {}, counts());
    }
    pass(599_000);
    expect(exits).toEqual([]);
  });

  it('ends with the verdict when every file has reported and jest has not ended a minute later', () => {
    const passed = reporter();
    passed.stall.onRunStart(counts({ numTotalTestSuites: 1 }));
    passed.stall.onTestFileResult({ path: 'a' }, {}, counts({ numPassedTests: 12, numPendingTests: 2 }));
    passed.pass(59_000);
    expect(passed.exits).toEqual([]);
    passed.pass(1_000);
    expect(passed.exits).toEqual([0]);
    expect(passed.lines).toEqual([
      "stall: all 1 test files reported, but jest's workers had not ended 60 s later; ending with the results",
      'tests: 12 passed, 0 failed, 2 skipped',
    ]);

    const failed = reporter();
    failed.stall.onRunStart(counts({ numTotalTestSuites: 1 }));
    failed.stall.onTestFileResult({ path: 'a' }, {}, counts({ numRuntimeErrorTestSuites: 1, numPassedTests: 0 }));
    failed.pass(60_000);
    expect(failed.exits).toEqual([1]);
  });

  it('does nothing once jest completes the run', () => {
    const { stall, exits, lines, pass } = reporter();
    stall.onRunStart(counts({ numTotalTestSuites: 1 }));
    stall.onTestFileResult({ path: 'a' }, {}, counts());
    stall.onRunComplete();
    pass(3_600_000);
    expect(exits).toEqual([]);
    expect(lines).toEqual([]);
  });
});

describe('StallReporter in a real jest run', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stall-reporter-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends a run whose worker stops answering, naming the file it was running', async () => {
    // A stopped worker is a stall no testTimeout reaches: its own timers cannot fire.
    const pidFile = join(dir, 'worker.pid');
    writeFileSync(join(dir, 'stopped.spec.js'), `test('stops its worker', () => {
  require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
  process.kill(process.pid, 'SIGSTOP');
});\n`);
    writeFileSync(join(dir, 'fine.spec.js'), `test('passes', () => expect(1).toBe(1));\n`);
    const config = {
      rootDir: dir,
      testMatch: ['<rootDir>/*.spec.js'],
      transform: {},
      maxWorkers: 2,
      cacheDirectory: join(dir, 'cache'),
      reporters: [[join(ROOT, 'test/setup/stall-reporter.js'), { quietMs: 3_000 }]],
    };
    try {
      const run = await runNode([join(ROOT, 'node_modules/jest/bin/jest.js'), '--config', JSON.stringify(config)], childEnv(), { timeoutMs: 60_000 });

      expect(run.code).toBe(1);
      expect(run.stderr).toContain('stall: no test file has finished for 3 s; 1 of 2 outstanding, in flight:');
      expect(run.stderr).toMatch(/^ {2}\S*stopped\.spec\.js \(running \d+ s\)$/m);
    } finally {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (pid > 0) process.kill(pid, 'SIGKILL');
    }
  }, 90_000);
});
