import { availableParallelism } from 'node:os';
import { ConfigError } from './config.js';

type Env = Readonly<Record<string, string | undefined>>;

const MAX_WORKERS = 64;

/**
 * WORKERS: how many server processes share the port (node:cluster). Unset or 1 is one
 * process, no cluster; `auto` is one per core this process may run on. More than one needs
 * DATABASE_URL: the embedded database belongs to a single process.
 */
export function loadWorkers(env: Env): number {
  const raw = env.WORKERS?.trim();
  if (raw === undefined || raw === '') return 1;
  const workers = raw === 'auto' ? availableParallelism() : /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new ConfigError('WORKERS', `an integer from 1 to ${MAX_WORKERS}, or auto`, raw);
  }
  if (workers > 1 && !env.DATABASE_URL?.trim()) {
    throw new ConfigError('WORKERS', '1 without DATABASE_URL (the embedded database serves a single process)', raw);
  }
  return workers;
}
