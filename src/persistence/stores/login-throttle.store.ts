import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type AccountIpState, type FailureTimes, type LoginThrottleState, LoginThrottleStore } from '../../throttle/login-throttle.js';
import { execute } from '../sql.js';

interface ThrottleRow {
  ip: string;
  failures: number;
  window_started_at: Date;
  last_failed_at: Date | null;
  known_until: Date | null;
  expires_at: Date;
}

// The row that counts a username's failures from every IP.
const ACCOUNT = '';
const COLUMNS = 'ip, failures, window_started_at, last_failed_at, known_until, expires_at';

@Injectable()
export class PgLoginThrottleStore extends LoginThrottleStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async read(usernameKey: Buffer, ip: string, now: Date): Promise<LoginThrottleState> {
    const { rows } = await execute<ThrottleRow>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM login_throttle WHERE username_key = $1 AND ip IN ($2, '') AND expires_at > $3`,
      [usernameKey, ip, now],
    );
    return stateOf(rows);
  }

  /**
   * Both rows in one INSERT … ON CONFLICT, so two processes counting at once both count.
   * The account+IP row starts again from 1 when its last failure is forgotten; the
   * account row when its window is over. A known IP stays known.
   */
  async recordFailure(usernameKey: Buffer, ip: string, times: FailureTimes): Promise<LoginThrottleState> {
    const { rows } = await execute<ThrottleRow>(
      this.dataSource,
      `INSERT INTO login_throttle AS t (username_key, ip, failures, window_started_at, last_failed_at, expires_at)
       VALUES ($1, $2, 1, $3, $3, $5), ($1, '', 1, $3, $3, $6)
       ON CONFLICT (username_key, ip) DO UPDATE SET
         failures = CASE WHEN ${restarts('t')} THEN 1 ELSE t.failures + 1 END,
         window_started_at = CASE WHEN ${restarts('t')} THEN $3 ELSE t.window_started_at END,
         last_failed_at = $3,
         expires_at = CASE
           WHEN t.ip <> '' THEN GREATEST($5, t.known_until)
           WHEN t.expires_at <= $3 THEN $6
           ELSE t.expires_at END
       RETURNING ${COLUMNS}`,
      [usernameKey, ip, times.now, times.forgetBefore, times.accountIpExpiresAt, times.accountWindowEndsAt],
    );
    return stateOf(rows);
  }

  /** The account+IP branch of recordFailure, for one row. */
  async recordDeviceFailure(usernameKey: Buffer, device: string, times: FailureTimes): Promise<AccountIpState> {
    const { rows } = await execute<ThrottleRow>(
      this.dataSource,
      `INSERT INTO login_throttle AS t (username_key, ip, failures, window_started_at, last_failed_at, expires_at)
       VALUES ($1, $2, 1, $3, $3, $5)
       ON CONFLICT (username_key, ip) DO UPDATE SET
         failures = CASE WHEN t.last_failed_at IS NULL OR t.last_failed_at <= $4 THEN 1 ELSE t.failures + 1 END,
         window_started_at = CASE WHEN t.last_failed_at IS NULL OR t.last_failed_at <= $4 THEN $3 ELSE t.window_started_at END,
         last_failed_at = $3,
         expires_at = GREATEST($5, t.known_until)
       RETURNING ${COLUMNS}`,
      [usernameKey, device, times.now, times.forgetBefore, times.accountIpExpiresAt],
    );
    const row = rows[0];
    return { failures: row.failures, lastFailedAt: row.last_failed_at, knownUntil: row.known_until };
  }

  async recordSuccess(usernameKey: Buffer, ip: string, now: Date, knownUntil: Date): Promise<void> {
    await execute(
      this.dataSource,
      `INSERT INTO login_throttle AS t (username_key, ip, failures, window_started_at, last_failed_at, known_until, expires_at)
       VALUES ($1, $2, 0, $3, NULL, $4, $4)
       ON CONFLICT (username_key, ip) DO UPDATE SET failures = 0, last_failed_at = NULL, known_until = $4, expires_at = $4`,
      [usernameKey, ip, now, knownUntil],
    );
  }

  async deleteExpired(now: Date, limit: number): Promise<number> {
    const { affected } = await execute(
      this.dataSource,
      `DELETE FROM login_throttle WHERE ctid IN (SELECT ctid FROM login_throttle WHERE expires_at <= $1 LIMIT $2)`,
      [now, limit],
    );
    return affected;
  }
}

function restarts(t: string): string {
  return `(CASE WHEN ${t}.ip <> '' THEN ${t}.last_failed_at IS NULL OR ${t}.last_failed_at <= $4 ELSE ${t}.expires_at <= $3 END)`;
}

function stateOf(rows: readonly ThrottleRow[]): LoginThrottleState {
  const accountIp = rows.find((row) => row.ip !== ACCOUNT);
  const account = rows.find((row) => row.ip === ACCOUNT);
  return {
    ...(accountIp && { accountIp: { failures: accountIp.failures, lastFailedAt: accountIp.last_failed_at, knownUntil: accountIp.known_until } }),
    ...(account && { account: { failures: account.failures, windowStartedAt: account.window_started_at, expiresAt: account.expires_at } }),
  };
}
