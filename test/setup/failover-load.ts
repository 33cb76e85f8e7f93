import type { DataSource } from 'typeorm';
import type { HttpResult } from '../factories/index.js';
import { eventually, expectNoServerError } from './faults.js';
import { PgCluster } from './pg-cluster.js';

/** refreshes each chain must see answered 200 after the promotion before the load stops */
const AFTER_PROMOTION = 5;
const SWITCH_MS = 60_000;

/**
 * A streaming replica of `primary` that every commit waits for (synchronous_standby_names),
 * so a rotation answered 200 is on both servers: "acknowledged" means replicated, and none
 * may be lost. With an asynchronous replica the last commits before a crash can be lost
 * by design, whatever the application does.
 */
export async function synchronousStandbyOf(primary: PgCluster): Promise<PgCluster> {
  const replica = await PgCluster.standbyOf(primary);
  // After the base backup, so the replica, once promoted, waits for no standby of its own.
  const admin = await primary.client();
  try {
    await admin.query(`ALTER SYSTEM SET synchronous_standby_names = '*'`);
    await admin.query('SELECT pg_reload_conf()');
    await eventually('a synchronous replica', async () => {
      const { rows } = await admin.query<{ sync_state: string }>('SELECT sync_state FROM pg_stat_replication');
      return rows[0]?.sync_state === 'sync' ? true : undefined;
    });
  } finally {
    await admin.end();
  }
  return replica;
}

/** One client's refresh token, refreshed again and again through `refresh` (one process). */
export interface Chain {
  readonly refresh: (refreshToken: string) => Promise<HttpResult>;
  held: string;
  readonly received: string[];
  readonly statuses: number[];
  /** 200s since the promotion */
  after: number;
}

export function refreshChain(refresh: (refreshToken: string) => Promise<HttpResult>, first: string): Chain {
  return { refresh, held: first, received: [], statuses: [], after: 0 };
}

async function refreshUntil(chain: Chain, done: () => boolean, promoted: () => boolean): Promise<void> {
  while (!done()) {
    const result = await chain.refresh(chain.held);
    chain.statuses.push(result.status);
    expectNoServerError(result);
    if (result.status !== 200) {
      // Paces the retries while no server takes writes; nothing is asserted on time.
      await new Promise((resolve) => setTimeout(resolve, 25));
      continue;
    }
    chain.held = String(result.body.refresh_token);
    chain.received.push(chain.held);
    if (promoted()) chain.after++;
  }
}

/**
 * Under a refresh load on every chain: stops `primary`, waits for a 503 (no server takes
 * writes), promotes `replica`, and returns once every chain had its refreshes answered
 * 200 by the promoted replica a few times.
 */
export async function promoteUnderLoad(primary: PgCluster, replica: PgCluster, chains: Chain[]): Promise<void> {
  let promoted = false;
  let stopped = false;
  const load = Promise.all(chains.map((chain) => refreshUntil(chain, () => stopped, () => promoted)));
  try {
    await eventually('refreshes on the first primary', async () => (chains.every((chain) => chain.received.length >= 3) ? true : undefined));
    primary.stopServer('fast');
    await eventually('503s while no server takes writes', async () => (chains.some((chain) => chain.statuses.includes(503)) ? true : undefined));
    replica.promote();
    promoted = true;
    await eventually('refreshes on the promoted replica', async () => (chains.every((chain) => chain.after >= AFTER_PROMOTION) ? true : undefined), SWITCH_MS);
  } finally {
    stopped = true;
    await load;
  }
}

/**
 * Only 200s and 503s (some), never one token twice, and every token answered 200 is a row
 * of the database `dataSource` reaches now, the new primary: no acknowledged rotation lost.
 */
export async function expectNoRotationLost(chains: Chain[], dataSource: DataSource, hash: (refreshToken: string) => Buffer): Promise<void> {
  const statuses = chains.flatMap((chain) => chain.statuses);
  expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
  expect(statuses).toContain(503);
  const received = chains.flatMap((chain) => chain.received);
  expect(new Set(received).size).toBe(received.length);
  const hashes = received.map(hash);
  const [row] = await dataSource.query<Array<{ found: number }>>('SELECT count(*)::int AS found FROM refresh_tokens WHERE hash = ANY($1)', [hashes]);
  expect(row.found).toBe(received.length);
}
