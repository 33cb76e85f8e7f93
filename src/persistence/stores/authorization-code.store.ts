import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import {
  type AuthorizationCode,
  AuthorizationCodeStore,
  type RedemptionGuard,
  type RedemptionOutcome,
} from '../../oauth/authorization/authorization-code.js';
import type { FamilyStart } from '../../sessions/family.js';
import { execute, referencingClient, type Rows } from '../sql.js';
import { withTransactionRetry } from '../transaction.js';
import { revokeWithin } from './family.store.js';

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
  amr: string[];
  login_session_id: string | null;
  created_at: Date;
  expires_at: Date;
}

const CODE =
  'client_id, user_id, redirect_uri, redirect_uri_sent, code_challenge, scope, nonce, auth_time, login_session_id, created_at, expires_at, dpop_jkt, amr';
const CODE_COLUMNS = CODE.split(', ').map((column) => `c.${column}`).join(', ');

// The redemption in one statement, with no explicit transaction (it is on every code
// flow's path). The compare-and-set makes a code single-use: it is marked used only while
// unused and unexpired, and only for the client it was issued to, the PKCE verifier whose
// challenge it holds and the redirect URI it was sent to (repeated when it was sent,
// RFC 6749 §4.1.3), and the DPoP key named at /authorize, if any (RFC 9449 §10). A parallel
// redemption waits on the row lock and then finds used_at set. It is also marked used only while its user is enabled and the login session it was
// issued in was not logged out (a session "replaced" by another user's login on the same
// browser was not: its codes stay good). FOR SHARE conflicts with the UPDATE that disables
// the user or ends the session, so either of those and this redemption take turns: the
// other then finds this family to end, or this redemption finds the row changed and
// changes nothing. The family it starts, linked to that login session (so that ending the
// session ends it; an ID token on refresh repeats its auth_time and sid, OIDC Core §12.2),
// and its first refresh token are inserted by the same statement; the family keeps the
// code's amr (RFC 8176) for the same reason as its auth_time.
const REDEEM = `
  WITH redeemed AS (
    UPDATE authorization_codes c SET used_at = $2, family_id = $6
     WHERE c.hash = $1 AND c.used_at IS NULL AND c.expires_at > $2
       AND c.client_id = $3 AND c.code_challenge = $4
       AND (c.redirect_uri = $5 OR ($5::text IS NULL AND NOT c.redirect_uri_sent))
       AND (c.dpop_jkt IS NULL OR c.dpop_jkt = $13::text)
       AND EXISTS (SELECT 1 FROM users u WHERE u.id = c.user_id AND u.disabled_at IS NULL FOR SHARE)
       AND (c.login_session_id IS NULL OR EXISTS (
             SELECT 1 FROM login_sessions s
              WHERE s.id = c.login_session_id AND (s.ended_at IS NULL OR s.ended_reason = 'replaced') FOR SHARE))
    RETURNING ${CODE_COLUMNS}
  ), started AS (
    INSERT INTO families (id, user_id, client_id, scope, created_at, last_used_at, idle_expires_at, absolute_expires_at,
                          ip, user_agent, login_session_id, auth_time, id_token_sid, dpop_jkt, amr)
    SELECT $6::uuid, r.user_id, r.client_id, r.scope, $7::timestamptz, $7::timestamptz, $8::timestamptz, $9::timestamptz,
           $10::text, $11::text, r.login_session_id, r.auth_time, COALESCE(r.login_session_id, $6::uuid), $14::text, r.amr
      FROM redeemed r
    RETURNING id
  ), first_token AS (
    INSERT INTO refresh_tokens (hash, family_id, generation, issued_at) SELECT $12::bytea, id, 0, $7::timestamptz FROM started
  )
  SELECT ${CODE} FROM redeemed`;

// 40001 serialization_failure, 40P01 deadlock_detected: the statement changed nothing; run it again.
const RETRYABLE = new Set(['40001', '40P01']);
const ATTEMPTS = 4;

@Injectable()
export class PgAuthorizationCodeStore extends AuthorizationCodeStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async insert(hash: Buffer, code: AuthorizationCode): Promise<void> {
    await referencingClient(() =>
      execute(
        this.dataSource,
        `INSERT INTO authorization_codes (hash, ${CODE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [hash, code.clientId, code.userId, code.redirectUri, code.redirectUriSent, code.codeChallenge, code.scope, code.nonce,
          code.authTime, code.loginSessionId, code.createdAt, code.expiresAt, code.dpopJkt, [...code.amr]],
      ),
    );
  }

  async redeem(hash: Buffer, guard: RedemptionGuard, start: FamilyStart, relevantUntil: Date): Promise<RedemptionOutcome> {
    const { family } = start;
    const { rows } = await referencingClient(() =>
      redeemOnce(this.dataSource, [
        hash, guard.now, guard.clientId, guard.codeChallenge, guard.redirectUri ?? null,
        family.id, family.createdAt, family.idleExpiresAt, family.absoluteExpiresAt, family.ip, family.userAgent, start.firstTokenHash,
        guard.dpopJkt ?? null, family.dpopJkt ?? null,
      ]),
    );
    if (rows.length === 1) {
      const code = toCode(rows[0]);
      return { kind: 'redeemed', code, family: { ...family, userId: code.userId, clientId: code.clientId, scope: code.scope } };
    }
    // Nothing matched: a used code is a replay, whoever presents it (RFC 6749 §4.1.2), and
    // the family it started ends; anything else changes nothing.
    return withTransactionRetry(this.dataSource, async (m): Promise<RedemptionOutcome> => {
      const used = await execute<{ client_id: string; user_id: string; family_id: string | null }>(
        m,
        `SELECT client_id, user_id, family_id FROM authorization_codes WHERE hash = $1 AND used_at IS NOT NULL`,
        [hash],
      );
      if (used.rows.length === 0) return { kind: 'invalid' };
      const [row] = used.rows;
      const revoked = row.family_id === null ? [] : await revokeWithin(m, [row.family_id], 'code_reuse', 'system', guard.now, relevantUntil);
      return { kind: 'replayed', clientId: row.client_id, userId: row.user_id, revoked };
    });
  }
}

async function redeemOnce(dataSource: DataSource, params: unknown[]): Promise<Rows<CodeRow>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await execute<CodeRow>(dataSource, REDEEM, params);
    } catch (error) {
      const code = error instanceof QueryFailedError ? (error.driverError as { code?: string }).code : undefined;
      if (attempt >= ATTEMPTS || !code || !RETRYABLE.has(code)) throw error;
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
    amr: row.amr,
    loginSessionId: row.login_session_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
