import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { execute } from '../sql.js';

// Taken when free or expired; a concurrent taker of a new name waits on the first's
// insert and then finds it unexpired, so at most one statement ever answers a row.
const TAKE = `
  INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
  ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
  WHERE leases.expires_at <= now()
  RETURNING holder`;
const RENEW = `UPDATE leases SET expires_at = now() + make_interval(secs => $3) WHERE name = $1 AND holder = $2`;
const GIVE_BACK = `DELETE FROM leases WHERE name = $1 AND holder = $2`;

const WAIT_STEP_MS = 250;

/**
 * A named lease in the `leases` table: one holder at a time, until it gives it back or
 * its expiry passes (by the database's clock). Every statement stands alone, so it works
 * through a transaction-mode pooler, where a session advisory lock taken by one statement
 * and released by another could stay held by a pooled session forever.
 */
export class Lease {
  private renewedAt = performance.now();

  private constructor(
    private readonly dataSource: DataSource,
    private readonly name: string,
    private readonly holder: string,
    private readonly ttlSeconds: number,
  ) {}

  /** The lease, or undefined when another holder has it; with `wait`, polls until it is free. */
  static async take(dataSource: DataSource, name: string, ttlSeconds: number, wait: boolean): Promise<Lease | undefined> {
    const holder = randomUUID();
    for (;;) {
      const { rows } = await execute(dataSource, TAKE, [name, holder, ttlSeconds]);
      if (rows.length === 1) return new Lease(dataSource, name, holder, ttlSeconds);
      if (!wait) return undefined;
      await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
    }
  }

  /**
   * Extends the lease once a third of it has gone by; call it between steps of long work.
   * Throws when the lease was lost (it expired and another holder took it): the work
   * must stop rather than run beside the new holder's.
   */
  async keep(): Promise<void> {
    if (performance.now() - this.renewedAt < (this.ttlSeconds * 1000) / 3) return;
    const { affected } = await execute(this.dataSource, RENEW, [this.name, this.holder, this.ttlSeconds]);
    if (affected !== 1) throw new Error(`lost the ${this.name} lease: it expired mid-work`);
    this.renewedAt = performance.now();
  }

  /** Gives the lease back. If this fails (the database is away) the lease simply expires. */
  async release(): Promise<void> {
    await execute(this.dataSource, GIVE_BACK, [this.name, this.holder]).catch(() => undefined);
  }
}
