import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  type AuthorizationCode,
  AuthorizationCodeStore,
  type RedemptionGuard,
  type RedemptionOutcome,
} from '../../oauth/authorization/authorization-code.js';
import type { NewFamily } from '../../sessions/family.js';
import { execute, referencingClient } from '../sql.js';
import { withTransactionRetry } from '../transaction.js';
import { revokeWithin, startWithin } from './family.store.js';

interface CodeRow {
  client_id: string;
  user_id: string;
  redirect_uri: string;
  redirect_uri_sent: boolean;
  code_challenge: string;
  dpop_jkt: string | null;
  scope: string;
  nonce: string | null;
  auth_time: Date;
  login_session_id: string | null;
  created_at: Date;
  expires_at: Date;
}

const CODE =
  'client_id, user_id, redirect_uri, redirect_uri_sent, code_challenge, scope, nonce, auth_time, login_session_id, created_at, expires_at, dpop_jkt';

// The compare-and-set that makes a code single-use: it is marked used only while unused
// and unexpired, and only for the client it was issued to, the PKCE verifier whose
// challenge it holds and the redirect URI it was sent to (repeated when it was sent,
// RFC 6749 §4.1.3), and the DPoP key named at /authorize (RFC 9449 §10). A parallel redemption waits on the row lock and then finds used_at set.
const REDEEM = `
  UPDATE authorization_codes SET used_at = $2
   WHERE hash = $1 AND used_at IS NULL AND expires_at > $2
     AND client_id = $3 AND code_challenge = $4
     AND (redirect_uri = $5 OR ($5::text IS NULL AND NOT redirect_uri_sent))
     AND (dpop_jkt IS NULL OR dpop_jkt = $6::text)
  RETURNING ${CODE}`;

/** Thrown inside the transaction to roll the code's use back: its user cannot log in now. */
class UserDisabled extends Error {}

@Injectable()
export class PgAuthorizationCodeStore extends AuthorizationCodeStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async insert(hash: Buffer, code: AuthorizationCode): Promise<void> {
    await referencingClient(() =>
      execute(
        this.dataSource,
        `INSERT INTO authorization_codes (hash, ${CODE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [hash, code.clientId, code.userId, code.redirectUri, code.redirectUriSent, code.codeChallenge, code.scope, code.nonce,
          code.authTime, code.loginSessionId, code.createdAt, code.expiresAt, code.dpopJkt],
      ),
    );
  }

  async redeem(
    hash: Buffer,
    guard: RedemptionGuard,
    start: (code: AuthorizationCode) => NewFamily,
    relevantUntil: Date,
  ): Promise<RedemptionOutcome> {
    try {
      return await referencingClient(() =>
        withTransactionRetry(this.dataSource, async (m): Promise<RedemptionOutcome> => {
          const { rows } = await execute<CodeRow>(m, REDEEM, [hash, guard.now, guard.clientId, guard.codeChallenge, guard.redirectUri ?? null, guard.dpopJkt ?? null]);
          if (rows.length === 1) {
            const code = toCode(rows[0]);
            const started = start(code);
            if (!(await startWithin(m, started))) throw new UserDisabled();
            // In the same transaction: a replay waiting on the row lock finds the family to end.
            await execute(m, `UPDATE authorization_codes SET family_id = $2 WHERE hash = $1`, [hash, started.family.id]);
            // Ending the login session can then end this family (OIDC logout); an ID token on
            // refresh repeats this authentication's auth_time and sid (OIDC Core §12.2).
            await execute(m, `UPDATE families SET login_session_id = $2, auth_time = $3, id_token_sid = COALESCE($2, id) WHERE id = $1`, [
              started.family.id,
              code.loginSessionId,
              code.authTime,
            ]);
            return { kind: 'redeemed', code, family: started.family };
          }
          // Nothing matched: a used code is a replay, whoever presents it; anything else changes nothing.
          const used = await execute<{ client_id: string; user_id: string; family_id: string | null }>(
            m,
            `SELECT client_id, user_id, family_id FROM authorization_codes WHERE hash = $1 AND used_at IS NOT NULL`,
            [hash],
          );
          if (used.rows.length === 0) return { kind: 'invalid' };
          const [row] = used.rows;
          const revoked = row.family_id === null ? [] : await revokeWithin(m, [row.family_id], 'code_reuse', 'system', guard.now, relevantUntil);
          return { kind: 'replayed', clientId: row.client_id, userId: row.user_id, revoked };
        }),
      );
    } catch (error) {
      if (error instanceof UserDisabled) return { kind: 'user_disabled' };
      throw error;
    }
  }
}

function toCode(row: CodeRow): AuthorizationCode {
  return {
    clientId: row.client_id,
    userId: row.user_id,
    redirectUri: row.redirect_uri,
    redirectUriSent: row.redirect_uri_sent,
    codeChallenge: row.code_challenge,
    dpopJkt: row.dpop_jkt,
    scope: row.scope,
    nonce: row.nonce,
    authTime: row.auth_time,
    loginSessionId: row.login_session_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
