import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_SECRETS } from './app.js';
import { childEnv, type Finished, runNode } from './processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Compiles dist/ if a source is newer, as `npm start` would. */
export function buildOnce(): void {
  const result = spawnSync(process.execPath, ['scripts/build-if-needed.js'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0) throw new Error(`build failed: ${result.stderr?.toString()}`);
}

/** The `tessera` command on DATABASE_URL=`url` with the test secrets, killed if it outlives `timeoutMs`. */
export function runTessera(args: string[], url: string, timeoutMs = 60_000): Promise<Finished> {
  return runNode(['bin/tessera.js', ...args], childEnv({ DATABASE_URL: url, ...TEST_SECRETS }), { timeoutMs });
}

/** A real Tessera process (`node dist/src/main.js`) on a random port. */
export class TesseraServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dataDir: string,
    private readonly output: { text: string },
    readonly url: string,
  ) {}

  /**
   * Starts the server with the test secrets and `env`, and waits for its
   * "listening on" log line. Nothing else of the runner's environment leaks in.
   */
  static async start(env: Record<string, string>, timeoutMs = 60_000): Promise<TesseraServer> {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-server-'));
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'info',
        TESSERA_DATA_DIR: dataDir,
        // No load balancer to drain in front of a test's server: stop at once.
        SHUTDOWN_DRAIN_MS: '0',
        ...TEST_SECRETS,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { text: '' };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /listening on (http:\/\/[^\s"]+)/.exec(output.text);
      if (match) return new TesseraServer(child, dataDir, output, match[1]);
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
        throw new Error(`tessera did not start: ${output.text.trim()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Everything the process logged so far. */
  get log(): string {
    return this.output.text;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
