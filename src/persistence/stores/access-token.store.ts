import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  AccessTokenStore,
  type OpaqueAccessToken,
  type OpaqueAccessTokenRecord,
  type OpaqueRevocation,
  type JtiRevocation,
  type RevokedOpaqueToken,
} from '../../oauth/access-token/access-token.js';
import { execute, referencingClient } from '../sql.js';
import { withRetry } from '../transaction.js';
import { appendToFeed } from './revocation-feed.sql.js';

interface TokenRow {
  hash: Buffer;
  jti: string;
  client_id: string;
  subject: string;
  user_id: string | null;
  family_id: string | null;
  scope: string;
  audience: string;
  issued_at: Date;
  expires_at: Date;
  dpop_jkt: string | null;
  revoked_at: Date | null;
  family_revoked: boolean;
  username: string | null;
  user_disabled: boolean;
}

// The audit event goes in the same statement: one commit makes the revocation and its
// record durable together, instead of a second group commit after the first.
const AUDITED = (source: string) => `audited AS (
    INSERT INTO audit_events (type, occurred_at, actor, client_id, family_id, details)
    SELECT 'access_token_revoked', revoked_at, actor, client_id, family_id, jsonb_build_object('jti', jti) FROM ${source}
  )`;

// Revoked by jti like a JWT (CONTRACT "POST /oauth/revoke"), so every process's view
// and the revoked_access_tokens record agree whatever the format. Any number of tokens
// in one statement (one commit, one NOTIFY): the arrays are parallel. A token is revoked
// only by its own client (RFC 7009 §2.1), so a client's request needs no read before it.
// The rows are locked in hash order first, so two processes revoking overlapping batches
// wait for each other instead of deadlocking; a token revoked meanwhile is skipped (its
// revoked_at is rechecked under the lock) and announced and audited once, by the
// statement that revoked it.
const REVOKE_OPAQUE = `
  WITH presented AS (
    SELECT DISTINCT ON (hash) * FROM unnest($1::bytea[], $2::timestamptz[], $3::text[], $4::text[]) AS p (hash, revoked_at, actor, client_id)
  ), locked AS MATERIALIZED (
    SELECT o.hash FROM opaque_access_tokens o JOIN presented p ON p.hash = o.hash AND p.client_id = o.client_id
    WHERE o.hash = ANY($1::bytea[]) AND o.revoked_at IS NULL
    ORDER BY o.hash FOR UPDATE OF o
  ), revoked AS (
    UPDATE opaque_access_tokens o SET revoked_at = p.revoked_at
    FROM locked JOIN presented p ON p.hash = locked.hash
    WHERE o.hash = locked.hash
    RETURNING o.hash, o.jti, o.revoked_at, o.expires_at, o.family_id, p.actor, p.client_id
  ), remembered AS (
    INSERT INTO revoked_access_tokens (jti, revoked_at, expires_at)
    SELECT jti, revoked_at, expires_at FROM revoked ON CONFLICT (jti) DO NOTHING
  ), ${AUDITED('revoked')},
  ${appendToFeed('announced', `SELECT 'jti', jti, revoked_at, expires_at FROM revoked`)}
  SELECT hash, jti, expires_at FROM revoked`;

// Any number of jtis in one statement (one commit): the arrays are parallel. Only a jti
// this statement revoked is audited: a repeat (in this group or after) changes nothing.
const REVOKE_JTIS = `
  WITH presented AS (
    SELECT DISTINCT ON (jti) * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::uuid[], $5::text[], $6::text[])
      AS p (jti, revoked_at, expires_at, family_id, actor, client_id)
  ), remembered AS (
    INSERT INTO revoked_access_tokens (jti, revoked_at, expires_at)
    SELECT jti, revoked_at, expires_at FROM presented
    ON CONFLICT (jti) DO NOTHING
    RETURNING jti, revoked_at, expires_at
  ), ${AUDITED('remembered JOIN presented USING (jti, revoked_at, expires_at)')},
  ${appendToFeed('announced', `SELECT 'jti', jti, revoked_at, expires_at FROM remembered`)}
  SELECT id FROM announced`;

@Injectable()
export class PgAccessTokenStore extends AccessTokenStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async insertOpaque(token: OpaqueAccessToken): Promise<void> {
    await referencingClient(() => execute(
      this.dataSource,
      `INSERT INTO opaque_access_tokens
         (hash, jti, client_id, subject, user_id, family_id, scope, audience, issued_at, expires_at, dpop_jkt)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [token.hash, token.jti, token.clientId, token.subject, token.userId, token.familyId, token.scope, token.audience,
        token.issuedAt, token.expiresAt, token.dpopJkt],
    ));
  }

  async findOpaque(hash: Buffer): Promise<OpaqueAccessTokenRecord | undefined> {
    const { rows } = await execute<TokenRow>(
      this.dataSource,
      `SELECT o.hash, o.jti, o.client_id, o.subject, o.user_id, o.family_id, o.scope, o.audience, o.issued_at, o.expires_at, o.dpop_jkt, o.revoked_at,
              f.revoked_at IS NOT NULL AS family_revoked, u.username, u.disabled_at IS NOT NULL AS user_disabled
       FROM opaque_access_tokens o
       LEFT JOIN families f ON f.id = o.family_id
       LEFT JOIN users u ON u.id = o.user_id
       WHERE o.hash = $1`,
      [hash],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      hash: row.hash,
      jti: row.jti,
      clientId: row.client_id,
      subject: row.subject,
      userId: row.user_id,
      familyId: row.family_id,
      scope: row.scope,
      audience: row.audience,
      issuedAt: row.issued_at,
      expiresAt: row.expires_at,
      dpopJkt: row.dpop_jkt,
      revokedAt: row.revoked_at,
      familyRevoked: row.family_revoked,
      username: row.username,
      userDisabled: row.user_disabled,
    };
  }

  async revokeOpaque(revocations: readonly OpaqueRevocation[]): Promise<RevokedOpaqueToken[]> {
    if (revocations.length === 0) return [];
    // The feed's head is locked last, so a transaction holding it may wait for these rows
    // (a client's deletion cascading to its tokens): a deadlock, retried.
    const { rows } = await withRetry(() =>
      execute<{ hash: Buffer; jti: string; expires_at: Date }>(this.dataSource, REVOKE_OPAQUE, [
        revocations.map((r) => r.hash), revocations.map((r) => r.revokedAt), revocations.map((r) => r.by.actor), revocations.map((r) => r.by.clientId),
      ]),
    );
    return rows.map((row) => ({ hash: row.hash, jti: row.jti, expiresAt: row.expires_at }));
  }

  async revokeJtis(revocations: readonly JtiRevocation[]): Promise<void> {
    if (revocations.length === 0) return;
    await withRetry(() =>
      execute(this.dataSource, REVOKE_JTIS, [
        revocations.map((r) => r.jti), revocations.map((r) => r.revokedAt), revocations.map((r) => r.expiresAt),
        revocations.map((r) => r.familyId), revocations.map((r) => r.by.actor), revocations.map((r) => r.by.clientId),
      ]),
    );
  }
}
