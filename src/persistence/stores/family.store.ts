import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  type Family,
  FamilyStore,
  type NewFamily,
  type PreparedSuccessor,
  type RefreshOutcome,
  type RefreshSnapshot,
  type RefreshTokenRecord,
  type RefreshVerdict,
  type RevocationReason,
  type RotationGuard,
} from '../../sessions/family.js';
import { type Page, type PageRequest, pageOf } from '../../common/page.js';
import { WriteGroups } from '../../common/write-groups.js';
import { execute, referencingClient } from '../sql.js';
import { withRetry, withTransactionRetry } from '../transaction.js';
import { BACKCHANNEL_OUTBOX } from './backchannel-outbox.sql.js';
import { Lease } from './lease.js';
import { appendToFeed } from './revocation-feed.sql.js';

// One grace sweeper for the cluster, as for the janitor: the others skip their turn
// instead of scanning the same rows. A holder that died frees it after this long.
const SWEEP_LEASE = 'grace-sweeper';
const SWEEP_LEASE_SECONDS = 60;

// A batch at a time, named by primary key through a LIMITed sub-select. The table holds
// only the copies of families rotated within about one grace window, so a scan of it is
// short, and an index on sealed_at would make every replacement of a copy a non-HOT
// update. SKIP LOCKED leaves a copy that a rotation or a revocation holds to the next
// run, so a sweep never waits on one.
const DELETE_CLOSED_COPIES = `
  DELETE FROM refresh_grace_copies WHERE family_id IN (
    SELECT family_id FROM refresh_grace_copies WHERE sealed_at <= $1
    LIMIT $2 FOR UPDATE SKIP LOCKED)`;

interface FamilyRow {
  id: string;
  user_id: string;
  client_id: string;
  scope: string;
  created_at: Date;
  last_used_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  ip: string | null;
  user_agent: string | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
  dpop_jkt: string | null;
}

interface TokenRow {
  used_at: Date | null;
  successor_sealed: Buffer | null;
  successor_used: boolean;
}

// A token is used once its successor exists: the token of the next generation, issued when
// it was used. Its successor is used once the generation after that exists. The copy of
// the successor sealed under the presented token, for a retry within the grace window,
// is its family's grace copy while that copy is of the successor's generation.
// `t` is the presented token.
const TOKEN_STATE = `
  s.issued_at AS used_at, g.sealed AS successor_sealed,
  EXISTS (SELECT 1 FROM refresh_tokens n WHERE n.family_id = t.family_id AND n.generation = t.generation + 2) AS successor_used`;
const SUCCESSOR = 'LEFT JOIN refresh_tokens s ON s.family_id = t.family_id AND s.generation = t.generation + 1';
const SUCCESSOR_AND_COPY = `${SUCCESSOR}
  LEFT JOIN refresh_grace_copies g ON g.family_id = t.family_id AND g.generation = t.generation + 1`;

// Columns by name, never *: a statement prepared on a connection (see execute) must keep
// its result type when a migration run by a newer process adds a column meanwhile.
const FAMILY = 'id, user_id, client_id, scope, created_at, last_used_at, idle_expires_at, absolute_expires_at, ip, user_agent, revoked_at, revoked_reason, dpop_jkt';
const F = FAMILY.split(', ').map((column) => `f.${column}`).join(', ');

// Revoking a family also announces it on the revocation feed, in the same statement, so
// no path can end a session without every process's RevocationView hearing of it; and
// owes a logout token to its client when the client registered a back-channel logout URI
// (Back-Channel Logout 1.0 §2.5; the outbox, see BACKCHANNEL_OUTBOX).
// Standing alone ($8), the statement also writes each revocation's audit event, so one
// commit makes both durable; inside a larger transaction (reuse, code replay, a client's
// deletion) the caller audits, after the events that explain it.
// Any number of revocations, each with its own time, reason, actor and relevance, in one
// statement (one commit, one append to the feed): the arrays are parallel. A revocation
// names its family, or a refresh token (by hash) and the client it must have been issued
// to: the family is then found in the statement itself, with no read before it, and only
// when that client owns it. The families are locked in id order first, so two statements
// revoking overlapping sets wait for each other instead of deadlocking; a family named
// twice is revoked once, by its first entry (each row returned says which, `n`).
const REVOKE = `
  WITH asked AS (
    SELECT DISTINCT ON (id) * FROM (
      SELECT COALESCE(a.id, (
          SELECT t.family_id FROM refresh_tokens t JOIN families f ON f.id = t.family_id
          WHERE t.hash = a.token_hash AND f.client_id = a.owner
        )) AS id, a.at, a.reason, a.actor, a.until, a.n
      FROM unnest($1::uuid[], $2::bytea[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::timestamptz[])
        WITH ORDINALITY AS a (id, token_hash, owner, at, reason, actor, until, n)
    ) a WHERE id IS NOT NULL
    ORDER BY id, n
  ), locked AS MATERIALIZED (
    SELECT id FROM families WHERE id IN (SELECT id FROM asked) AND revoked_at IS NULL ORDER BY id FOR UPDATE
  ), revoked AS (
    UPDATE families f SET revoked_at = a.at, revoked_reason = a.reason, revoked_by = a.actor
    FROM locked JOIN asked a ON a.id = locked.id
    WHERE f.id = locked.id
    RETURNING ${F}, f.id_token_sid, f.revoked_by, a.until, a.n
  ), ${BACKCHANNEL_OUTBOX}, wiped AS (
    DELETE FROM refresh_grace_copies g USING revoked WHERE g.family_id = revoked.id
  ), audited AS (
    INSERT INTO audit_events (type, occurred_at, actor, user_id, client_id, family_id, reason)
    SELECT 'session_revoked', revoked_at, revoked_by, user_id, client_id, id, revoked_reason FROM revoked WHERE $8
  ), ${appendToFeed('announced', `SELECT 'family', revoked.id::text, revoked.revoked_at, revoked.until FROM revoked`)}
  SELECT ${FAMILY}, n FROM revoked`;

// One compare-and-set: the presented token's successor, the next generation of its family,
// is inserted only if that generation does not exist yet (the unique key on
// (family_id, generation) decides, even against a successor committed after this
// statement began), and the family's idle expiry slides, capped by the absolute expiry,
// which rotation never extends. The successor's copy sealed under the presented token,
// for a retry within the grace window, replaces the family's grace copy; the presented
// token's row is not touched. Each table is modified once (an INSERT, an upsert of one
// narrow row and an UPDATE), which engines that refuse several modifications of one
// table in one statement accept too.
// It guards itself: it first locks the family row by its key (the order every writer of a
// family follows; a concurrent writer's lock is waited out and the latest row version
// returned), and inserts only while that family is live and unexpired and its user
// enabled. With the client ($6) and the narrower scope asked for ($7, or NULL) and the DPoP
// key of a bound family ($8) checked too, it rotates exactly when the judge would have said
// "rotate" under the lock, and otherwise changes nothing.
// Every row is reached by a unique key, and no condition offers the planner another
// index (the guard is a one-time filter, not a join), so a rotation costs the same
// however many families a client has or tokens a chain holds, whatever the statistics say.
export const ROTATE = `
  WITH family AS MATERIALIZED (
    SELECT id, user_id, client_id, scope, revoked_at, idle_expires_at, absolute_expires_at, dpop_jkt
    FROM families WHERE id = (SELECT family_id FROM refresh_tokens WHERE hash = $1)
    FOR UPDATE
  ), successor AS (
    INSERT INTO refresh_tokens (hash, family_id, generation, issued_at)
    SELECT $3, t.family_id, t.generation + 1, $2 FROM refresh_tokens t
    WHERE t.hash = $1 AND EXISTS (
      SELECT 1 FROM family f JOIN users u ON u.id = f.user_id
      WHERE f.revoked_at IS NULL AND f.idle_expires_at > $2 AND f.absolute_expires_at > $2 AND u.disabled_at IS NULL
        AND f.client_id = $6 AND ($7::text[] IS NULL OR $7::text[] <@ string_to_array(f.scope, ' '))
        AND (f.dpop_jkt IS NULL OR f.dpop_jkt = $8::text)
    )
    ON CONFLICT (family_id, generation) DO NOTHING
    RETURNING family_id, generation
  ), kept AS (
    INSERT INTO refresh_grace_copies (family_id, generation, sealed, sealed_at)
    SELECT family_id, generation, $4, $2 FROM successor
    ON CONFLICT (family_id) DO UPDATE SET generation = excluded.generation, sealed = excluded.sealed, sealed_at = excluded.sealed_at
  )
  UPDATE families f
  SET last_used_at = $2, idle_expires_at = LEAST($2::timestamptz + make_interval(secs => $5), f.absolute_expires_at)
  FROM successor WHERE f.id = successor.family_id
  RETURNING ${F}`;

// What the judge needs about a presented token, in one consistent read without a lock.
const SNAPSHOT = `
  SELECT ${F}, u.disabled_at IS NOT NULL AS user_disabled, ${TOKEN_STATE}
  FROM refresh_tokens t
  JOIN families f ON f.id = t.family_id
  JOIN users u ON u.id = f.user_id
  ${SUCCESSOR_AND_COPY}
  WHERE t.hash = $1`;

// 40001 serialization_failure, 40P01 deadlock_detected: the fast path leaves it to the locked one.
const RETRYABLE = new Set(['40001', '40P01']);
const UNDECIDED = Symbol('undecided');
const ROTATED: RefreshVerdict = { kind: 'rotate' };
// Families a grouped revocation statement ends at most, unless one caller asks for more.
const MAX_REVOCATIONS_A_WRITE = 1_000;

/** A family by its id, or the family of a refresh token (by hash) when `clientId` is its client. */
type RevocationTarget = { readonly id: string } | { readonly tokenHash: Buffer; readonly clientId: string };

interface FamilyRevocation {
  readonly target: RevocationTarget;
  readonly at: Date;
  readonly reason: RevocationReason;
  readonly actor: string;
  readonly relevantUntil: Date;
}

@Injectable()
export class PgFamilyStore extends FamilyStore {
  /**
   * Revocations of any number of callers, group-committed (WriteGroups): each append to
   * the revocation feed holds its head until commit, so one statement per logout would
   * commit one at a time. One statement is a transaction of its own: no BEGIN, SET and
   * COMMIT round trips around it. Each caller gets the families its own revocations ended.
   */
  private readonly revocations = new WriteGroups<FamilyRevocation, Family | undefined>(
    (revocations) => withRetry(() => revokeEach(this.dataSource, revocations, true)),
    MAX_REVOCATIONS_A_WRITE,
  );

  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async start(input: NewFamily): Promise<boolean> {
    return referencingClient(() => this.dataSource.transaction((m) => startWithin(m, input)));
  }

  async refresh(
    tokenHash: Buffer,
    guard: RotationGuard,
    judge: (snapshot: RefreshSnapshot) => RefreshVerdict,
    successor: PreparedSuccessor,
    now: Date,
    idleTtlSeconds: number,
    relevantUntil: Date,
  ): Promise<RefreshOutcome | undefined> {
    const fast = await this.rotateUnlocked(tokenHash, guard, judge, successor, now, idleTtlSeconds);
    if (fast !== UNDECIDED) return fast;
    return withTransactionRetry(this.dataSource, async (m) => {
      // Every writer of a family's tokens locks the family row first, so the rotations,
      // reuse revocations and admin revocations of one session serialize here, across
      // every Tessera process, and the reads below see the winner's committed writes.
      const locked = await execute<FamilyRow & { user_disabled: boolean }>(
        m,
        `SELECT ${F}, u.disabled_at IS NOT NULL AS user_disabled
         FROM families f JOIN users u ON u.id = f.user_id
         WHERE f.id = (SELECT family_id FROM refresh_tokens WHERE hash = $1)
         FOR UPDATE OF f`,
        [tokenHash],
      );
      const familyRow = locked.rows[0];
      if (!familyRow) return undefined;
      const token = (
        await execute<TokenRow>(
          m,
          `SELECT ${TOKEN_STATE} FROM refresh_tokens t ${SUCCESSOR_AND_COPY} WHERE t.hash = $1`,
          [tokenHash],
        )
      ).rows[0];
      const snapshot: RefreshSnapshot = {
        family: toFamily(familyRow),
        userDisabled: familyRow.user_disabled,
        usedAt: token.used_at,
        successorUsed: token.successor_used,
        sealedSuccessor: token.successor_sealed,
      };
      const verdict = judge(snapshot);
      return this.apply(m, verdict, snapshot, tokenHash, guard, successor, now, idleTtlSeconds, relevantUntil);
    });
  }

  /**
   * The common case in one statement and no explicit transaction (a refresh is on every
   * client's session): the guarded rotation, which changes nothing unless the judge would
   * say "rotate". When it does not rotate, read the snapshot and judge; a "rotate" then
   * (the state changed in between) tries the guarded rotation once more. Anything else,
   * a lost race included, is UNDECIDED and goes through the locked transaction, which
   * reads and judges again.
   */
  private async rotateUnlocked(
    tokenHash: Buffer,
    guard: RotationGuard,
    judge: (snapshot: RefreshSnapshot) => RefreshVerdict,
    successor: PreparedSuccessor,
    now: Date,
    idleTtlSeconds: number,
  ): Promise<RefreshOutcome | undefined | typeof UNDECIDED> {
    const first = await this.tryRotate(tokenHash, guard, successor, now, idleTtlSeconds);
    if (first !== UNDECIDED) return first;
    const { rows } = await execute<FamilyRow & TokenRow & { user_disabled: boolean }>(this.dataSource, SNAPSHOT, [
      tokenHash,
    ]);
    const row = rows[0];
    if (!row) return undefined;
    const verdict = judge({
      family: toFamily(row),
      userDisabled: row.user_disabled,
      usedAt: row.used_at,
      successorUsed: row.successor_used,
      sealedSuccessor: row.successor_sealed,
    });
    if (verdict.kind !== 'rotate') return UNDECIDED;
    return this.tryRotate(tokenHash, guard, successor, now, idleTtlSeconds);
  }

  private async tryRotate(
    tokenHash: Buffer,
    guard: RotationGuard,
    successor: PreparedSuccessor,
    now: Date,
    idleTtlSeconds: number,
  ): Promise<RefreshOutcome | typeof UNDECIDED> {
    try {
      const rotated = await execute<FamilyRow>(this.dataSource, ROTATE, [
        tokenHash, now, successor.hash, successor.sealed, idleTtlSeconds, guard.clientId, guard.requestedScope ?? null, guard.dpopJkt ?? null,
      ]);
      return rotated.affected === 1 ? { verdict: ROTATED, family: toFamily(rotated.rows[0]), sealedSuccessor: null } : UNDECIDED;
    } catch (error) {
      if (RETRYABLE.has((error as { code?: string }).code ?? '')) return UNDECIDED;
      throw error;
    }
  }

  private async apply(
    m: EntityManager,
    verdict: RefreshVerdict,
    snapshot: RefreshSnapshot,
    tokenHash: Buffer,
    guard: RotationGuard,
    successor: PreparedSuccessor,
    now: Date,
    idleTtlSeconds: number,
    relevantUntil: Date,
  ): Promise<RefreshOutcome> {
    switch (verdict.kind) {
      case 'rotate': {
        const rotated = await execute<FamilyRow>(m, ROTATE, [
          tokenHash, now, successor.hash, successor.sealed, idleTtlSeconds, guard.clientId, guard.requestedScope ?? null, guard.dpopJkt ?? null,
        ]);
        if (rotated.affected !== 1) throw new Error('rotation compare-and-set failed under the family lock');
        return { verdict, family: toFamily(rotated.rows[0]), sealedSuccessor: null };
      }
      case 'grace':
        return { verdict, family: snapshot.family, sealedSuccessor: snapshot.sealedSuccessor };
      case 'reuse':
      case 'expired': {
        const reason: RevocationReason = verdict.kind === 'reuse' ? 'refresh_token_reuse' : 'expired';
        const [revoked] = await revokeWithin(m, [snapshot.family.id], reason, 'system', now, relevantUntil);
        return { verdict, family: revoked ?? snapshot.family, sealedSuccessor: null };
      }
      case 'reject':
        return { verdict, family: snapshot.family, sealedSuccessor: null };
    }
  }

  async revoke(ids: readonly string[], reason: RevocationReason, actor: string, now: Date, relevantUntil: Date): Promise<Family[]> {
    if (ids.length === 0) return [];
    const revoked = await this.revocations.add(...ids.map((id) => ({ target: { id }, at: now, reason, actor, relevantUntil })));
    return revoked.filter((family) => family !== undefined);
  }

  async revokeByToken(tokenHash: Buffer, clientId: string, reason: RevocationReason, actor: string, now: Date, relevantUntil: Date): Promise<Family | undefined> {
    const [revoked] = await this.revocations.add({ target: { tokenHash, clientId }, at: now, reason, actor, relevantUntil });
    return revoked;
  }

  async describe(tokenHash: Buffer): Promise<RefreshTokenRecord | undefined> {
    const { rows } = await execute<FamilyRow & { token_issued_at: Date; token_used_at: Date | null; username: string; user_disabled: boolean }>(
      this.dataSource,
      `SELECT ${F}, t.issued_at AS token_issued_at, s.issued_at AS token_used_at,
              u.username, u.disabled_at IS NOT NULL AS user_disabled
       FROM refresh_tokens t JOIN families f ON f.id = t.family_id JOIN users u ON u.id = f.user_id
       ${SUCCESSOR}
       WHERE t.hash = $1`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row) return undefined;
    const { token_issued_at: issuedAt, token_used_at: usedAt, username, user_disabled: userDisabled } = row;
    return { family: toFamily(row), issuedAt, usedAt, username, userDisabled };
  }

  async liveIdsOfUser(userId: string): Promise<string[]> {
    const live = `SELECT id FROM families WHERE user_id = $1 AND revoked_at IS NULL`;
    const { rows } = await execute<{ id: string }>(this.dataSource, live, [userId]);
    return rows.map((row) => row.id);
  }

  async findById(id: string): Promise<Family | undefined> {
    const { rows } = await execute<FamilyRow>(this.dataSource, `SELECT ${FAMILY} FROM families WHERE id = $1`, [id]);
    return rows[0] && toFamily(rows[0]);
  }

  async listOfUser(userId: string, page: PageRequest, liveOnly = false): Promise<Page<Family>> {
    const { rows } = await execute<FamilyRow>(
      this.dataSource,
      `SELECT ${FAMILY} FROM families WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
         AND (NOT $5 OR revoked_at IS NULL)
       ORDER BY created_at DESC, id DESC LIMIT $4`,
      [userId, page.after?.at ?? null, page.after?.id ?? null, page.limit + 1, liveOnly],
    );
    return pageOf(rows.map(toFamily), page.limit, (family) => ({ at: family.createdAt, id: family.id }));
  }

  async wipeSealedSuccessors(usedBefore: Date, batchSize: number): Promise<number> {
    const lease = await Lease.take(this.dataSource, SWEEP_LEASE, SWEEP_LEASE_SECONDS, false);
    if (!lease) return 0;
    try {
      let wiped = 0;
      for (;;) {
        await lease.keep();
        const { affected } = await execute(this.dataSource, DELETE_CLOSED_COPIES, [usedBefore, batchSize]);
        wiped += affected;
        if (affected < batchSize) return wiped;
      }
    } finally {
      await lease.release();
    }
  }
}

/** Revokes live families in the caller's transaction, announcing each on the revocation feed. */
/**
 * Starts a family inside the caller's transaction, for an enabled user only (false, and
 * nothing written, otherwise): a login, or the redemption of an authorization code.
 */
export async function startWithin(m: EntityManager, { family, firstTokenHash }: NewFamily): Promise<boolean> {
  // FOR SHARE waits for a concurrent disabling to commit (and holds one off until this
  // commits), so a family is either refused here or revoked by the disabling after it.
  // The foreign key's own FOR KEY SHARE does not conflict with that UPDATE.
  const user = await execute<{ enabled: boolean }>(
    m,
    `SELECT disabled_at IS NULL AS enabled FROM users WHERE id = $1 FOR SHARE`,
    [family.userId],
  );
  if (!user.rows[0]?.enabled) return false;
  await execute(
    m,
    `INSERT INTO families (id, user_id, client_id, scope, created_at, last_used_at, idle_expires_at, absolute_expires_at, ip, user_agent, dpop_jkt)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [family.id, family.userId, family.clientId, family.scope, family.createdAt, family.lastUsedAt,
      family.idleExpiresAt, family.absoluteExpiresAt, family.ip, family.userAgent, family.dpopJkt ?? null],
  );
  await execute(m, `INSERT INTO refresh_tokens (hash, family_id, generation, issued_at) VALUES ($1, $2, 0, $3)`, [
    firstTokenHash, family.id, family.createdAt,
  ]);
  return true;
}

export async function revokeWithin(
  m: DataSource | EntityManager,
  ids: readonly string[],
  reason: RevocationReason,
  actor: string,
  now: Date,
  relevantUntil: Date,
): Promise<Family[]> {
  const revoked = await revokeEach(m, ids.map((id) => ({ target: { id }, at: now, reason, actor, relevantUntil })), false);
  return revoked.filter((family) => family !== undefined);
}

/**
 * One statement revoking every family of `revocations` still live (and auditing them when
 * `audit`): for each revocation, in order, the family it revoked, or undefined.
 */
async function revokeEach(m: DataSource | EntityManager, revocations: readonly FamilyRevocation[], audit: boolean): Promise<Array<Family | undefined>> {
  if (revocations.length === 0) return [];
  const column = <K extends keyof FamilyRevocation>(key: K) => revocations.map((revocation) => revocation[key]);
  const targets = column('target');
  const { rows } = await execute<FamilyRow & { n: string }>(m, REVOKE, [
    targets.map((target) => ('id' in target ? target.id : null)),
    targets.map((target) => ('tokenHash' in target ? target.tokenHash : null)),
    targets.map((target) => ('clientId' in target ? target.clientId : null)),
    column('at'),
    column('reason'),
    column('actor'),
    column('relevantUntil'),
    audit,
  ]);
  const revoked: Array<Family | undefined> = revocations.map(() => undefined);
  for (const row of rows) revoked[Number(row.n) - 1] = toFamily(row);
  return revoked;
}

function toFamily(row: FamilyRow): Family {
  return {
    id: row.id,
    userId: row.user_id,
    clientId: row.client_id,
    scope: row.scope,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    idleExpiresAt: row.idle_expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    ip: row.ip,
    userAgent: row.user_agent,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
    dpopJkt: row.dpop_jkt,
  };
}
