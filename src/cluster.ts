import cluster, { type Worker } from 'node:cluster';
import type { LoggerService } from '@nestjs/common';

// A worker that dies this soon after it was forked is failing to boot, not crashing:
// replacing it would only loop, so the cluster stops. A later death is a crash: replaced.
const BOOT_GRACE_MS = 30_000;

/**
 * The primary of cluster mode (WORKERS > 1): forks the server processes, which share the
 * listening socket (node:cluster hands each new connection to the next worker in turn),
 * replaces one that crashes, and on SIGTERM or SIGINT has every worker run the
 * single-process shutdown (in-flight requests finish) before it exits itself.
 */
export function superviseWorkers(workers: number, logger: LoggerService, describe: string): void {
  const alive = new Map<Worker, number>();
  let listening = 0;
  cluster.on('listening', (_worker, address) => {
    if (++listening === workers) logger.log(`listening on http://${address.address}:${address.port} (${workers} workers, ${describe})`);
  });
  let exitCode: number | undefined;
  const fork = () => alive.set(cluster.fork(), Date.now());
  const stop = (code: number) => {
    if (exitCode !== undefined) return;
    exitCode = code;
    if (alive.size === 0) process.exit(code);
    for (const worker of alive.keys()) worker.process.kill('SIGTERM');
  };
  cluster.on('exit', (worker, code, signal) => {
    const forkedAt = alive.get(worker) ?? 0;
    alive.delete(worker);
    if (exitCode !== undefined) {
      if (alive.size === 0) process.exit(exitCode);
      return;
    }
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (Date.now() - forkedAt < BOOT_GRACE_MS) {
      logger.error(`worker ${worker.process.pid} exited while booting (${how}): stopping`);
      stop(1);
    } else {
      logger.warn(`worker ${worker.process.pid} exited (${how}): starting another`);
      fork();
    }
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal}: stopping ${alive.size} workers`);
      stop(0);
    });
  }
  for (let i = 0; i < workers; i++) fork();
}
