import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type CleanupBatches, JanitorStore } from '../../janitor/cleanup.js';
import { execute } from '../sql.js';
import { Lease } from './lease.js';

// One lease for the cluster. It is renewed between batches, so only a holder that died
// (or stalled for this long) lets another process take over; a crash locks the janitor
// out for at most this long.
const LEASE = 'janitor';
const LEASE_SECONDS = 60;

// Every delete names its rows by primary key through a LIMITed sub-select, so one
// statement touches at most `limit` rows; SKIP LOCKED leaves a row that a rotation or
// revocation holds to the next pass instead of waiting on it (or making it wait).
const EXPIRED_OPAQUE = `
  DELETE FROM opaque_access_tokens WHERE hash IN (
    SELECT hash FROM opaque_access_tokens WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`;

const TOKENS_OF_ENDED_FAMILIES = `
  DELETE FROM refresh_tokens WHERE hash IN (
    SELECT t.hash FROM families f JOIN refresh_tokens t ON t.family_id = f.id
    WHERE f.absolute_expires_at < $1 LIMIT $2 FOR UPDATE OF t SKIP LOCKED)`;

// Only families already emptied of tokens: the cascade then has nothing left to do, so
// a family with a long chain never turns one statement into thousands of deletes.
const ENDED_FAMILIES = `
  DELETE FROM families WHERE id IN (
    SELECT f.id FROM families f
    WHERE f.absolute_expires_at < $1 AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id)
    LIMIT $2 FOR UPDATE SKIP LOCKED)`;

const EXPIRED_JTIS = `
  DELETE FROM revoked_access_tokens WHERE jti IN (
    SELECT jti FROM revoked_access_tokens WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`;

// The feed is append-only (nothing to lock), and read by position, so deleting any spent
// event hides nothing from a reader, booting or not. A Shared Signals stream that still
// had one of them queued fell behind: in the same statement it is marked (an events-lost
// notice waits for it, counting what it missed) before the cascade empties its queue, so
// it is told rather than silently missing them.
const SPENT_EVENTS = `
  WITH spent AS (
    SELECT id FROM revocation_events
    WHERE until < $1 AND created_at < $2
    LIMIT $3
  ), missed AS (
    SELECT q.stream_id, count(*)::int AS n FROM ssf_stream_events q JOIN spent ON spent.id = q.event_id GROUP BY q.stream_id
  ), lapsed AS (
    UPDATE ssf_streams s SET events_lost = s.events_lost + missed.n,
      lapse_jti = coalesce(s.lapse_jti, s.id || '.lapse.' || gen_random_uuid())
    FROM missed WHERE s.id = missed.stream_id
  )
  DELETE FROM revocation_events WHERE id IN (SELECT id FROM spent)`;

const OLD_AUDIT_EVENTS = `
  DELETE FROM audit_events WHERE id IN (
    SELECT id FROM audit_events WHERE occurred_at < $1 ORDER BY occurred_at LIMIT $2)`;

const EXPIRED_LOGIN_THROTTLES = `
  DELETE FROM login_throttle WHERE (username_key, ip) IN (
    SELECT username_key, ip FROM login_throttle WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`;

const EXPIRED_CODES = `
  DELETE FROM authorization_codes WHERE hash IN (
    SELECT hash FROM authorization_codes WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`;

const EXPIRED_PUSHED_REQUESTS = `
  DELETE FROM pushed_authorization_requests WHERE hash IN (
    SELECT hash FROM pushed_authorization_requests WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`;

// The idle expiry is never past the absolute one. Families keep their row (login_session_id
// becomes NULL); the session's codes expired long before.
const ENDED_LOGIN_SESSIONS = `
  DELETE FROM login_sessions WHERE id IN (
    SELECT id FROM login_sessions WHERE idle_expires_at < $1 OR ended_at < $1
    LIMIT $2 FOR UPDATE SKIP LOCKED)`;

const EXPIRED_DPOP_PROOFS = `
  DELETE FROM dpop_proofs WHERE hash IN (
    SELECT hash FROM dpop_proofs WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`;
// Pending rows are the outbox: never deleted here (the sender gives them up after a day).
const SETTLED_BACKCHANNEL_LOGOUTS = `
  DELETE FROM backchannel_logouts WHERE id IN (
    SELECT id FROM backchannel_logouts
    WHERE (delivered_at IS NOT NULL OR gave_up_at IS NOT NULL) AND created_at < $1
    LIMIT $2 FOR UPDATE SKIP LOCKED)`;

const EXPIRED_WEBAUTHN_CHALLENGES = `
  DELETE FROM webauthn_challenges WHERE hash IN (
    SELECT hash FROM webauthn_challenges WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`;
const EXPIRED_SECOND_FACTOR_CHALLENGES = `
  DELETE FROM second_factor_challenges WHERE token_hash IN (
    SELECT token_hash FROM second_factor_challenges WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`;
const EXPIRED_CONSOLE_SESSIONS = `
  DELETE FROM console_sessions WHERE id IN (
    SELECT id FROM console_sessions WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`;

@Injectable()
export class PgJanitorStore extends JanitorStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async exclusively<T>(wait: boolean, work: (batches: CleanupBatches) => Promise<T>): Promise<T | undefined> {
    const lease = await Lease.take(this.dataSource, LEASE, LEASE_SECONDS, wait);
    if (!lease) return undefined;
    try {
      return await work(batchesOn(this.dataSource.manager, lease));
    } finally {
      await lease.release();
    }
  }
}

function batchesOn(m: EntityManager, lease: Lease): CleanupBatches {
  const deleted = async (sql: string, params: unknown[]) => {
    await lease.keep();
    return (await execute(m, sql, params)).affected;
  };
  return {
    expiredOpaqueTokens: (before, limit) => deleted(EXPIRED_OPAQUE, [before, limit]),
    tokensOfEndedFamilies: (before, limit) => deleted(TOKENS_OF_ENDED_FAMILIES, [before, limit]),
    endedFamilies: (before, limit) => deleted(ENDED_FAMILIES, [before, limit]),
    expiredRevokedJtis: (before, limit) => deleted(EXPIRED_JTIS, [before, limit]),
    spentRevocationEvents: (untilBefore, createdBefore, limit) => deleted(SPENT_EVENTS, [untilBefore, createdBefore, limit]),
    auditEventsBefore: (before, limit) => deleted(OLD_AUDIT_EVENTS, [before, limit]),
    expiredLoginThrottles: (before, limit) => deleted(EXPIRED_LOGIN_THROTTLES, [before, limit]),
    expiredAuthorizationCodes: (before, limit) => deleted(EXPIRED_CODES, [before, limit]),
    expiredPushedRequests: (before, limit) => deleted(EXPIRED_PUSHED_REQUESTS, [before, limit]),
    endedLoginSessions: (before, limit) => deleted(ENDED_LOGIN_SESSIONS, [before, limit]),
    expiredDpopProofs: (before, limit) => deleted(EXPIRED_DPOP_PROOFS, [before, limit]),
    settledBackchannelLogouts: (before, limit) => deleted(SETTLED_BACKCHANNEL_LOGOUTS, [before, limit]),
    expiredWebauthnChallenges: (before, limit) => deleted(EXPIRED_WEBAUTHN_CHALLENGES, [before, limit]),
    expiredSecondFactorChallenges: (before, limit) => deleted(EXPIRED_SECOND_FACTOR_CHALLENGES, [before, limit]),
    expiredConsoleSessions: (before, limit) => deleted(EXPIRED_CONSOLE_SESSIONS, [before, limit]),
  };
}
