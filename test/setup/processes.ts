import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: e2e tests run the real entry points from here. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type ChildEnv = Record<string, string | undefined>;

/**
 * A child's whole environment: PATH and NODE_ENV=test plus the given settings, so
 * nothing leaks in from the runner (CI's DATABASE_URL, jest's NODE_OPTIONS, a stray
 * secret). An `undefined` value leaves the variable unset.
 */
export function childEnv(settings: ChildEnv = {}): NodeJS.ProcessEnv {
  // SHUTDOWN_DRAIN_MS: no load balancer to drain in front of a test's server, so a stop is immediate.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', NODE_ENV: 'test', SHUTDOWN_DRAIN_MS: '0' };
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The non-empty lines a process wrote to one of its streams. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

/** A running child whose output is collected, with bounded waits only. */
export class Child {
  private out = '';
  private err = '';
  private result: Finished | undefined;
  readonly exited: Promise<Finished>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.out += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.err += chunk));
    this.exited = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => {
        this.result = { code, signal, stdout: this.out, stderr: this.err };
        resolve(this.result);
      });
    });
    // A failed wait is reported by whoever awaits; never as an unhandled rejection.
    this.exited.catch(() => undefined);
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get running(): boolean {
    return this.result === undefined;
  }

  /** Waits until `find` returns a value for the output so far, the child exits, or the time is up. */
  async waitFor<T>(find: (stdout: string) => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find(this.out);
      if (found !== undefined) return found;
      if (!this.running) throw new Error(`exited (${this.result?.code}) before ${what}; stderr: ${this.err.trim()}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; stderr: ${this.err.trim()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits for the exit, killing the child if it outlives `timeoutMs`. */
  async finish(timeoutMs = 60_000): Promise<Finished> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`did not exit within ${timeoutMs} ms; stderr: ${this.err.trim()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` and waits (bounded) for the exit. */
  stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<Finished> {
    if (this.running) this.child.kill(signal);
    return this.finish(timeoutMs);
  }

  /** For afterEach/afterAll: no child outlives its test. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.finish(10_000).catch(() => undefined);
  }
}

/** Starts `node <args…>` in `cwd` (the repository root); standard input gets `input`, then EOF. */
export function startNode(args: string[], env: NodeJS.ProcessEnv, input = '', cwd = ROOT): Child {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  return new Child(child);
}

/** Runs `node <args…>` to its exit (killed after `timeoutMs`). */
export function runNode(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<Finished> {
  return startNode(args, env, options.input, options.cwd).finish(options.timeoutMs);
}
