import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  type SecondFactorAttempts,
  type SecondFactorChallenge,
  SecondFactorStore,
  type TotpFactor,
} from '../../second-factor/second-factor.js';
import { execute } from '../sql.js';
import { withTransactionRetry } from '../transaction.js';

interface ChallengeRow {
  user_id: string;
  login_session_id: string | null;
  methods: string[];
  expires_at: Date;
}

const CHALLENGE = 'user_id, login_session_id, methods, expires_at';

@Injectable()
export class PgSecondFactorStore extends SecondFactorStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async find(userId: string): Promise<TotpFactor | undefined> {
    const { rows } = await execute<{ secret_sealed: Buffer; confirmed_at: Date | null }>(
      this.dataSource,
      `SELECT secret_sealed, confirmed_at FROM totp_factors WHERE user_id = $1`,
      [userId],
    );
    return rows[0] && { userId, secretSealed: rows[0].secret_sealed, confirmedAt: rows[0].confirmed_at };
  }

  async startEnrolment(userId: string, secretSealed: Buffer, now: Date): Promise<boolean> {
    // A confirmed factor is never overwritten here: it is removed first (re-authenticated).
    const { affected } = await execute(
      this.dataSource,
      `INSERT INTO totp_factors AS f (user_id, secret_sealed, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET secret_sealed = $2, created_at = $3, last_step = NULL
        WHERE f.confirmed_at IS NULL`,
      [userId, secretSealed, now],
    );
    return affected === 1;
  }

  async confirm(userId: string, step: number, recoveryCodeHashes: readonly Buffer[], now: Date): Promise<boolean> {
    return withTransactionRetry(this.dataSource, async (m) => {
      const { affected } = await execute(
        m,
        `UPDATE totp_factors SET confirmed_at = $2, last_step = $3, failures = 0 WHERE user_id = $1 AND confirmed_at IS NULL`,
        [userId, now, step],
      );
      if (affected !== 1) return false;
      await execute(m, `DELETE FROM recovery_codes WHERE user_id = $1`, [userId]);
      await execute(
        m,
        `INSERT INTO recovery_codes (user_id, code_hash, created_at) SELECT $1, unnest($2::bytea[]), $3`,
        [userId, recoveryCodeHashes, now],
      );
      return true;
    });
  }

  async acceptStep(userId: string, step: number): Promise<boolean> {
    // The row lock orders two processes accepting the same code: the second finds last_step
    // already at its step and changes nothing.
    const { affected } = await execute(
      this.dataSource,
      `UPDATE totp_factors SET last_step = $2
        WHERE user_id = $1 AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < $2)`,
      [userId, step],
    );
    return affected === 1;
  }

  async useRecoveryCode(userId: string, codeHash: Buffer, now: Date): Promise<boolean> {
    const { affected } = await execute(
      this.dataSource,
      `UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
      [userId, codeHash, now],
    );
    return affected === 1;
  }

  async unusedRecoveryCodes(userId: string): Promise<number> {
    const { rows } = await execute<{ count: string }>(
      this.dataSource,
      `SELECT count(*) AS count FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`,
      [userId],
    );
    return Number(rows[0].count);
  }

  async countAttempt(userId: string, now: Date, windowStartsAfter: Date): Promise<SecondFactorAttempts | undefined> {
    // One statement: parallel attempts each add one, none reads a count another has not written.
    const restarts = `(failure_window_started_at IS NULL OR failure_window_started_at <= $3)`;
    const { rows } = await execute<{ failures: number; failure_window_started_at: Date }>(
      this.dataSource,
      `UPDATE totp_factors
          SET failures = CASE WHEN ${restarts} THEN 1 ELSE failures + 1 END,
              failure_window_started_at = CASE WHEN ${restarts} THEN $2 ELSE failure_window_started_at END
        WHERE user_id = $1
       RETURNING failures, failure_window_started_at`,
      [userId, now, windowStartsAfter],
    );
    return rows[0] && { count: rows[0].failures, windowStartedAt: rows[0].failure_window_started_at };
  }

  async clearAttempts(userId: string): Promise<void> {
    await execute(this.dataSource, `UPDATE totp_factors SET failures = 0, failure_window_started_at = NULL WHERE user_id = $1`, [userId]);
  }

  async remove(userId: string): Promise<boolean> {
    return withTransactionRetry(this.dataSource, async (m) => {
      await execute(m, `DELETE FROM recovery_codes WHERE user_id = $1`, [userId]);
      await execute(m, `DELETE FROM second_factor_challenges WHERE user_id = $1`, [userId]);
      const { affected } = await execute(m, `DELETE FROM totp_factors WHERE user_id = $1`, [userId]);
      return affected === 1;
    });
  }

  async insertChallenge(tokenHash: Buffer, challenge: SecondFactorChallenge, now: Date): Promise<void> {
    // The user's expired challenges go as a new one comes: the table holds only live ones and a few.
    await execute(this.dataSource, `DELETE FROM second_factor_challenges WHERE user_id = $1 AND expires_at <= $2`, [challenge.userId, now]);
    await execute(
      this.dataSource,
      `INSERT INTO second_factor_challenges (token_hash, ${CHALLENGE}, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [tokenHash, challenge.userId, challenge.loginSessionId, [...challenge.methods], challenge.expiresAt, now],
    );
  }

  async findChallenge(tokenHash: Buffer, now: Date): Promise<SecondFactorChallenge | undefined> {
    const { rows } = await execute<ChallengeRow>(
      this.dataSource,
      `SELECT ${CHALLENGE} FROM second_factor_challenges WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`,
      [tokenHash, now],
    );
    return rows[0] && toChallenge(rows[0]);
  }

  async useChallenge(tokenHash: Buffer, now: Date): Promise<SecondFactorChallenge | undefined> {
    const { rows } = await execute<ChallengeRow>(
      this.dataSource,
      `UPDATE second_factor_challenges SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING ${CHALLENGE}`,
      [tokenHash, now],
    );
    return rows[0] && toChallenge(rows[0]);
  }
}

function toChallenge(row: ChallengeRow): SecondFactorChallenge {
  return { userId: row.user_id, loginSessionId: row.login_session_id, methods: row.methods, expiresAt: row.expires_at };
}
