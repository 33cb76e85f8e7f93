import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program. It runs argon2 synchronously, one job at a time, at a
 * lower scheduling priority than the event loop (on Linux a nice value is per thread),
 * so that a flood of logins queues up here instead of competing with introspection and
 * refresh for the CPU. Inline rather than a file beside this one: the same source then
 * runs from the build and under the test runner, which loads TypeScript directly.
 */
const PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const argon2 = require(workerData.argon2);
try { require('node:os').setPriority(0, workerData.nice); } catch {}
parentPort.on('message', ({ id, op, a, b, options }) => {
  try {
    const result = op === 'hash' ? argon2.hashSync(a, options) : argon2.verifySync(a, b);
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});
`;

interface Reply {
  readonly id: number;
  readonly result?: string | boolean;
  readonly error?: string;
}

export interface Argon2Options {
  readonly algorithm: number;
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/**
 * One dedicated thread for password hashing. @node-rs/argon2's async calls run on
 * libuv's shared pool (four threads by default), which on a small machine takes every
 * core from the event loop during a login flood; one low-priority thread bounds argon2
 * to at most one core and leaves the event loop in front.
 */
export class Argon2Thread {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(value: string | boolean): void; reject(error: Error): void }>();

  constructor(private readonly nice = 10) {}

  hash(password: string, options: Argon2Options): Promise<string> {
    return this.run({ op: 'hash', a: password, options }) as Promise<string>;
  }

  verify(passwordHash: string, password: string): Promise<boolean> {
    return this.run({ op: 'verify', a: passwordHash, b: password }) as Promise<boolean>;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private run(job: Record<string, unknown>): Promise<string | boolean> {
    const worker = this.started();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Only a thread with work keeps the process alive (a CLI exits once it is done).
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, ...job });
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const argon2 = createRequire(import.meta.url).resolve('@node-rs/argon2');
    const worker = new Worker(PROGRAM, { eval: true, workerData: { argon2, nice: this.nice } });
    worker.unref();
    worker.on('message', (reply: Reply) => this.settle(reply));
    worker.on('error', (error) => this.fail(worker, error));
    worker.on('exit', (code) => this.fail(worker, new Error(`the argon2 thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: Reply): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.error !== undefined) job.reject(new Error(reply.error));
    else job.resolve(reply.result as string | boolean);
  }

  /** A thread that died fails its jobs; the next job starts a new one. */
  private fail(worker: Worker, error: Error): void {
    if (this.worker === worker) this.worker = undefined;
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
  }
}
